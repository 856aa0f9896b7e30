"""The center's web API over a real CenterService (real Mosquitto, temp SQLite, the demo
hall's config on a Monday 10:00 clock): pages, the console's actions and refusals, the
control room, remote commands, telemetry history, reports and /metrics."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from center.service import CenterService
from center.web import STATIC, create_app
from core.clock import FakeClock
from hallrig.staff_accounts import sign_in
from mqtt.contract import ErrorInfo, Event
from tests.center_fixtures import take_printed
from tests.conftest import wait_until
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import DAY, Kiosk, rate, serve

PAGES = {"/": 'data-t="index.title"', "/display": 'data-t="display.title"', "/console": 'data-t="console.title"',
         "/control": 'data-t="control.title"', "/reports": 'data-t="reports.title"', "/audit": 'data-t="audit.title"',
         "/login": 'data-t="login.title"'}


@pytest.fixture
def client(service: CenterService) -> Iterator[TestClient]:
    """Signed in as the hall manager (m001), who may act at any window and in the control room."""
    with TestClient(create_app(service, telemetry_period=0.05)) as c:
        sign_in(c, "m001")
        yield c


@pytest.fixture
def clerk(client: TestClient) -> TestClient:
    """Window 3's clerk (s003), signed in on a client of their own."""
    desk = TestClient(client.app)
    sign_in(desk, "s003")
    return desk


@pytest.fixture
def maintainer(client: TestClient) -> TestClient:
    """The maintainer (w001): terminals, their commands, /metrics from off the center's host."""
    ops = TestClient(client.app)
    sign_in(ops, "w001")
    return ops


def post(client: TestClient, path: str, body: dict | None = None, status: int = 200) -> dict:
    response = client.post(path, json=body or {})
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    return response.json()


def test_pages_are_utf8_html_with_local_assets_only(client: TestClient) -> None:
    for path, title in PAGES.items():
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert '<meta charset="utf-8">' in response.text and title in response.text
    strings = client.get("/i18n.js")  # the titles' (and every text's) words, in the hall's language
    assert strings.headers["content-type"] == "text/javascript; charset=utf-8"
    assert strings.text.startswith("const STRINGS = {") and '"console.title": "窗口叫号 · OneTrip"' in strings.text
    script = client.get("/static/console.js")
    assert script.status_code == 200 and "charset=utf-8" in script.headers["content-type"]
    for asset in STATIC.iterdir():
        text = asset.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"{asset.name} loads from outside the hall"
        assert "https://" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")


def test_console_runs_a_visit_and_refusals_are_plain_messages(clerk: TestClient, service: CenterService) -> None:
    client = clerk
    closed = post(client, "/api/windows/3/call", status=403)
    assert closed["error"] == "Forbidden" and closed["message"] == "您未在 3 号窗口签到，不能在该窗口操作"
    signed = post(client, "/api/windows/3/sign_in", {"staff": "s999"})  # a body cannot name someone else
    assert signed["window"]["state"] == "idle" and signed["window"]["staff"] == "s003"
    assert post(client, "/api/windows/3/call", status=409)["message"] == "当前没有等候的号"

    issued = take_printed(service, "kiosk-01", {"category": "B"})
    desk = client.get("/api/windows/3").json()
    assert [t["number"] for t in desk["queue"]] == [issued["number"]] == ["B001"]
    called = post(client, "/api/windows/3/call")
    assert called["result"]["number"] == "B001" and called["ticket"]["number"] == "B001"
    assert post(client, "/api/windows/3/recall")["result"]["kind"] == "recall"
    assert post(client, "/api/windows/3/start")["window"]["state"] == "serving"
    item = next(i.code for i in service.catalog.items if i.category == "B")
    finished = post(client, "/api/windows/3/finish", {"create_case": True, "item_code": item})
    assert finished["result"]["case"]["case_no"].startswith("20261123") and finished["result"]["case"]["item_code"] == item
    assert post(client, "/api/windows/3/rating")["result"] == {"prompted": "3"}
    assert post(client, "/api/windows/3/recall", status=409)["message"] == "当前状态为「空闲」，不能重呼"


