"""帮办 answered, over the real MQTT link and the control room's HTTP API: a kiosk's help request
opens a case; the hall manager assigns a named helper and the kiosk is told who is coming (the
`help_coming` command, which the daemon turns into a local-API event); the helper marks arrival
and closes the case with an outcome; an unanswered one escalates on the hall clock; the day's
figures count the requests and the median time to an answer."""
from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from center import audit
from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from daemon.commands import Commands
from hallrig.staff_accounts import sign_in
from mqtt.terminal import TerminalLink
from tests.conftest import wait_until
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)


@pytest.fixture
def app(service: CenterService) -> Iterator[TestClient]:
    with TestClient(create_app(service, telemetry_period=0.05)) as c:
        yield c


@pytest.fixture
def kiosk(service: CenterService, mqtt_settings, tmp_path: Path) -> Iterator[tuple[TerminalLink, queue.Queue]]:
    """kiosk-03 on the broker, recording each help_coming command it is sent."""
    told: queue.Queue[dict[str, Any]] = queue.Queue()
    link = TerminalLink(mqtt_settings, "kiosk-03", tmp_path / "kiosk-03")
    link.on_command("help_coming", lambda args: told.put(args) or {"told": True})
    link.start()
    try:
        wait_until(lambda: link.center_reachable)
        yield link, told
    finally:
        link.stop()


def signed_in(app: TestClient, staff_no: str) -> TestClient:
    client = TestClient(app.app)
    sign_in(client, staff_no)
    return client


def post(client: TestClient, path: str, body: dict | None = None, status: int = 200) -> dict:
    response = client.post(path, json=body or {})
    assert response.status_code == status, response.text
    return response.json()


def open_cases(client: TestClient) -> list[dict]:
    return client.get("/api/control").json()["help_cases"]


def test_a_help_request_is_assigned_told_to_the_kiosk_attended_and_closed(
        app: TestClient, service: CenterService, clock: FakeClock, kiosk) -> None:
    link, told = kiosk
    link.emit("help_requested", {"location": "一楼自助区 3 号机", "topic": "不会操作"})
    manager = signed_in(app, "m001")
    [case] = wait_until(lambda: open_cases(manager))
    assert (case["terminal"], case["state"], case["topic"]) == ("kiosk-03", "asked", "不会操作")
    assert any(a.kind == "help_requested" and a.key == f"help:{case['id']}" for a in service.engine.list_alerts())

    clerk = signed_in(app, "s001")
    post(clerk, f"/api/help/{case['id']}/assign", {"helper": "h001"}, 403)  # only a hall manager sends someone
    post(manager, f"/api/help/{case['id']}/assign", {"helper": "nobody"}, 400)
    clock.advance(40)
    assigned = post(manager, f"/api/help/{case['id']}/assign", {"helper": "h001"})
    assert (assigned["state"], assigned["helper_name"], assigned["acknowledged_by"]) == ("assigned", "导办员小李", "m001")
    assert told.get(timeout=10) == {"case_id": case["id"], "helper_name": "导办员小李"}
    [alert] = [a for a in service.engine.list_alerts() if a.kind == "help_requested"]
    assert alert.acked_by == "m001"

    post(clerk, f"/api/help/{case['id']}/arrive", status=403)  # not the helper sent
    helper = signed_in(app, "h001")
    clock.advance(80)
    post(helper, f"/api/help/{case['id']}/arrive")
    refused = post(helper, f"/api/help/{case['id']}/close", status=400)  # an outcome is required
    assert refused["message"] == "请填写处理结果"
    clock.advance(300)
    closed = post(helper, f"/api/help/{case['id']}/close", {"outcome": "已协助取号"})
    assert (closed["state"], closed["outcome"], closed["closed_by"]) == ("resolved", "已协助取号", "h001")
    assert [closed["asked_at"] + 40, closed["asked_at"] + 120, closed["asked_at"] + 420] == [
        closed["acknowledged_at"], closed["arrived_at"], closed["closed_at"]]
    assert open_cases(manager) == []
    assert not any(a.kind == "help_requested" for a in service.engine.list_alerts())
    refused = post(helper, f"/api/help/{case['id']}/close", {"outcome": "again"}, 409)
    assert refused["message"] == "当前状态为「已结束」，不能关闭"

    rows = {(r.staff_no, r.result) for r in audit.latest(service.db, 100) if "/api/help/" in r.action}
    assert {("m001", "ok"), ("s001", "refused: Forbidden"), ("h001", "ok")} <= rows

    day = service.engine.local().date().isoformat()
    [figures] = manager.get(f"/api/reports?day={day}").json()["help"]
    assert figures == {"day": day, "count": 1, "answered": 1, "escalated": 0, "closed": 1,
                       "response_p50_min": round(40 / 60, 1), "arrival_p50_min": 2.0}


def test_an_unanswered_request_escalates_after_the_configured_time(
        app: TestClient, service: CenterService, clock: FakeClock, kiosk) -> None:
    link, _ = kiosk
    link.emit("help_requested", {"location": "二楼自助区", "topic": "材料咨询"})
    manager = signed_in(app, "m001")
    [case] = wait_until(lambda: open_cases(manager))
    clock.advance(2 * 60)
    service.housekeeping.run()
    assert not any(a.kind == "help_escalated" for a in service.engine.list_alerts())
    clock.advance(61)  # past [floor] help_escalate_min (3 min), on the hall clock
    service.housekeeping.run()
    [alert] = [a for a in service.engine.list_alerts() if a.kind == "help_escalated"]
    assert alert.text == "帮办超时未响应：二楼自助区 材料咨询（已等候 3 分钟）"
    service.housekeeping.run()  # escalated once, not again
    assert [a.count for a in service.engine.list_alerts() if a.kind == "help_escalated"] == [1]
    post(manager, f"/api/help/{case['id']}/assign", {"helper": "h001"})
    assert not any(a.kind == "help_escalated" for a in service.engine.list_alerts())


def test_the_daemon_tells_the_kiosk_who_is_coming() -> None:
    sent: list[dict[str, Any]] = []
    handlers: dict[str, Any] = {}
    link = SimpleNamespace(on_command=lambda name, fn: handlers.__setitem__(name, fn))
    Commands(link, printing=None, supervisor=None, maintenance=None, clock=None, terminal="kiosk-01",
             tell_kiosk=sent.append)  # a 帮办 answer needs only the link and the kiosk
    assert handlers["help_coming"]({"case_id": 7, "helper_name": "导办员小李"}) == {"told": True}
    assert sent == [{"event": "help_coming", "data": {"case_id": 7, "helper_name": "导办员小李"}}]
