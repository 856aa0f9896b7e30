"""容缺受理 kept: each deferred material promised at the window, with its 承诺书 and deadline.

A case accepted with materials the catalog marks 可容缺 records one promise per material,
due a number of the hall's business days later (`[floor] promise_working_days`, counted on
the hall calendar). The citizen's lookup shows what is owed and by when, the control room
lists what falls due soon and what is overdue, and an overdue promise is an alert until a
clerk records the material as handed in.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from center.db import Database, cases, promises
from center.queue_errors import QueueError

class NotDeferrable(QueueError):
    """Only a material the catalog marks 可容缺 for the item may be promised."""

    def __init__(self, material: str, item: str | None) -> None:
        super().__init__(f"{material!r} is not a deferrable (可容缺) material of {item}")
        self.values = {"material": material}


class PledgeRequired(QueueError):
    """容缺 needs the citizen's signed 承诺书."""

    def __init__(self) -> None:
        super().__init__("a deferred material needs the signed commitment (承诺书)")


class UnknownPromise(QueueError):
    def __init__(self, promise_id: int) -> None:
        super().__init__(f"no open promise {promise_id}")


@dataclass(frozen=True)
class Promise:
    id: int
    case_no: str
    material: str
    pledge_signed: bool
    due: str
    state: str
    promised_at: float
    window: str | None
    staff: str | None
    fulfilled_at: float | None
    fulfilled_by: str | None

    def overdue(self, today: date) -> bool:
        return self.state == "owed" and date.fromisoformat(self.due) < today


def owed_view(found: Iterable[Promise], today: date) -> list[dict[str, Any]]:
    """What the citizen is told is still owed (kiosk lookup, phone page): material, by when, late."""
    return [{"material": p.material, "due": p.due, "overdue": p.overdue(today)} for p in found if p.state == "owed"]


def _promise(r: Any) -> Promise:
    return Promise(r.id, r.case_no, r.material, r.pledge_signed, r.due, r.state, r.promised_at,
                   r.window, r.staff, r.fulfilled_at, r.fulfilled_by)


def check(materials: Sequence[str], deferrable: Iterable[str], item: str | None, pledge_signed: bool) -> None:
    """Refuse before the case is opened: every material deferrable, the 承诺书 signed."""
    allowed = set(deferrable)
    for material in materials:
        if material not in allowed:
            raise NotDeferrable(material, item)
    if materials and not pledge_signed:
        raise PledgeRequired()


def record(db: Database, case_no: str, materials: Sequence[str], due: date, now: float, window: str | None,
           staff: str | None) -> list[Promise]:
    def fn(conn: Connection) -> list[Promise]:
        ids = [conn.execute(insert(promises).values(
            case_no=case_no, material=m, pledge_signed=True, due=due.isoformat(), state="owed", promised_at=now,
            window=window, staff=staff).returning(promises.c.id)).scalar_one() for m in materials]
        return [_promise(r) for r in conn.execute(
            select(promises).where(promises.c.id.in_(ids)).order_by(promises.c.id))]

    return db.write(fn, durable=True) if materials else []


def of_cases(db: Database, case_nos: Iterable[str]) -> dict[str, list[Promise]]:
    """case number → its promises, owed ones first."""
    with db.read() as conn:
        rows = conn.execute(select(promises).where(promises.c.case_no.in_(list(case_nos)))
                            .order_by(promises.c.state.desc(), promises.c.due, promises.c.id))
        found: dict[str, list[Promise]] = {}
        for r in rows:
            found.setdefault(r.case_no, []).append(_promise(r))
        return found


def of_ticket(db: Database, ticket_id: int) -> list[Promise]:
    """The promises of the cases a ticket's service opened (the phone page of that ticket)."""
    with db.read() as conn:
        return [_promise(r) for r in conn.execute(
            select(promises).join(cases, cases.c.case_no == promises.c.case_no)
            .where(cases.c.ticket_id == ticket_id).order_by(promises.c.due, promises.c.id))]


def owed_at(db: Database, window: str) -> list[Promise]:
    """What the cases accepted at `window` still owe: where the citizen brings it back."""
    with db.read() as conn:
        return [_promise(r) for r in conn.execute(
            select(promises).where(promises.c.state == "owed", promises.c.window == window)
            .order_by(promises.c.due, promises.c.id))]


def owed_until(db: Database, last_day: date) -> list[Promise]:
    """Promises still owed that are due by `last_day` (overdue ones included), soonest first."""
    with db.read() as conn:
        return [_promise(r) for r in conn.execute(
            select(promises).where(promises.c.state == "owed", promises.c.due <= last_day.isoformat())
            .order_by(promises.c.due, promises.c.id))]


def due_soon(db: Database, today: date, days: int) -> list[Promise]:
    return owed_until(db, today + timedelta(days=days))


def overdue(db: Database, today: date) -> list[Promise]:
    return owed_until(db, today - timedelta(days=1))


def fulfil(db: Database, promise_id: int, by: str, now: float) -> Promise:
    """The material is handed in: the promise is kept (a clerk's action, audited by its route)."""
    def fn(conn: Connection) -> Promise:
        row = conn.execute(update(promises).where(promises.c.id == promise_id, promises.c.state == "owed")
                           .values(state="fulfilled", fulfilled_at=now, fulfilled_by=by).returning(promises)).first()
        if row is None:
            raise UnknownPromise(promise_id)
        return _promise(row)

    return db.write(fn, durable=True)


def figures(db: Database, first: str, last: str, tz: ZoneInfo, today: date) -> dict[str, int]:
    """The report's 容缺 figures: promises recorded and fulfilled from `first` to `last` (local
    days), and every promise overdue today, whenever it was made."""
    start = datetime.combine(date.fromisoformat(first), time(), tz).timestamp()
    end = datetime.combine(date.fromisoformat(last) + timedelta(days=1), time(), tz).timestamp()
    with db.read() as conn:
        def count(*where: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(promises).where(*where)).scalar_one())

        return {"recorded": count(promises.c.promised_at >= start, promises.c.promised_at < end),
                "fulfilled": count(promises.c.fulfilled_at >= start, promises.c.fulfilled_at < end),
                "overdue": count(promises.c.state == "owed", promises.c.due < today.isoformat())}