def test_hold_call_back_transfer_and_pause(clerk: TestClient, service: CenterService) -> None:
    client = clerk
    post(client, "/api/windows/3/sign_in")
    take_printed(service, "kiosk-01", {"category": "C"})
    take_printed(service, "kiosk-01", {"category": "B"})
    post(client, "/api/windows/3/call")
    held = post(client, "/api/windows/3/hold")
    assert [t["number"] for t in held["held"]] == [held["result"]["number"]]
    assert client.get("/api/windows/2").json()["held"] == []  # held at window 3, called back there
    back = post(client, "/api/windows/3/call_back", {"ticket_id": held["held"][0]["id"]})
    assert back["result"]["kind"] == "call_back" and back["held"] == []
    moved = post(client, "/api/windows/3/transfer", {"category": "A"})
    assert moved["result"]["category"] == "A" and moved["window"]["state"] == "idle"
    nothing = post(client, "/api/windows/3/transfer", {"category": "A"}, status=409)  # no current ticket
    assert nothing["message"] == "当前状态为「空闲」，不能转移"
    assert any(t["number"] == moved["result"]["number"] for t in client.get("/api/windows/1").json()["queue"])
    assert post(client, "/api/windows/3/pause", {"reason": ""}, status=400)["message"] == "请填写暂停原因"
    assert post(client, "/api/windows/3/pause", {"reason": "会议"})["window"]["pause_reason"] == "会议"
    assert "暂停" in post(client, "/api/windows/3/call", status=409)["message"]
    assert post(client, "/api/windows/3/resume")["window"]["state"] == "idle"


