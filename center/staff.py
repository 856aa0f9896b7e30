"""Staff accounts (工号): roles, passwords, lockout, and the sessions a sign-in opens.

等保 2.0 level 2 asks that each person who acts is identified and authenticated, that
passwords are strong and changed, and that repeated failures lock the account. Passwords
are hashed with argon2id (argon2-cffi); a sign-in gives a random session token of which only
the SHA-256 is stored, with its own CSRF token. Time comes from the center's clock.
"""
from __future__ import annotations

import enum
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import Field
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from center import i18n
from center.db import Database, staff, staff_sessions
from core.clock import Clock
from core.config import ConfigModel


class Role(str, enum.Enum):
    CLERK = "clerk"              # 窗口人员: acts at the window signed in to
    MANAGER = "manager"          # 大厅管理员: alerts, 差评 follow-ups, any window, reports
    MAINTAINER = "maintainer"    # 运维人员: terminals, devices, their commands
    AUDITOR = "auditor"          # 审计员: reports and the audit trail
    ADMIN = "admin"              # 系统管理员: accounts


def role_name(role: Role) -> str:
    """A role as the hall names it (`role.<name>` in center/i18n.py)."""
    return i18n.text(f"role.{role.value}")


class AccountState(str, enum.Enum):
    ACTIVE = "active"
    LOCKED = "locked"      # too many failed sign-ins, or locked by an admin: `unlock` opens it
    DISABLED = "disabled"  # left the hall: never signs in again


class StaffSettings(ConfigModel):
    """The `[staff]` section of the center's config."""

    min_password_length: int = Field(10, ge=8, le=64)
    password_history: int = Field(5, ge=1, le=24, description="a new password may not be one of the last N")
    max_failures: int = Field(5, ge=3, le=20, description="failed sign-ins in a row that lock the account")
    session_idle_min: float = Field(15, gt=0, le=10080, description="a session unused this long (hall time) is"
                                                                     " signed out")
    sign_in_attempts_per_min: int = Field(10, ge=1, description="failed sign-ins a minute per client address")
    audit_keep_days: int = Field(180, ge=180, description="the audit trail is kept at least this long")


class StaffError(i18n.Worded):
    """An account or sign-in refusal, worded from the table (`err.<Type>`)."""


class BadCredentials(StaffError):
    def __init__(self) -> None:
        super().__init__("err.BadCredentials")


class AccountLocked(StaffError):
    def __init__(self) -> None:
        super().__init__("err.AccountLocked")


class AccountDisabled(StaffError):
    def __init__(self) -> None:
        super().__init__("err.AccountDisabled")


class PasswordRejected(StaffError):
    """A password the policy refuses; the key says which rule (`err.PasswordRejected.<rule>`)."""


class UnknownStaff(StaffError):
    def __init__(self, staff_no: str) -> None:
        super().__init__("err.UnknownStaff", staff_no=staff_no)


class StaffExists(StaffError):
    def __init__(self, staff_no: str) -> None:
        super().__init__("err.StaffExists", staff_no=staff_no)


@dataclass(frozen=True)
class Account:
    staff_no: str
    name: str
    roles: frozenset[Role]
    state: AccountState
    must_change: bool
    failures: int

    def view(self) -> dict[str, Any]:
        return {"staff_no": self.staff_no, "name": self.name, "roles": sorted(r.value for r in self.roles),
                "role_names": [role_name(r) for r in sorted(self.roles)], "state": self.state.value,
                "must_change": self.must_change}


@dataclass(frozen=True)
class Session:
    """A signed-in person, as every staff route sees them."""

    account: Account
    csrf: str
    token_hash: str

    @property
    def staff_no(self) -> str:
        return self.account.staff_no

    def has(self, *roles: Role) -> bool:
        return bool(self.account.roles & set(roles))


