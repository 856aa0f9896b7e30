"""Who may use which web route: sign-in sessions, roles, CSRF, and the audit of every attempt.

Every route of the center's web app is declared with its access here (`route`), so a route
cannot be added without saying who may use it, and tests/test_web_auth.py enumerates the
app's routes to check that every staff route refuses an anonymous request and a wrong role.
The acting person always comes from the session, never from a request body.
"""
from __future__ import annotations

import inspect
import threading
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from center import audit
from center.staff import Role, Session, StaffDirectory, StaffError
from core.clock import Clock

COOKIE = "onetrip_session"
CSRF_HEADER = "x-csrf-token"
Endpoint = Callable[[Request], Response | Awaitable[Response]]


class NotSignedIn(StaffError):
    def __init__(self) -> None:
        super().__init__("err.NotSignedIn")


class Forbidden(StaffError):
    """`why`: the key (`err.Forbidden.<case>`) of what the person may not do, with its values."""

    def __init__(self, why: str = "err.Forbidden", **values: object) -> None:
        super().__init__(why, **values)


class CsrfRejected(StaffError):
    def __init__(self) -> None:
        super().__init__("err.CsrfRejected")


class PasswordChangeRequired(StaffError):
    def __init__(self) -> None:
        super().__init__("err.PasswordChangeRequired")


class TooManyAttempts(StaffError):
    def __init__(self) -> None:
        super().__init__("err.TooManyAttempts")


@dataclass(frozen=True)
class Access:
    """Who may use a route: anyone (`public`), or a signed-in person with one of `roles`;
    `audited` routes write a row to the audit trail for every attempt (all writes are)."""

    roles: frozenset[Role] = frozenset()
    public: bool = False
    audited: bool = False


PUBLIC = Access(public=True)
ANY_STAFF = Access(frozenset(Role))  # any signed-in person, whatever the role


def staff(*roles: Role, audited: bool = False) -> Access:
    return Access(frozenset(roles), audited=audited)


class SignInLimiter:
    """At most `per_min` failed sign-ins a minute per client address (a sliding window): a
    guesser is slowed down, while a counter PC whose clerks sign in all day is not."""

    def __init__(self, per_min: int, clock: Clock) -> None:
        self.per_min, self.clock = per_min, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures[client]
        while failures and now - failures[0] > 60:
            failures.popleft()
        return failures

    def allow(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client, self.clock.monotonic())) < self.per_min

    def failed(self, client: str) -> None:
        with self._lock:
            now = self.clock.monotonic()
            self._recent(client, now).append(now)


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


class Guard:
    """The one place a request's person is established, checked and audited."""

    def __init__(self, directory: StaffDirectory, clock: Clock) -> None:
        self.directory = directory
        self.clock = clock
        self.limiter = SignInLimiter(directory.settings.sign_in_attempts_per_min, clock)

    def session(self, request: Request) -> Session | None:
        """The request's session, looked up once per request."""
        try:
            return request.state.session
        except AttributeError:
            request.state.session = self.directory.session(request.cookies.get(COOKIE))
            return request.state.session

    def record(self, request: Request, session: Session | None, action: str, result: str,
               staff_no: str | None = None) -> None:
        params = request.path_params
        target = ",".join(f"{k}={v}" for k, v in params.items() if k != "window") or None
        account = session.account if session else None
        audit.append(self.directory.db, audit.AuditEntry(
            at=self.clock.time(), staff_no=account.staff_no if account else staff_no,
            roles=",".join(sorted(r.value for r in account.roles)) if account else None,
            window=str(params["window"]) if "window" in params else None, action=action, target=target,
            result=result, client=client_of(request)))

    async def check(self, request: Request, access: Access, *, changing_password: bool = False) -> Session | None:
        """The session allowed to use `access`, or a typed refusal (audited). A session whose
        password must change may only change it (`changing_password`)."""
        if access.public:
            return await run_in_threadpool(self.session, request) if COOKIE in request.cookies else None
        session = await run_in_threadpool(self.session, request)
        refusal: StaffError | None = None
        if session is None:
            refusal = NotSignedIn()
        elif request.method != "GET" and request.headers.get(CSRF_HEADER) != session.csrf:
            refusal = CsrfRejected()
        elif session.account.must_change and not changing_password:
            refusal = PasswordChangeRequired()
        elif not session.account.roles & access.roles:
            refusal = Forbidden()
        if refusal is not None:
            await run_in_threadpool(self.record, request, session, self.action(request, access),
                                    f"refused: {type(refusal).__name__}")
            raise refusal
        return session

    @staticmethod
    def action(request: Request, access: Access) -> str:
        return f"{request.method} {getattr(request.scope.get('route'), 'path', request.url.path)}"

    def route(self, path: str, endpoint: Endpoint, access: Access, methods: list[str] | None = None) -> Route:
        """A Route whose endpoint runs only for who `access` lets in; writes and `audited`
        routes leave an audit row with their outcome."""
        methods = methods or ["GET"]
        audited = access.audited or (not access.public and methods != ["GET"])

        async def call(request: Request) -> Response:  # sync endpoints run off the event loop
            if inspect.iscoroutinefunction(endpoint):
                return await endpoint(request)
            return await run_in_threadpool(endpoint, request)

        async def guarded(request: Request) -> Response:
            session = await self.check(request, access)
            try:
                response = await call(request)
            except Exception as exc:
                if audited:
                    await run_in_threadpool(self.record, request, session, self.action(request, access),
                                            f"refused: {type(exc).__name__}")
                raise
            if audited:
                await run_in_threadpool(self.record, request, session, self.action(request, access),
                                        "ok" if response.status_code < 400 else f"status {response.status_code}")
            return response

        guarded.access = access  # type: ignore[attr-defined]  (read by the route enumeration test)
        return Route(path, guarded, methods=methods)


def access_of(route: Any) -> Access | None:
    return getattr(route.endpoint, "access", None)
