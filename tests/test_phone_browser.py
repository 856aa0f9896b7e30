"""The citizen's phone in real headless Chromium with mobile emulation (a small Android,
360×640, and an iPhone): the QR code of a printed ticket, read by a real decoder, opens the
page; the place in the queue moves live; the near-turn notice; the call; the service; the
rating, and a second one refused; every other state; forged and expired tokens.

Screenshots go to the test's tmp dir, or with ONETRIP_PHONE_SHOTS=1 to docs/img/phone/."""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from center.queue_errors import TooEarly
from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from core.config import MqttSettings
from hallrig.staff_accounts import DEMO_APPOINTMENT_KEY
from mqtt.broker import free_port
from tests.center_fixtures import take_printed
from tests.phone_helpers import Receiver, phone_service, printed_png, read_qr, ticket_job
from tests.queue_helpers import TZ
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import CHROMIUM_ARGS, WebServer, rate

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")]

DEVICES = {"android": "Galaxy S5", "iphone": "iPhone 13"}
DOCS = Path(__file__).resolve().parent.parent / "docs" / "img" / "phone"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = DOCS if os.environ.get("ONETRIP_PHONE_SHOTS") else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


@pytest.fixture
def hall(tmp_path: Path, mqtt_settings: MqttSettings, clock: FakeClock, clips_dir: Path,
         receiver: Receiver) -> Iterator[tuple[CenterService, WebServer]]:
    """The center with its QR codes pointing at the test server, and the hall's webhook receiver."""
    port = free_port()
    svc = phone_service(tmp_path / "center", mqtt_settings, clips_dir, clock, base_url=f"http://127.0.0.1:{port}",
                        webhook_url=receiver.url)
    svc.start()
    server = WebServer(create_app(svc, telemetry_period=0.05), port).start()
    yield svc, server
    server.stop()
    svc.stop()


@pytest.fixture(params=list(DEVICES))
def phone(request: pytest.FixtureRequest, playwright: Playwright,
          browser: Browser) -> Iterator[tuple[str, BrowserContext]]:
    device = {k: v for k, v in playwright.devices[DEVICES[request.param]].items() if k != "default_browser_type"}
    device["device_scale_factor"] = 2  # sharp enough for the docs, half the bytes of 3
    context = browser.new_context(**device, locale="zh-CN")
    context.grant_permissions(["notifications"])
    errors: list[str] = []
    context.on("weberror", lambda e: errors.append(str(e.error)))
    yield request.param, context
    context.close()
    assert errors == []


def scan(svc: CenterService, clock: FakeClock, tmp_path: Path, category: str = "A") -> str:
    """Take a number at the kiosk, print it, and read its QR code as the phone's camera would."""
    answer = take_printed(svc, "kiosk-01", {"category": category})
    png = printed_png(ticket_job(answer, svc.catalog.header.hall, clock), tmp_path / f"{answer['number']}.png")
    [url] = read_qr(png)
    return url


def serve(svc: CenterService, window: str = "1") -> None:
    svc.desk.call_next(window)
    svc.desk.start(window)
    svc.desk.finish(window)