def _account(row: Row[Any]) -> Account:
    return Account(row.staff_no, row.name, frozenset(Role(r) for r in row.roles.split(",") if r),
                   AccountState(row.state), bool(row.must_change), row.failures)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffDirectory:
    """Accounts and sessions in the center's database."""

    def __init__(self, db: Database, clock: Clock, settings: StaffSettings | None = None) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings or StaffSettings()
        self.hasher = PasswordHasher()

    # ---- accounts ---------------------------------------------------------------------------
    def check_password(self, staff_no: str, password: str, previous: Sequence[str] = ()) -> None:
        """The policy: long enough, letters and digits, not the 工号, not one of the last ones."""
        s = self.settings
        if len(password) < s.min_password_length:
            raise PasswordRejected("err.PasswordRejected.too_short", n=s.min_password_length)
        if not (any(c.isdigit() for c in password) and any(c.isalpha() for c in password)):
            raise PasswordRejected("err.PasswordRejected.letters_and_digits")
        if staff_no.lower() in password.lower():
            raise PasswordRejected("err.PasswordRejected.staff_no")
        for old in previous[: s.password_history]:
            if self._matches(old, password):
                raise PasswordRejected("err.PasswordRejected.recent", n=s.password_history)

    def _matches(self, hashed: str, password: str) -> bool:
        try:
            return self.hasher.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def add(self, staff_no: str, name: str, roles: set[Role], password: str) -> Account:
        """A new account with an initial password, to be changed at the first sign-in."""
        if not roles:
            raise StaffError("err.NoRole")
        self.check_password(staff_no, password)
        now = self.clock.time()

        def fn(conn: Connection) -> Account:
            if conn.execute(select(staff.c.staff_no).where(staff.c.staff_no == staff_no)).first():
                raise StaffExists(staff_no)
            conn.execute(insert(staff).values(
                staff_no=staff_no, name=name, roles=",".join(sorted(r.value for r in roles)),
                state=AccountState.ACTIVE.value, password_hash=self.hasher.hash(password), previous_hashes="[]",
                must_change=True, failures=0, changed_at=now, created_at=now))
            return self._get(conn, staff_no)

        return self.db.write(fn, durable=True)

    def seed(self, people: Sequence[tuple[str, str, set[Role]]], password: str) -> None:
        """Demo and test accounts sharing one known password (hashed once), no forced change;
        existing ones are left as they are. A real hall adds its staff with `add`."""
        hashed, now = self.hasher.hash(password), self.clock.time()

        def fn(conn: Connection) -> None:
            for staff_no, name, roles in people:
                if conn.execute(select(staff.c.staff_no).where(staff.c.staff_no == staff_no)).first() is None:
                    conn.execute(insert(staff).values(
                        staff_no=staff_no, name=name, roles=",".join(sorted(r.value for r in roles)),
                        state=AccountState.ACTIVE.value, password_hash=hashed, previous_hashes="[]",
                        must_change=False, failures=0, changed_at=now, created_at=now))

        self.db.write(fn, durable=True)

    def _get(self, conn: Connection, staff_no: str) -> Account:
        row = conn.execute(select(staff).where(staff.c.staff_no == staff_no)).first()
        if row is None:
            raise UnknownStaff(staff_no)
        return _account(row)

    def get(self, staff_no: str) -> Account:
        with self.db.read() as conn:
            return self._get(conn, staff_no)

    def listing(self) -> list[Account]:
        with self.db.read() as conn:
            return [_account(r) for r in conn.execute(select(staff).order_by(staff.c.staff_no))]

    def verify(self, staff_no: str, password: str) -> None:
        """The person's current password (a password change asks for it); BadCredentials else."""
        with self.db.read() as conn:
            hashed = conn.execute(select(staff.c.password_hash).where(staff.c.staff_no == staff_no)).scalar()
        if hashed is None or not self._matches(hashed, password):
            raise BadCredentials()

    def set_password(self, staff_no: str, password: str, *, must_change: bool) -> Account:
        """A new password: by the person (must_change False) or reset by an admin (True)."""

        def fn(conn: Connection) -> Account:
            row = conn.execute(select(staff).where(staff.c.staff_no == staff_no)).first()
            if row is None:
                raise UnknownStaff(staff_no)
            previous = [row.password_hash, *json.loads(row.previous_hashes)][: self.settings.password_history]
            self.check_password(staff_no, password, previous)
            conn.execute(update(staff).where(staff.c.staff_no == staff_no).values(
                password_hash=self.hasher.hash(password), previous_hashes=json.dumps(previous),
                must_change=must_change, changed_at=self.clock.time()))
            conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_no == staff_no))
            return self._get(conn, staff_no)

        return self.db.write(fn, durable=True)

    def set_state(self, staff_no: str, state: AccountState) -> Account:
        """Lock, unlock (back to active, failures forgotten) or disable; sessions end unless active."""

        def fn(conn: Connection) -> Account:
            self._get(conn, staff_no)
            conn.execute(update(staff).where(staff.c.staff_no == staff_no).values(state=state.value, failures=0))
            if state is not AccountState.ACTIVE:
                conn.execute(delete(staff_sessions).where(staff_sessions.c.staff_no == staff_no))
            return self._get(conn, staff_no)

        return self.db.write(fn, durable=True)

    # ---- sign-in and sessions ------------------------------------------------------------------
    def sign_in(self, staff_no: str, password: str, client: str | None) -> tuple[str, Session]:
        """(session token for the cookie, the session); a wrong password counts towards the lock."""

        def fn(conn: Connection) -> tuple[str, Session] | StaffError:
            row = conn.execute(select(staff).where(staff.c.staff_no == staff_no)).first()
            if row is None:
                self.hasher.hash(password)  # as slow as a real check: no telling which 工号 exist
                return BadCredentials()
            if row.state == AccountState.DISABLED.value:
                return AccountDisabled()
            if row.state == AccountState.LOCKED.value:
                return AccountLocked()
            if not self._matches(row.password_hash, password):
                failures = row.failures + 1
                locked = failures >= self.settings.max_failures
                conn.execute(update(staff).where(staff.c.staff_no == staff_no).values(
                    failures=failures, state=AccountState.LOCKED.value if locked else row.state))
                return AccountLocked() if locked else BadCredentials()
            conn.execute(update(staff).where(staff.c.staff_no == staff_no).values(failures=0))
            token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), self.clock.time()
            conn.execute(insert(staff_sessions).values(token_hash=_digest(token), staff_no=staff_no, csrf=csrf,
                                                       client=(client or "")[:64], created_at=now, seen_at=now))
            return token, Session(self._get(conn, staff_no), csrf, _digest(token))

        result = self.db.write(fn, durable=True)  # a failure is counted even though it is refused
        if isinstance(result, StaffError):
            raise result
        return result

    def session(self, token: str | None) -> Session | None:
        """The live session of a cookie's token, its idle time renewed; None when unknown,
        idle past `session_idle_min`, or the account is no longer active."""
        if not token:
            return None
        digest, now = _digest(token), self.clock.time()
        with self.db.read() as conn:
            row = conn.execute(select(staff_sessions, staff.c.state).join(staff)
                               .where(staff_sessions.c.token_hash == digest)).first()
            if row is None:
                return None
            account = self._get(conn, row.staff_no)
        if row.state != AccountState.ACTIVE.value or now - row.seen_at > self.settings.session_idle_min * 60:
            self.sign_out(token)
            return None
        if now - row.seen_at > 30:  # renewed at most twice a minute: a read stays a read
            self.db.write(lambda conn: conn.execute(update(staff_sessions).where(
                staff_sessions.c.token_hash == digest).values(seen_at=now)))
        return Session(account, row.csrf, digest)

    def end_idle_sessions(self) -> int:
        """Drop the sessions idle past `session_idle_min` (each would be refused anyway)."""
        before = self.clock.time() - self.settings.session_idle_min * 60
        return self.db.write(lambda conn: conn.execute(
            delete(staff_sessions).where(staff_sessions.c.seen_at < before)).rowcount)

    def sign_out(self, token: str) -> None:
        self.db.write(lambda conn: conn.execute(delete(staff_sessions).where(
            staff_sessions.c.token_hash == _digest(token))))
