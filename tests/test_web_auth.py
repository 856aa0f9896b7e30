"""Issue 14 from outside: who may use which route of the center's web, sign-in, lockout, forced
password change, CSRF, session expiry, the audit trail and its hash chain, hostile bodies and
the headers every response carries — over the real app, a real CenterService and broker."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from center import audit
from center.auth import access_of
from center.db import audit_log, staff_sessions
from center.service import CenterService
from center.staff import Role
from center.web import create_app
from core.clock import FakeClock
from core.paths import CONFIG_DIR
from hallrig.staff_accounts import DEMO_APPOINTMENT_KEY, DEMO_APPOINTMENT_KEY_SHA256, DEMO_PASSWORD, sign_in
from tests.center_fixtures import take_printed
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)

PUBLIC_WRITES = {"/api/session", "/api/session/sign_out", "/api/session/password", "/api/appointments"}
SAMPLE_PARAMS = {"window": "1", "action": "call", "terminal": "kiosk-01", "name": "test_page", "follow_up_id": "1",
                 "staff_no": "s001", "announcement_id": "1", "promise_id": "1", "case_id": "1"}
DEMO_ROLES = {"s001": Role.CLERK, "m001": Role.MANAGER, "w001": Role.MAINTAINER, "a001": Role.AUDITOR,
              "admin": Role.ADMIN}  # one role each (hallrig/staff_accounts.py)


@pytest.fixture
def app(service: CenterService):
    return create_app(service, telemetry_period=0.05)


@pytest.fixture
def anon(app) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def as_staff(app, staff_no: str) -> TestClient:
    client = TestClient(app)
    sign_in(client, staff_no)
    return client


def url(route: Route) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: SAMPLE_PARAMS[m.group(1)], route.path)


def test_every_route_declares_who_may_use_it_and_refuses_everyone_else(app, anon: TestClient) -> None:
    routes = [r for r in app.routes if not isinstance(r, Mount)]
    assert routes and all(access_of(r) is not None for r in routes), "a route without declared access"
    public_writes = {r.path for r in routes if access_of(r).public and r.methods - {"GET", "HEAD"}}
    assert public_writes == PUBLIC_WRITES
    staffed = [r for r in routes if not access_of(r).public]
    assert len(staffed) >= 15
    wrong_clients: dict[str, TestClient] = {}
    for route in staffed:
        access = access_of(route)
        for method in sorted(route.methods - {"HEAD"}):
            path = url(route)
            refused = anon.request(method, path, json={} if method == "POST" else None)
            assert refused.status_code == 401 and refused.json()["error"] == "NotSignedIn", (method, path)
            outsider = next(no for no, role in DEMO_ROLES.items() if role not in access.roles)
            if outsider not in wrong_clients:
                wrong_clients[outsider] = as_staff(app, outsider)
            client = wrong_clients[outsider]
            forbidden = client.request(method, path, json={} if method == "POST" else None)
            assert forbidden.status_code == 403 and forbidden.json()["error"] == "Forbidden", (method, path, outsider)
    # every refusal above is in the audit trail, with who tried (or nobody) and from where
    rows = audit.latest(app.state.web.db, 1000)
    assert sum(r.result == "refused: NotSignedIn" for r in rows) >= len(staffed)
    assert any(r.result == "refused: Forbidden" and r.staff_no in wrong_clients for r in rows)


def test_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(app, anon: TestClient,
                                                                   service: CenterService) -> None:
    for _ in range(4):
        wrong = anon.post("/api/session", json={"staff_no": "s002", "password": "not-the-password-1"})
        assert wrong.status_code == 401 and wrong.json()["message"] == "工号或密码错误"
    locked = anon.post("/api/session", json={"staff_no": "s002", "password": "not-the-password-1"})
    assert locked.status_code == 401 and "已锁定" in locked.json()["message"]
    still = anon.post("/api/session", json={"staff_no": "s002", "password": DEMO_PASSWORD})
    assert still.status_code == 401 and "已锁定" in still.json()["message"]  # the right one does not open it
    admin = as_staff(app, "admin")
    assert admin.post("/api/staff/s002/unlock", json={}).json()["state"] == "active"
    assert anon.post("/api/session", json={"staff_no": "s002", "password": DEMO_PASSWORD}).status_code == 200
    unknown = anon.post("/api/session", json={"staff_no": "nobody", "password": DEMO_PASSWORD})
    assert unknown.status_code == 401 and unknown.json()["message"] == "工号或密码错误"  # no telling who exists
    results = [(r.staff_no, r.action, r.result) for r in reversed(audit.latest(service.db, 50))]
    assert ("s002", "sign_in", "refused: AccountLocked") in results and ("s002", "sign_in", "ok") in results
    assert ("admin", "POST /api/staff/{staff_no}/{action}", "ok") in results


def test_an_initial_password_must_be_changed_by_the_policy(app, anon: TestClient, service: CenterService) -> None:
    admin = as_staff(app, "admin")
    added = admin.post("/api/staff", json={"staff_no": "s101", "name": "新同事", "roles": ["clerk"],
                                           "password": "Initial-pass-101"})
    assert added.status_code == 200 and added.json()["must_change"] is True
    assert admin.post("/api/staff", json={"staff_no": "s102", "name": "x", "roles": ["clerk"],
                                          "password": "short1"}).json()["message"] == "密码至少 10 位"
    me = sign_in(anon, "s101", "Initial-pass-101")
    assert me["must_change"] is True
    blocked = anon.get("/api/windows")
    assert blocked.status_code == 403 and blocked.json()["error"] == "PasswordChangeRequired"
    for bad, why in (("abc", "至少 10 位"), ("s101-secret-99", "不能包含工号"), ("onlyletterslong", "字母和数字"),
                     ("Initial-pass-101", "最近")):
        refused = anon.post("/api/session/password", json={"old_password": "Initial-pass-101", "new_password": bad})
        assert refused.status_code == 400 and why in refused.json()["message"], bad
    changed = anon.post("/api/session/password", json={"old_password": "Initial-pass-101",
                                                       "new_password": "Counter-desk-2027"})
    assert changed.status_code == 200 and changed.json()["must_change"] is False
    anon.headers["X-CSRF-Token"] = changed.json()["csrf"]
    assert anon.get("/api/windows").status_code == 200


def test_writes_need_the_sessions_csrf_token_and_a_json_body(app, service: CenterService) -> None:
    clerk = as_staff(app, "s001")
    token = clerk.headers.pop("X-CSRF-Token")
    missing = clerk.post("/api/windows/1/sign_in", json={})
    assert missing.status_code == 403 and missing.json()["error"] == "CsrfRejected"
    clerk.headers["X-CSRF-Token"] = "forged"
    assert clerk.post("/api/windows/1/sign_in", json={}).json()["error"] == "CsrfRejected"
    clerk.headers["X-CSRF-Token"] = token
    plain = clerk.post("/api/windows/1/sign_in", content=b'{"x":1}', headers={"content-type": "text/plain"})
    assert plain.status_code == 400 and plain.json()["error"] == "BadBody"  # a cross-site form post
    assert service.engine.window_states()[0].state.value == "closed"  # nothing reached the engine
    assert clerk.post("/api/windows/1/sign_in", json={}).status_code == 200


def test_a_clerk_acts_only_at_the_window_signed_in_to(app, service: CenterService) -> None:
    one = as_staff(app, "s001")
    assert one.post("/api/windows/1/sign_in", json={}).json()["window"]["staff"] == "s001"
    take_printed(service, "kiosk-01", {"category": "A"})
    other = one.post("/api/windows/2/call", json={})
    assert other.status_code == 403 and other.json()["message"] == "您未在 2 号窗口签到，不能在该窗口操作"
    assert one.post("/api/windows/1/call", json={}).status_code == 200
    manager = as_staff(app, "m001")  # a hall manager may act at any window
    assert manager.post("/api/windows/1/recall", json={}).status_code == 200


def test_a_session_idles_out_and_sign_out_ends_it(app, clock: FakeClock, service: CenterService) -> None:
    manager = as_staff(app, "m001")
    assert manager.get("/api/control").status_code == 200
    clock.advance(service.config.staff.session_idle_min * 60 + 1)
    assert manager.get("/api/control").status_code == 401
    again = as_staff(app, "m001")
    assert again.post("/api/session/sign_out", json={}).status_code == 200
    assert again.get("/api/control").status_code == 401


def test_failed_sign_ins_are_limited_per_address(anon: TestClient, service: CenterService) -> None:
    for staff_no in ("s001", "s002", "s003") * 4:  # a counter PC where clerks sign in all day: never slowed
        assert anon.post("/api/session", json={"staff_no": staff_no, "password": DEMO_PASSWORD}).status_code == 200
    limit = service.config.staff.sign_in_attempts_per_min
    answers = [anon.post("/api/session", json={"staff_no": f"x{i:03d}", "password": "wrong-password-9"}).status_code
               for i in range(limit + 1)]  # a guesser trying 工号 after 工号
    assert answers[-1] == 429 and 429 not in answers[:-1]
    blocked = anon.post("/api/session", json={"staff_no": "s001", "password": DEMO_PASSWORD})
    assert blocked.status_code == 429 and blocked.json()["message"] == "登录尝试过于频繁，请一分钟后再试"
    service.clock.advance(61)  # a minute on the hall clock later, the address may try again
    assert anon.post("/api/session", json={"staff_no": "s001", "password": DEMO_PASSWORD}).status_code == 200


def test_the_audit_trail_is_chained_and_a_tampered_row_is_found(app, service: CenterService, tmp_path: Path) -> None:
    clerk = as_staff(app, "s003")
    clerk.post("/api/windows/3/sign_in", json={})
    clerk.post("/api/windows/3/pause", json={"reason": "会议"})
    auditor = as_staff(app, "a001")
    trail = auditor.get("/api/audit").json()
    assert trail["verified"] is True and trail["checked"] >= 4
    mine = [r for r in trail["rows"] if r["staff_no"] == "s003"]
    assert [(r["action"], r["window"], r["result"]) for r in mine][:2] == [
        ("POST /api/windows/{window}/{action}", "3", "ok"), ("POST /api/windows/{window}/{action}", "3", "ok")]
    assert mine[0]["target"] == "action=pause" and mine[0]["client"] == "testclient"
    exported = auditor.get("/audit.csv")
    assert exported.headers["content-type"].startswith("text/csv") and "s003" in exported.text
    assert any(r.action == "GET /audit.csv" and r.staff_no == "a001" for r in audit.latest(service.db, 5))
    with service.db.engine.begin() as conn:  # someone edits a row behind the application's back
        conn.execute(update(audit_log).where(audit_log.c.id == mine[0]["id"]).values(result="refused: Forbidden"))
    broken = auditor.get("/api/audit").json()
    assert broken["verified"] is False and broken["broken_at"] == mine[0]["id"]
    assert audit.verify(service.db)[1] == mine[0]["id"]


def test_hostile_bodies_get_a_4xx_never_a_500(app, service: CenterService) -> None:
    clerk = as_staff(app, "s001")
    deep = clerk.post("/api/windows/1/sign_in", content=b"[" * 5000 + b"]" * 5000,
                      headers={"content-type": "application/json"})
    assert deep.status_code == 400 and deep.json()["error"] == "BadBody"
    twenty = {"a": 1}
    for _ in range(20):
        twenty = {"a": twenty}
    nested = clerk.post("/api/windows/1/sign_in", content=json.dumps(twenty), headers={"content-type": "application/json"})
    assert nested.status_code == 400 and "嵌套过深" in nested.json()["message"]
    huge = clerk.post("/api/windows/1/sign_in", json={"x": "办" * service.config.web.max_body_bytes})
    assert huge.status_code == 413 and huge.json()["error"] == "BodyTooLarge"
    assert "Traceback" not in deep.text + nested.text + huge.text


def test_every_response_carries_the_security_headers(anon: TestClient) -> None:
    for path in ("/", "/display", "/login", "/api/hall", "/static/common.js", "/no/such/page", "/api/windows"):
        headers = anon.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp, path
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
        assert ("frame-ancestors 'self'" if path == "/display" else "frame-ancestors 'none'") in csp, path


def test_appointment_booking_needs_the_platforms_key(anon: TestClient, service: CenterService) -> None:
    body = {"category": "A", "citizen_key": "0123456789abcdef0123456789abcdef",
            "slot_start": "2026-11-23T14:00:00", "slot_end": "2026-11-23T14:30:00"}
    assert service.config.web.appointment_keys_sha256 == [DEMO_APPOINTMENT_KEY_SHA256]  # tests/web_helpers.py
    assert anon.post("/api/appointments", json=body).status_code == 401
    wrong = anon.post("/api/appointments", json=body, headers={"Authorization": "Bearer guessed"})
    assert wrong.status_code == 401
    booked = anon.post("/api/appointments", json=body, headers={"Authorization": f"Bearer {DEMO_APPOINTMENT_KEY}"})
    assert booked.status_code == 200 and booked.json()["code"]


def test_clerks_never_see_who_rated_them(app, service: CenterService, clock: FakeClock) -> None:
    clerk = as_staff(app, "s003")
    clerk.post("/api/windows/3/sign_in", json={})
    take_printed(service, "kiosk-01", {"category": "B", "citizen_key": "0123456789abcdef0123456789abcdef"})
    for action in ("call", "start", "finish"):
        clerk.post(f"/api/windows/3/{action}", json={})
    desk = clerk.get("/api/windows/3").text
    assert "citizen_key" not in desk and "0123456789abcdef" not in desk and "ref" not in json.loads(desk)["window"]
    assert clerk.get("/api/control").status_code == 403  # ratings and follow-ups are the managers'


def test_the_staff_command_adds_locks_and_lists_accounts(tmp_path: Path, service: CenterService) -> None:
    config = tmp_path / "hall.toml"
    config.write_text(f'catalog = "{CONFIG_DIR / "catalog"}"\nstate_dir = "{tmp_path / "c"}"\n'
                      '[windows.1]\nname = "1号窗口"\ncategories = ["A"]\n', encoding="utf-8")

    def onetrip(part: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "onetrip.cli", part, "--config", str(config), *args],
                              input=stdin, capture_output=True, text=True, timeout=60)

    added = onetrip("staff", "add", "s201", "王五", "--role", "clerk", "--role", "manager", "--password-stdin",
                    stdin="Window-two-2026\n")
    assert added.returncode == 0, added.stderr
    weak = onetrip("staff", "add", "s202", "赵六", "--role", "clerk", "--password-stdin", stdin="s202s202s202\n")
    assert weak.returncode == 1 and "不能包含工号" in weak.stderr
    assert onetrip("staff", "lock", "s201").returncode == 0
    listed = onetrip("staff", "list").stdout
    assert re.search(r"s201\s+王五\s+clerk,manager\s+locked\s+\(must change password\)", listed), listed
    verified = onetrip("audit", "verify")
    assert verified.returncode == 0 and "intact: 2 rows" in verified.stdout


def test_retention_purges_old_audit_rows_and_idle_sessions_and_the_chain_still_holds(
        app, service: CenterService, clock: FakeClock) -> None:
    as_staff(app, "s001").post("/api/windows/1/sign_in", json={})
    old = len(audit.latest(service.db, 1000))
    assert old >= 2 and service.staff.end_idle_sessions() == 0
    clock.advance(service.config.staff.audit_keep_days * 86400 + 3600)
    as_staff(app, "s002").post("/api/windows/2/sign_in", json={})  # today's rows
    service.housekeeping.run()
    kept = audit.latest(service.db, 1000)
    assert kept and all(r.staff_no == "s002" for r in kept)  # the rows of 180 days ago are gone…
    assert audit.verify(service.db) == (len(kept), None)     # …and what is kept still verifies
    with service.db.read() as conn:
        assert {r.staff_no for r in conn.execute(select(staff_sessions))} == {"s002"}  # s001's idle one ended