def test_scan_wait_called_served_rated(hall: tuple[CenterService, WebServer], phone: tuple[str, BrowserContext],
                                       clock: FakeClock, tmp_path: Path, shots: Path, receiver: Receiver) -> None:
    svc, _ = hall
    name, context = phone
    svc.desk.sign_in("1", "s001")
    for _ in range(3):
        take_printed(svc, "kiosk-01", {"category": "A"})
    url = scan(svc, clock, tmp_path)
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#number")).to_have_text("A004")
    expect(page.locator("#state-big")).to_have_text("您前面还有 3 人")
    expect(page.locator("#state-text")).to_contain_text("预计等候")
    expect(page.locator("#live")).to_have_text("实时更新中")
    expect(page.locator("#hall")).to_have_text("示范市市民中心")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # no sideways scroll
    page.screenshot(path=str(shots / f"{name}-waiting.png"))

    page.select_option("#near-ahead", "1")
    page.click("#near-set")
    expect(page.locator("#near-state")).to_contain_text("前面剩 1 人时提醒您")
    serve(svc)
    expect(page.locator("#state-big")).to_have_text("您前面还有 2 人")  # live, no reload
    expect(page.locator("#state-more")).to_contain_text("当前叫号 A001")
    serve(svc)
    expect(page.locator("#notice")).to_have_text("快到您了！前面还有 1 人，请回到等候区。")
    assert [body["kind"] for _, body, _ in receiver.received] in ([], ["near_turn"])
    page.wait_for_function("document.body.dataset.notified")
    page.screenshot(path=str(shots / f"{name}-near.png"))

    serve(svc)
    svc.desk.call_next("1")
    expect(page.locator("#state-big")).to_have_text("请到 1号窗口 办理")
    expect(page.locator("#notice")).to_contain_text("请到 1号窗口 办理 · A004")
    page.screenshot(path=str(shots / f"{name}-called.png"))
    assert [body["kind"] for _, body, _ in receiver.received][:2] in (["near_turn"], ["near_turn", "called"])

    svc.desk.start("1")
    expect(page.locator("#state-big")).to_have_text("1号窗口 办理中")
    page.screenshot(path=str(shots / f"{name}-serving.png"))
    svc.desk.finish("1")
    expect(page.locator("#state-title")).to_have_text("业务已办结")
    expect(page.locator("#rate")).to_be_visible()
    expect(page.locator("#levels button")).to_have_text(["★★★★★ 非常满意", "★★★★ 满意", "★★★ 基本满意", "★★ 不满意",
                                                         "★ 非常不满意"])
    stale = context.new_page()  # the same ticket on a phone whose live link is down: its form stays
    stale.route("**/events", lambda route: route.abort())
    stale.goto(url)
    expect(stale.locator("#rate")).to_be_visible()

    page.click('#levels button[data-level="2"]')
    expect(page.locator("#reasons")).to_be_visible()
    page.screenshot(path=str(shots / f"{name}-rate.png"), full_page=True)
    page.click("#rate-send")
    expect(page.locator("#rate-message")).to_have_text("选择“不满意”或“非常不满意”时，请选择或填写原因")
    page.check('#reason-tags input[value="等候时间太长"]')
    page.fill("#reason-text", "叫号太慢")
    page.click("#rate-send")
    expect(page.locator("#rated-text")).to_contain_text("您的评价：★★ 不满意")
    expect(page.locator("#rate")).to_be_hidden()
    page.screenshot(path=str(shots / f"{name}-rated.png"))
    [follow_up] = svc.engine.open_follow_ups()
    assert follow_up.state == "open"

    stale.click('#levels button[data-level="5"]')
    stale.click("#rate-send")
    expect(stale.locator("#rated-note")).to_have_text("这次服务已经评价过了（一次一评），感谢您的反馈")
    expect(stale.locator("#rated-text")).to_contain_text("不满意")
    stale.screenshot(path=str(shots / f"{name}-second-rating.png"))
    with pytest.raises(Exception, match="already been rated"):
        rate(svc, 5, "1")  # the window's pad too

    close = svc.engine.close_moment(date(2026, 11, 23))
    clock.advance(close - clock.time())
    page.reload()
    expect(page.locator("#refused-text")).to_have_text("二维码已过期：凭条在当天闭馆后失效，如需办理请重新取号")
    page.screenshot(path=str(shots / f"{name}-expired.png"))
    forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    page.goto(forged)
    expect(page.locator("#refused-text")).to_have_text("二维码无效：请扫描本大厅打印的排队凭条上的二维码")
    page.screenshot(path=str(shots / f"{name}-forged.png"))


