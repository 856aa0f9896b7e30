"""The citizen's phone routes over a real CenterService (real Mosquitto, temp SQLite, the demo
hall on a Monday 10:00 clock): the QR code of a printed ticket read back by a real decoder
opens the ticket page; forged and expired tokens are refused; 扫码评价 with one rating per
service across channels; the per-address rate limit; the near-turn webhook to a local
receiver; the config's refusals."""
from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from center.config import CenterConfig
from center.main import web_app
from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from core.config import MqttSettings, parse_config
from core.errors import ConfigError
from hallrig.staff_accounts import DEMO_APPOINTMENT_KEY, sign_in
from mqtt.broker import free_port
from tests.center_fixtures import take_printed
from tests.conftest import wait_until
from tests.phone_helpers import Receiver, phone_service, printed_png, read_qr, ticket_job
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import rate

PERSONAL = ("citizen_key", "ref", "ticket_ref", "terminal", "id", "ticket_id", "priority")


@pytest.fixture
def client(service: CenterService) -> Iterator[TestClient]:
    with TestClient(create_app(service, telemetry_period=0.05)) as c:
        yield c


def take(service: CenterService, category: str = "A") -> dict:
    return take_printed(service, "kiosk-01", {"category": category, "citizen_key": "c0ffee" * 5 + "ab"})


def path_of(url: str) -> str:
    return urlsplit(url).path


def api_of(url: str) -> str:
    return path_of(url).replace("/m/t/", "/m/api/t/")


def serve_to_the_end(service: CenterService, window: str = "1") -> None:
    service.desk.call_next(window)
    service.desk.start(window)
    service.desk.finish(window)


@pytest.mark.parametrize("raster", [False, True], ids=["text", "raster"])
def test_the_printed_qr_code_opens_the_ticket_page(client: TestClient, service: CenterService, clock: FakeClock,
                                                  tmp_path: Path, raster: bool) -> None:
    service.desk.sign_in("1", "s001")
    take(service)
    answer = take(service)
    png = printed_png(ticket_job(answer, service.catalog.header.hall, clock), tmp_path / "ticket.png", raster)
    [url] = read_qr(png)
    assert url == answer["qr"] and url.startswith("http://127.0.0.1:8080/m/t/")  # the demo's base_url
    assert answer["number"] not in url and f":{answer['ticket_id']}" not in url  # nothing sequential in it
    page = client.get(path_of(url))
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "排队进度" in page.text and page.headers["referrer-policy"] == "no-referrer"
    view = client.get(api_of(url)).json()
    assert (view["number"], view["state"], view["ahead"], view["category_name"]) == ("A002", "waiting", 1, "不动产登记")
    assert view["wait_min"] is not None and view["window_area"] and view["last_called"] is None
    assert not set(PERSONAL) & set(view) and "c0ffee" not in str(view)
    assert view["expires"] == service.engine.close_moment(date(2026, 11, 23))


def test_forged_and_expired_tokens_are_refused(client: TestClient, service: CenterService, clock: FakeClock) -> None:
    url = take(service)["qr"]
    body, _, mac = path_of(url).rpartition(".")
    forged = [f"{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}",    # another MAC
              body.replace("/m/t/t", "/m/t/tX") + f".{mac}",          # another ticket, the same MAC
              path_of(url).replace("/m/t/t", "/m/b/b"),               # a ticket's token as a booking's
              "/m/t/t1.zzzz.AAAAAAAAAAAAAAAAAAAAAA", "/m/t/nonsense"]
    for path in forged:
        api = path.replace("/m/t/", "/m/api/t/").replace("/m/b/", "/m/api/t/")
        refused = client.get(api)
        assert refused.status_code == 403, path
        assert refused.json() == {"error": "ForgedToken", "message": "二维码无效：请扫描本大厅打印的排队凭条上的二维码"}
    assert client.get(forged[0]).status_code == 403  # the page too, and it says why in words
    assert client.get(api_of(url)).status_code == 200
    clock.advance(service.engine.close_moment(date(2026, 11, 23)) - clock.time())
    expired = client.get(api_of(url))
    assert expired.status_code == 410 and expired.json()["error"] == "ExpiredToken"
    assert "闭馆后失效" in expired.json()["message"]
    assert client.get(path_of(url)).status_code == 410
    assert client.post(api_of(url) + "/rating", json={"level": 5}).status_code == 410


def test_a_token_from_another_hall_key_is_forged(tmp_path: Path, mqtt_settings: MqttSettings, clock: FakeClock,
                                                 clips_dir: Path, service: CenterService) -> None:
    url = take(service)["qr"]
    other = phone_service(tmp_path / "other", mqtt_settings, clips_dir, clock)
    with TestClient(create_app(other)) as c:
        assert c.get(api_of(url)).json()["error"] == "ForgedToken"