def test_unknown_windows_actions_and_bad_bodies(client: TestClient) -> None:
    assert client.get("/api/windows/99").status_code == 404
    assert client.get("/api/windows/99").json()["message"] == "没有这个窗口"
    assert post(client, "/api/windows/3/dance", status=404)["error"] == "HTTPError"
    response = client.post("/api/windows/3/sign_in", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"] == "BadBody"


def test_control_room_acknowledges_alerts_and_steps_follow_ups(client: TestClient, service: CenterService,
                                                              clock: FakeClock) -> None:
    service.desk.sign_in("3", "s003")
    take_printed(service, "kiosk-01", {"category": "B"})
    serve(service, clock, "3", 30, 300)
    rate(service, 2, "3", ["等候时间长"])
    control = client.get("/api/control").json()
    [follow_up] = control["follow_ups"]
    assert follow_up["rating"]["level"] == 2 and follow_up["rating"]["reasons"] == ["等候时间长"]
    assert follow_up["rating"]["real_name"] is False and "citizen_key" not in follow_up["rating"]
    assert control["ratings"]["count"] == 1 and control["ratings"]["rate"] == 0.0
    assert control["refused_events"] == []
    service.events.refuse("kiosk-01", "rating", Event(event_id="e-refused-1", seq=1, ts=0, data={"ticket": "B009", "level": 5,
                                                                                 "citizen_key": "k" * 32}),
                   ErrorInfo(type="UnknownTicket", message="no ticket 'B009'"))
    [kept] = client.get("/api/control").json()["refused_events"]
    assert (kept["terminal"], kept["kind"], kept["error"]) == ("kiosk-01", "rating", "UnknownTicket")
    assert kept["payload"] == {"ticket": "B009", "level": 5, "citizen_key": "***"}  # masked before it was kept
    alert = next(a for a in control["alerts"] if a["kind"] == "bad_rating")
    acked = post(client, "/api/alerts/ack", {"kind": alert["kind"], "key": alert["key"], "by": "duty-1"})
    assert acked["acked_by"] == "m001"  # the signed-in manager, whatever a body claims

    url = f"/api/follow-ups/{follow_up['id']}"
    refused = post(client, f"{url}/close", {}, status=409)
    assert refused["message"] == "当前状态为「待整改」，不能关闭"
    assert post(client, f"{url}/return_visit", {"note": "已电话回访"})["steps"][-1]["note"] == "已电话回访"
    assert post(client, f"{url}/rectify", {})["state"] == "rectified"
    assert post(client, f"{url}/close", {})["state"] == "closed"
    assert post(client, f"{url}/fly", {}, status=400)["error"] == "BadRequest"
    assert client.get("/api/control").json()["follow_ups"] == []
    assert not [a for a in service.engine.list_alerts() if a.kind == "bad_rating"]


def test_terminals_telemetry_history_and_remote_commands(maintainer: TestClient, service: CenterService,
                                                         mqtt_settings, tmp_path: Path, clock: FakeClock) -> None:
    client = maintainer
    kiosk = Kiosk(mqtt_settings, tmp_path / "kiosk", clock).start()
    try:
        wait_until(lambda: len(service.link.terminals.get("kiosk-01").devices) == 2
                   if "kiosk-01" in service.link.terminals else False)
        def history() -> dict:
            return client.get("/api/telemetry/kiosk-01").json()

        def sampled(i: int) -> None:
            wait_until(lambda: len(history().get("system", {}).get("ts", [])) == i + 1)

        kiosk.telemetry(3, settle=sampled)
        series = history()
        assert len(series["printer"]["ts"]) == 3 and series["system"]["values"]["outbox_depth"] == [0, 1, 2]

        [terminal] = client.get("/api/control").json()["terminals"]
        assert terminal["online"] and terminal["role"] == "kiosk"
        assert terminal["devices"]["printer"]["model"] == "SIM-80" and terminal["devices"]["idcard"]["state"] == "degraded"
        assert terminal["devices"]["printer"]["stale"] is False

        assert post(client, "/api/terminals/kiosk-01/commands/test_page")["ok"] is True
        assert post(client, "/api/terminals/kiosk-01/commands/restart_driver", {"args": {"device": "idcard"}})["ok"]
        assert kiosk.commands == [("test_page", {}), ("restart_driver", {"device": "idcard"})]
        assert post(client, "/api/terminals/kiosk-01/commands/format_disk", status=404)["error"] == "HTTPError"
        assert post(client, "/api/terminals/kiosk-99/commands/rebirth", status=404)["error"] == "HTTPError"

        metrics = client.get("/metrics").text
        assert "onetrip_terminals_online 1" in metrics and 'onetrip_devices{state="degraded"} 1' in metrics
    finally:
        kiosk.stop()
    wait_until(lambda: not client.get("/api/control").json()["terminals"][0]["online"])
    devices = client.get("/api/control").json()["terminals"][0]["devices"]
    assert all(d["stale"] for d in devices.values())


def test_reports_percentiles_satisfaction_and_csv(client: TestClient, service: CenterService, clock: FakeClock) -> None:
    service.desk.sign_in("3", "s003")
    for _ in range(4):
        take_printed(service, "kiosk-01", {"category": "B"})
        clock.advance(60)
    # waits: B001 240 s, then 60 + 120 + 180 s later as each service ends (walk 30 s, serve 90/150/210 s)
    serve(service, clock, "3", 30, 90)
    rate(service, 5, "3")
    serve(service, clock, "3", 30, 150)
    rate(service, 2, "3", ["态度不好"])
    serve(service, clock, "3", 30, 210)
    serve(service, clock, "3", 60, 0, outcome="no_show")
    report = client.get(f"/api/reports?by=category&day={DAY}").json()
    b, total = report["rows"]
    assert b["key"] == "B" and b["label"] == "B 社保医保" and total["key"] == "total"
    assert (b["calls"], b["visits"], b["no_shows"], b["ratings"], b["satisfied"]) == (4, 3, 1, 2, 1)
    assert b["satisfaction"] == 0.5
    # waits 240, 300, 420, 600 s → p50 360 s = 6.0 min, p90 546 s = 9.1 min; services 90, 150, 210 s
    assert (b["wait_p50_min"], b["wait_p90_min"]) == (6.0, 9.1)
    assert (b["service_p50_min"], b["service_p90_min"]) == (2.5, 3.3)

    assert client.get(f"/api/reports?by=hour&day={DAY}").json()["rows"][0]["label"] == "10:00–11:00"
    assert client.get(f"/api/reports?by=staff&day={DAY}").json()["rows"][0]["key"] == "s003"
    assert client.get(f"/api/reports?by=window&day={DAY}").json()["rows"][0]["label"] == "3号窗口"
    assert client.get("/api/reports?by=category&day=2026-11-24").json()["rows"][-1]["calls"] == 0
    assert client.get("/api/reports?by=colour").status_code == 400
    assert client.get("/api/reports?day=yesterday").status_code == 400

    exported = client.get(f"/reports.csv?by=category&day={DAY}")
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"
    assert f"onetrip-report-category-{DAY}.csv" in exported.headers["content-disposition"]
    assert exported.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["分组", "名称", "呼叫次数"] and rows[1][:5] == ["B", "B 社保医保", "4", "3", "1"]
    assert rows[1][-1] == "50.0%" and rows[2][1] == "合计"


def test_metrics_are_prometheus_text(client: TestClient, clerk: TestClient, maintainer: TestClient,
                                     service: CenterService) -> None:
    """/metrics parses as Prometheus text: the hall's gauges and counters, both histograms, the process."""
    post(clerk, "/api/windows/3/sign_in")
    take_printed(service, "kiosk-01", {"category": "B"})
    take_printed(service, "kiosk-01", {"category": "B"})
    post(client, "/api/windows/3/call")
    response = maintainer.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain; version=")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    value = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert value["onetrip_tickets_waiting", (("category", "B"),)] == 1
    assert value["onetrip_tickets_issued_today", (("category", "B"),)] == 2
    assert families["onetrip_calls"].type == "counter" and value["onetrip_calls_total", (("kind", "call"),)] == 1
    assert value["onetrip_windows", (("state", "calling"),)] == 1 and value["onetrip_mqtt_connected", ()] == 1
    route = (("method", "POST"), ("route", "/api/windows/{window}/{action}"))
    assert families["onetrip_http_request_duration_seconds"].type == "histogram"
    assert value["onetrip_http_request_duration_seconds_count", route] == 2
    assert value["onetrip_http_request_duration_seconds_bucket", tuple(sorted((*route, ("le", "+Inf"))))] == 2
    assert value["onetrip_queue_wait_seconds_count", (("category", "B"),)] == 1  # the first B called
    assert value["process_resident_memory_bytes", ()] > 0