def test_every_other_state_english_and_elder(hall: tuple[CenterService, WebServer], phone: tuple[str, BrowserContext],
                                             clock: FakeClock, tmp_path: Path, shots: Path) -> None:
    svc, _ = hall
    name, context = phone
    svc.desk.sign_in("1", "s001")
    urls = [scan(svc, clock, tmp_path) for _ in range(4)]
    pages: list[Page] = []
    for url in urls:
        pages.append(context.new_page())
        pages[-1].goto(url)
    held, missed, cancelled, closed = pages
    expect(closed.locator("#state-big")).to_have_text("您前面还有 3 人")

    svc.desk.call_next("1")
    svc.desk.hold("1")
    expect(held.locator("#state-big")).to_have_text("1号窗口 已挂起您的号")
    held.screenshot(path=str(shots / f"{name}-held.png"))

    svc.desk.call_next("1")
    svc.desk.no_show("1")
    expect(missed.locator("#state-title")).to_have_text("您已过号")
    expect(missed.locator("#state-text")).to_contain_text("过号后 30 分钟内（10:30 前）可恢复排队")
    missed.screenshot(path=str(shots / f"{name}-no-show.png"))
    missed.click("#reactivate")
    expect(missed.locator("#state-title")).to_have_text("等候中")

    svc.engine.cancel(svc.engine.find_ticket("A003").id, "凭条未能打印")
    svc.publishing.queue_changed()
    expect(cancelled.locator("#state-title")).to_have_text("此号已作废")
    cancelled.screenshot(path=str(shots / f"{name}-cancelled.png"))

    closed.click("#lang")
    expect(closed.locator("#state-big")).to_have_text("1 person ahead of you")  # A002 came back before it
    closed.click("#elder")
    expect(closed.locator("body")).to_have_class("elder")
    expect(closed.locator("#live")).to_have_text("Live")
    size = closed.evaluate("parseFloat(getComputedStyle(document.querySelector('#state-text')).fontSize)")
    assert size >= 18
    closed.screenshot(path=str(shots / f"{name}-english-elder.png"), full_page=True)
    closed.click("#lang")
    closed.screenshot(path=str(shots / f"{name}-elder.png"), full_page=True)

    clock.advance(svc.engine.close_moment(date(2026, 11, 23)) - clock.time())
    svc.housekeeping.close_day()
    expect(closed.locator("#state-title")).to_have_text("今日已闭馆")  # the stream's last view, then it expires
    expect(closed.locator("#expires")).to_have_text("本凭条的链接已随闭馆失效。")
    expect(closed.locator("#state-title")).to_have_text("今日已闭馆")
    closed.screenshot(path=str(shots / f"{name}-day-closed.png"))


def test_the_booking_page_moves_and_cancels(hall: tuple[CenterService, WebServer], phone: tuple[str, BrowserContext],
                                            clock: FakeClock, shots: Path, tmp_path: Path) -> None:
    svc, server = hall
    name, context = phone
    booked = httpx.post(f"{server.url}/api/appointments", headers={"Authorization": f"Bearer {DEMO_APPOINTMENT_KEY}"},
                        json={
        "category": "A", "citizen_key": "c0ffee" * 5 + "ab", "slot_start": "2026-11-23T14:00:00",
        "slot_end": "2026-11-23T14:30:00"}).json()
    page = context.new_page()
    page.goto(booked["page"])
    expect(page.locator("#b-state")).to_have_text("预约成功")
    expect(page.locator("#b-slot")).to_contain_text("14:00–14:30")
    expect(page.locator("#b-qr svg")).to_be_visible()
    page.screenshot(path=str(shots / f"{name}-booking.png"), full_page=True)
    # the phone's check-in QR, as the kiosk's scanner reads it: the booking's own code
    page.locator("#b-qr").screenshot(path=str(tmp_path / "qr.png"))
    assert read_qr(tmp_path / "qr.png") == [booked["code"]]
    with pytest.raises(TooEarly):  # the center knows that booking: it is just too early for 14:00
        svc.requests.check_in("kiosk-01", {"code": booked["code"]})
    page.select_option("#b-slots", index=0)
    page.click("#b-move")
    expect(page.locator("#b-message")).to_have_text("已改约。")
    expect(page.locator("#b-slot")).to_contain_text("11:00–11:30")  # the first: 60 min after the clock's 10:00
    assert svc.engine.appointment(booked["code"]).slot_start == datetime(2026, 11, 23, 11, tzinfo=TZ).timestamp()
    page.once("dialog", lambda d: d.accept())
    page.click("#b-cancel")
    expect(page.locator("#b-state")).to_have_text("预约已取消")
    page.screenshot(path=str(shots / f"{name}-booking-cancelled.png"))