def test_rating_by_phone_once_across_channels(client: TestClient, service: CenterService) -> None:
    service.desk.sign_in("1", "s001")
    url = take(service)["qr"]
    assert client.post(api_of(url) + "/rating", json={"level": 5}).json()["error"] == "NotRateable"
    serve_to_the_end(service)
    assert client.get(api_of(url)).json()["rateable"] is True
    bad = client.post(api_of(url) + "/rating", json={"level": 2})
    assert bad.status_code == 409 and bad.json()["message"] == "选择“不满意”或“非常不满意”时，请选择或填写原因"
    assert client.post(api_of(url) + "/rating", json={"level": 6}).status_code == 400
    deep = client.post(api_of(url) + "/rating", content=b"[" * 2000 + b"]" * 2000)
    assert deep.status_code == 400 and deep.json()["error"] == "BadRequest"  # never a 500
    huge = client.post(api_of(url) + "/rating", json={"level": 5, "text": "办" * 4096})
    assert huge.status_code == 413 and huge.json()["message"] == "请求内容过大"
    done = client.post(api_of(url) + "/rating", json={"level": 2, "reasons": ["等候时间太长", "不在列表里的"],
                                                     "text": "叫号太慢"})
    assert done.json() == {"ok": True, "level": 2, "words": "不满意", "follow_up": True}
    again = client.post(api_of(url) + "/rating", json={"level": 5})
    assert again.status_code == 409
    assert again.json() == {"error": "AlreadyRated", "message": "这次服务已经评价过了（一次一评），感谢您的反馈"}
    view = client.get(api_of(url)).json()
    assert view["rateable"] is False and view["rating"]["level"] == 2
    [follow_up] = service.engine.open_follow_ups()  # a 差评 from the phone opens the same follow-up as a pad's
    sign_in(client, "m001")  # the control room is the hall manager's
    [rating] = [r for r in client.get("/api/control").json()["ratings"]["latest"] if r["level"] == 2]
    assert rating["channel"] == "qr" and rating["reasons"] == ["等候时间太长", "叫号太慢"]
    assert any(a.kind == "bad_rating" for a in service.engine.list_alerts())
    with pytest.raises(Exception, match="already been rated"):
        rate(service, 5, "1")  # the window's pad comes second: refused


def test_a_pad_rating_first_refuses_the_phone(client: TestClient, service: CenterService) -> None:
    service.desk.sign_in("1", "s001")
    url = take(service)["qr"]
    serve_to_the_end(service)
    rate(service, 4, "1")
    view = client.get(api_of(url)).json()
    assert (view["rateable"], view["rating"]["words"]) == (False, "满意")
    assert client.post(api_of(url) + "/rating", json={"level": 5}).json()["error"] == "AlreadyRated"


def test_every_state_is_worded_by_the_view(client: TestClient, service: CenterService, clock: FakeClock) -> None:
    service.desk.sign_in("1", "s001")
    urls = [take(service)["qr"] for _ in range(3)]
    state = lambda i: client.get(api_of(urls[i])).json()  # noqa: E731
    service.desk.call_next("1")
    assert (state(0)["state"], state(0)["window_name"], state(1)["ahead"]) == ("called", "1号窗口", 0)
    assert state(1)["last_called"] == state(0)["number"]
    service.desk.no_show("1")
    missed = state(0)
    assert missed["state"] == "no_show" and missed["reactivate_open"] is True
    assert missed["reactivate_until"] == clock.time() + 30 * 60
    assert client.post(api_of(urls[0]) + "/reactivate").json() == {"ok": True}
    assert state(0)["state"] == "waiting"
    service.desk.call_next("1")
    service.desk.hold("1")
    assert (state(0)["state"], state(0)["window"]) == ("held", "1")
    service.desk.call_next("1")
    service.desk.no_show("1")
    clock.advance(31 * 60)
    assert state(1)["reactivate_open"] is False
    assert client.post(api_of(urls[1]) + "/reactivate").json()["error"] == "ReactivationExpired"
    service.desk.call_next("1")
    service.desk.start("1")
    assert state(2)["state"] == "serving"
    urls.append(take(service)["qr"])
    service.engine.cancel(service.engine.find_ticket("A004").id, "paper out")
    assert state(3)["state"] == "cancelled"
    citizen = next(r.app for r in client.app.routes if getattr(r, "path", "") == "/m").state.citizen
    close = service.engine.close_moment(date(2026, 11, 23))
    clock.advance(close - clock.time())
    service.housekeeping.close_day()  # the token expires at this moment; the open page's stream sends this last view
    claim = service.phone.signer.verify(path_of(urls[2]).rsplit("/", 1)[1], close - 1, "t")
    assert citizen.view(service.engine.find_ticket("A003").id, claim)["state"] == "day_closed"


