"""The web routes of staff themselves: sign-in, sign-out, password change, accounts (admin)
and the audit trail (auditors). Everything here is audited, refusals included."""
from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from center import audit
from center.auth import ANY_STAFF, COOKIE, Guard, NotSignedIn, TooManyAttempts, client_of
from center.staff import AccountState, Role, Session, StaffDirectory, StaffError
from center.web_safety import read_body

def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} is required")
    return value.strip()


def me(session: Session) -> dict[str, Any]:
    return {**session.account.view(), "csrf": session.csrf}


class StaffWeb:
    def __init__(self, guard: Guard, max_body: int) -> None:
        self.guard = guard
        self.staff: StaffDirectory = guard.directory
        self.max_body = max_body

    async def _body(self, request: Request) -> dict[str, Any]:
        return await read_body(request, self.max_body)

    # ---- sign-in -------------------------------------------------------------------------------
    async def sign_in(self, request: Request) -> Response:
        """POST /api/session {staff_no, password}: the session cookie (HttpOnly, SameSite=Strict,
        Secure under TLS) and the CSRF token every later write must carry."""
        client = client_of(request)
        body = await self._body(request)
        staff_no = _text(body, "staff_no")
        if not self.guard.limiter.allow(client):
            await run_in_threadpool(self.guard.record, request, None, "sign_in", "refused: TooManyAttempts", staff_no)
            raise TooManyAttempts()
        try:
            token, session = await run_in_threadpool(self.staff.sign_in, staff_no, _text(body, "password"), client)
        except StaffError as exc:
            self.guard.limiter.failed(client)
            await run_in_threadpool(self.guard.record, request, None, "sign_in", f"refused: {type(exc).__name__}",
                                    staff_no)
            raise
        await run_in_threadpool(self.guard.record, request, session, "sign_in", "ok")
        return self._signed_in(request, token, session)

    def _signed_in(self, request: Request, token: str, session: Session) -> Response:
        """Who is signed in, with the session's cookie: HttpOnly, SameSite=Strict, Secure under TLS."""
        response = JSONResponse(me(session))
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                            path="/", max_age=int(self.staff.settings.session_idle_min * 60 * 16))
        return response

    async def whoami(self, request: Request) -> Response:
        """GET /api/session: who is signed in (and the CSRF token), or 401 — a question every
        page asks, so an anonymous one is not an attempt worth an audit row."""
        session = await run_in_threadpool(self.guard.session, request)
        if session is None:
            raise NotSignedIn()
        return JSONResponse(me(session))

    async def sign_out(self, request: Request) -> Response:
        session = await self.guard.check(request, ANY_STAFF, changing_password=True)
        await run_in_threadpool(self.staff.sign_out, request.cookies[COOKIE])
        await run_in_threadpool(self.guard.record, request, session, "sign_out", "ok")
        response = JSONResponse({"signed_out": True})
        response.delete_cookie(COOKIE, path="/")
        return response

    async def change_password(self, request: Request) -> Response:
        """POST /api/session/password {old_password, new_password}: the only thing a session
        with a forced change may do; the other sessions of the account end."""
        session = await self.guard.check(request, ANY_STAFF, changing_password=True)
        assert session is not None
        body = await self._body(request)
        try:
            await run_in_threadpool(self.staff.verify, session.staff_no, _text(body, "old_password"))
            await run_in_threadpool(self.staff.set_password, session.staff_no, _text(body, "new_password"),
                                    must_change=False)
        except StaffError as exc:
            await run_in_threadpool(self.guard.record, request, session, "change_password",
                                    f"refused: {type(exc).__name__}")
            raise
        await run_in_threadpool(self.guard.record, request, session, "change_password", "ok")
        token, fresh = await run_in_threadpool(self.staff.sign_in, session.staff_no, body["new_password"],
                                               client_of(request))  # set_password ended the old sessions
        return self._signed_in(request, token, fresh)

    # ---- accounts (admin) ------------------------------------------------------------------------
    def accounts(self, request: Request) -> Response:
        return JSONResponse({"staff": [a.view() for a in self.staff.listing()],
                             "roles": [r.value for r in Role]})

    async def add_account(self, request: Request) -> Response:
        body = await self._body(request)
        roles = {Role(r) for r in body.get("roles") or []}
        account = await run_in_threadpool(self.staff.add, _text(body, "staff_no"), _text(body, "name"), roles,
                                          _text(body, "password"))
        return JSONResponse(account.view())

    async def account_action(self, request: Request) -> Response:
        """lock / unlock / disable, or reset (a new initial password, changed at next sign-in)."""
        staff_no, action = request.path_params["staff_no"], request.path_params["action"]
        states = {"lock": AccountState.LOCKED, "unlock": AccountState.ACTIVE, "disable": AccountState.DISABLED}
        if action in states:
            account = await run_in_threadpool(self.staff.set_state, staff_no, states[action])
        elif action == "reset":
            body = await self._body(request)
            account = await run_in_threadpool(self.staff.set_password, staff_no, _text(body, "password"),
                                              must_change=True)
        else:
            raise ValueError(f"no account action {action!r}")
        return JSONResponse(account.view())

    # ---- audit trail (auditors) ---------------------------------------------------------------------
    def audit_rows(self, request: Request) -> Response:
        checked, broken = audit.verify(self.staff.db)
        rows = audit.latest(self.staff.db, int(request.query_params.get("limit", "200")))
        return JSONResponse({"verified": broken is None, "checked": checked, "broken_at": broken,
                             "rows": [{k: v for k, v in r.__dict__.items()} for r in rows]})

    def audit_csv(self, request: Request) -> Response:
        return Response(audit.as_csv(self.staff.db), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="onetrip-audit.csv"'})