def test_public_routes_are_rate_limited_per_address(tmp_path: Path, mqtt_settings: MqttSettings, clock: FakeClock,
                                                    clips_dir: Path) -> None:
    svc = phone_service(tmp_path, mqtt_settings, clips_dir, clock, requests_per_min=6, trusted_proxies=["10.0.0.0/8"])
    with TestClient(create_app(svc), client=("10.1.2.3", 5000)) as c:  # the hall's reverse proxy
        url = take_printed(svc, "kiosk-01", {"category": "A"})["qr"]
        phone_a, phone_b = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9, 10.0.0.2"}
        assert [c.get(api_of(url), headers=phone_a).status_code for _ in range(7)] == [200] * 6 + [429]
        limited = c.get(path_of(url), headers=phone_a)
        assert limited.status_code == 429 and limited.json()["message"] == "访问过于频繁，请稍后再试"
        assert limited.headers["retry-after"] == "10"
        assert c.get(api_of(url), headers=phone_b).status_code == 200  # another phone is not held back
        assert c.get("/api/windows", headers=phone_a).status_code == 401  # a staff route: signed in, not limited
        clock.advance(10)  # one request a minute / per_min comes back
        assert [c.get(api_of(url), headers=phone_a).status_code for _ in range(2)] == [200, 429]


def test_near_turn_webhook_reaches_a_local_receiver(tmp_path: Path, mqtt_settings: MqttSettings, clock: FakeClock,
                                                    clips_dir: Path) -> None:
    with Receiver() as receiver:
        svc = phone_service(tmp_path, mqtt_settings, clips_dir, clock, webhook_url=receiver.url,
                            webhook_secret="s3cret")
        svc.start()
        try:
            with TestClient(create_app(svc)) as c:
                svc.desk.sign_in("1", "s001")
                for _ in range(3):
                    take_printed(svc, "kiosk-01", {"category": "A"})
                url = take_printed(svc, "kiosk-01", {"category": "A"})["qr"]
                assert c.post(api_of(url) + "/near", json={"ahead": 0}).status_code == 400
                assert c.post(api_of(url) + "/near", json={"ahead": 1}).json() == {"ok": True, "near": 1}
                assert c.get(api_of(url)).json()["near"] == 1
                serve_to_the_end(svc)
                svc.near_turn.check()
                assert receiver.received == []  # 2 ahead: nothing to tell yet
                serve_to_the_end(svc)
                wait_until(lambda: len(receiver.received) == 1)
                headers, body, raw = receiver.received[0]
                assert body["kind"] == "near_turn"
                assert (body["number"], body["ahead"], body["threshold"]) == ("A004", 1, 1)
                assert body["page"] == url and body["category_name"] == "不动产登记" and body["day"] == "2026-11-23"
                mac = hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
                assert headers["x-onetrip-signature"] == f"sha256={mac}"
                serve_to_the_end(svc)
                svc.desk.call_next("1")
                wait_until(lambda: len(receiver.received) == 2)
                assert receiver.received[1][1]["kind"] == "called"
                assert (receiver.received[1][1]["window"], receiver.received[1][1]["window_name"]) == ("1", "1号窗口")
                svc.desk.start("1")
                svc.near_turn.check()
                assert svc.near_turn.watched(svc.engine.find_ticket("A004").id) is None  # served: forgotten
        finally:
            svc.stop()


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("base_url", "http://zwfw.example.gov.cn", "https:// URL is expected"),
    ("base_url", "https://zwfw.example.gov.cn/?x=1", "no query"),
    ("port", 70000, "less than or equal to 65535"),
    ("trusted_proxies", ["10.0.0.300/8"], "does not appear to be an IPv4 or IPv6 network"),
    ("webhook_url", "ftp://sms.example", "http:// or https://"),
])
def test_citizen_web_config_refusals_name_file_and_key(key: str, value: object, expected: str) -> None:
    data = {"windows": {"1": {"name": "1号窗口", "categories": ["A"]}}, "citizen_web": {key: value}}
    with pytest.raises(ConfigError, match=rf"^config/hall.toml: citizen_web\.{key}(\.0)? = .*{expected}"):
        parse_config(data, CenterConfig, "config/hall.toml", environ={})


def test_the_public_routes_on_their_own_port_expose_nothing_else(tmp_path: Path, mqtt_settings: MqttSettings,
                                                                clock: FakeClock, clips_dir: Path) -> None:
    """`[citizen_web] port`: one server, two addresses; the console is not on the public one."""
    staff_port, public_port = free_port(), free_port()
    svc = phone_service(tmp_path, mqtt_settings, clips_dir, clock, staff_port, port=public_port,
                        base_url=f"http://127.0.0.1:{public_port}")
    app, web, binds = web_app(svc)
    assert binds == [("127.0.0.1", staff_port), ("127.0.0.1", public_port)]
    sockets = [uvicorn.Config(app, host=h, port=p, log_config=None).bind_socket() for h, p in binds]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started)
        url = take_printed(svc, "kiosk-01", {"category": "A"})["qr"]
        assert url.startswith(f"http://127.0.0.1:{public_port}/m/t/")
        assert httpx.get(url.replace("/m/t/", "/m/api/t/")).json()["number"] == "A001"
        for staff_only in ("/console", "/api/windows", "/api/control", "/metrics", "/static/console.js"):
            assert httpx.get(f"http://127.0.0.1:{public_port}{staff_only}").status_code == 404, staff_only
            assert httpx.get(f"http://127.0.0.1:{staff_port}{staff_only}").status_code != 404, staff_only
        assert httpx.get(url.replace(str(public_port), str(staff_port))).status_code == 404  # not mounted twice
    finally:
        web.close_streams()
        server.should_exit = True
        thread.join(5)
        svc.db.dispose()


def test_the_citizen_port_must_not_be_the_consoles() -> None:
    data = {"windows": {"1": {"name": "1号窗口", "categories": ["A"]}}, "web": {"port": 8080},
            "citizen_web": {"port": 8080}}
    with pytest.raises(ConfigError, match="citizen_web.port must differ from web.port"):
        parse_config(data, CenterConfig, "config/hall.toml", environ={})


def book(client: TestClient, hour: int, minute: int = 0, key: str = "c0ffee" * 5 + "ab") -> dict:
    return client.post("/api/appointments", headers={"Authorization": f"Bearer {DEMO_APPOINTMENT_KEY}"}, json={
        "category": "A", "citizen_key": key, "slot_start": f"2026-11-23T{hour:02}:{minute:02}:00",
        "slot_end": f"2026-11-23T{hour:02}:{minute + 30:02}:00"}).json()


def test_the_booking_page_moves_and_cancels_with_clear_refusals(client: TestClient, service: CenterService,
                                                                clock: FakeClock) -> None:
    booked = book(client, 14)
    assert booked["page"].startswith("http://127.0.0.1:8080/m/b/b")
    api = path_of(booked["page"]).replace("/m/b/", "/m/api/b/")
    assert client.get(path_of(booked["page"])).status_code == 200
    view = client.get(api).json()
    assert (view["state"], view["changeable"], view["category_name"]) == ("booked", True, "不动产登记")
    assert "<svg" in view["qr_svg"] and "c0ffee" not in str(view)
    assert view["slots"][0]["start"] == clock.time() + 3600  # from change_until_min (60) on
    for key in range(10):  # the hall's slot_capacity: 15:00 is full
        book(client, 15, key=f"{key:032x}")
    full = client.post(api + "/move", json={"slot_start": "2026-11-23T15:00:00+08:00"})
    assert full.status_code == 409 and full.json()["message"] == "该时段已约满，请选择其他时段"
    assert "2026-11-23T15:00" not in str([s["start"] for s in client.get(api).json()["slots"]])
    moved = client.post(api + "/move", json={"slot_start": "2026-11-23T16:00:00+08:00"}).json()
    assert moved["slot_start"] == service.engine.appointment(booked["code"]).slot_start
    assert moved["page"] == booked["page"]  # the same day: the same token (a move to another day gets its own)
    assert client.get(api.replace("/m/api/b/", "/m/api/t/")).json()["error"] == "ForgedToken"  # kinds do not mix
    clock.advance(5.5 * 3600)  # 15:30: the 16:00 slot is too close
    late = client.post(api + "/cancel")
    assert late.status_code == 409 and late.json()["error"] == "ChangeTooLate"
    assert client.get(api).json()["changeable"] is False
    other = book(client, 17)
    cancelled = client.post(path_of(other["page"]).replace("/m/b/", "/m/api/b/") + "/cancel").json()
    assert cancelled["state"] == "cancelled" and cancelled["qr_svg"]
    again = client.post(path_of(other["page"]).replace("/m/b/", "/m/api/b/") + "/cancel")
    assert again.json()["message"] == "该预约已签到、取消或过期，不能再更改"
