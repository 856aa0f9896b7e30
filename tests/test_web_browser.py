"""The screens in real headless Chromium against the app under uvicorn, a real CenterService
on a real Mosquitto and a temp SQLite: a clerk signs in, calls with F1, the hall display
shows and voices the call, a rating reaches the control room and the reports.
Screenshots of every screen land in the test's tmp dir."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from center import audit
from center.db import audit_log
from center.service import CenterService
from core.clock import FakeClock
from mqtt.contract import ErrorInfo, Event
from tests.browser_fixtures import browser, open_page, page_errors  # noqa: F401  (imported, not a plugin)
from tests.center_fixtures import take_printed
from tests.conftest import wait_until
from tests.web_fixtures import clips_dir, clock, server, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import DAY, Kiosk, WebServer, rate, serve

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")]


def test_console_call_reaches_the_display_and_the_rating_the_reports(
        server: WebServer, open_page, service: CenterService, clock: FakeClock, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    display = open_page(f"{server.url}/display", 1920, 1080)
    expect(display.locator("#categories .cat")).to_have_count(len(service.catalog.categories))
    expect(display.locator("#hall")).to_have_text("示范市市民中心")

    console = open_page(f"{server.url}/console?window=3", staff="s003")
    expect(console.locator("#sign-in")).to_be_visible()
    expect(console.locator("#desk")).to_be_hidden()
    expect(console.locator("#sign-in-who")).to_contain_text("s003")
    console.click("#sign-in-form button")
    expect(console.locator("#desk")).to_be_visible()
    expect(console.locator("#staff")).to_have_text("工号 s003")

    console.keyboard.press("F1")  # nobody waits yet: the engine's refusal, in plain words
    expect(console.locator("#message")).to_contain_text("当前没有等候的号")
    expect(console.locator("#message")).not_to_contain_text("Traceback")

    ticket = take_printed(service, "kiosk-01", {"category": "B"})
    expect(console.locator("#queue li .num").first).to_have_text(ticket["number"])
    with display.expect_response(re.compile(r"/voice/\d+\.wav$")) as voice:
        console.keyboard.press("F1")
    expect(console.locator("#ticket-number")).to_have_text("B001")
    expect(console.locator("#message")).to_contain_text("已呼叫 B001")
    expect(display.locator("#now-number")).to_have_text("B001")
    expect(display.locator("#now-window")).to_have_text("请到 3号窗口 办理")
    assert voice.value.status in (200, 206) and voice.value.headers["content-type"] == "audio/wav"
    call_id = voice.value.url.rsplit("/", 1)[1].removesuffix(".wav")
    expect(display.locator("body")).to_have_attribute("data-voice-last", call_id)
    display.screenshot(path=str(shots / "display.png"))

    console.keyboard.press("F3")
    expect(console.locator("#window-state")).to_have_text("办理中")
    console.keyboard.press("F4")
    expect(console.locator("#message")).to_contain_text("B001 已办结，办件编号 20261123")
    console.keyboard.press("F9")
    expect(console.locator("#message")).to_contain_text("已邀请群众评价")
    console.screenshot(path=str(shots / "console.png"), full_page=True)
    rate(service, 5, "3")

    take_printed(service, "kiosk-02", {"category": "C"})
    serve(service, clock, "3", 40, 420)
    rate(service, 1, "3", ["办理时间太长"])

    service.events.refuse("kiosk-09", "rating", Event(event_id="e-bad-level", seq=3, ts=0, data={"window": "3", "level": 7}),
                   ErrorInfo(type="InvalidArgs", message="参数有误：评价等级（level）不符合要求"))  # as the link keeps it
    control = open_page(f"{server.url}/control", 1600, 1200, staff="m001")
    expect(control.locator("#who")).to_contain_text("值班长（m001）")
    expect(control.locator("#refused li").first).to_contain_text("kiosk-09 · 内容格式有误")
    expect(control.locator("#refused li .body").first).to_have_attribute("title", re.compile("评价等级（level）不符合要求"))
    expect(control.locator("#rating-summary")).to_have_text("2 条，满意率 50.0%")
    expect(control.locator("#windows .tile").nth(2)).to_contain_text("s003")
    follow_up = control.locator("#follow-ups li.follow-up")
    expect(follow_up).to_contain_text("办理时间太长")
    follow_up.locator("input").fill("已电话回访，致歉")
    follow_up.locator('button[data-action="return_visit"]').click()
    expect(control.locator("#message")).to_contain_text("已回访：已记录")
    [opened] = service.engine.open_follow_ups()
    assert [(s.kind, s.by, s.note) for s in opened.steps][-1] == ("return_visit", "m001", "已电话回访，致歉")
    alert = control.locator('#alerts li[data-kind="bad_rating"]')
    alert.locator("button").click()
    expect(alert).to_contain_text("m001 已确认")
    assert any(a.kind == "bad_rating" and a.acked_by == "m001" for a in service.engine.list_alerts())
    control.screenshot(path=str(shots / "control.png"), full_page=True)

    reports = open_page(f"{server.url}/reports?by=window&day={DAY}", 1600, 1000, staff="m001")
    row = reports.locator("#table tbody tr", has_text="3号窗口")
    expect(row.locator("td")).to_have_text(["3号窗口", "2", "2", "0", "0", re.compile(r"[\d.]+"), re.compile(r"[\d.]+"),
                                            re.compile(r"[\d.]+"), re.compile(r"[\d.]+"), "2", "50.0%"])
    expect(reports.locator("#chart-satisfaction svg rect.bar")).to_have_count(1)
    expect(reports.locator("#csv")).to_have_attribute("href", f"/reports.csv?by=window&from={DAY}&to={DAY}")
    reports.locator('#groups button[data-by="staff"]').click()
    expect(reports.locator("#table tbody tr").first.locator("td").first).to_have_text("s003")
    reports.screenshot(path=str(shots / "reports.png"), full_page=True)
    assert sorted(p.name for p in shots.iterdir()) == ["console.png", "control.png", "display.png", "reports.png"]


def test_control_room_shows_devices_and_sends_commands(
        server: WebServer, open_page, service: CenterService, clock: FakeClock, mqtt_settings, tmp_path: Path) -> None:
    kiosk = Kiosk(mqtt_settings, tmp_path / "kiosk", clock).start()
    history = server.app.state.web.history
    try:
        kiosk.telemetry(3, settle=lambda i: wait_until(
            lambda: len(history.terminal("kiosk-01").get("system", {}).get("ts", [])) == i + 1))
        control = open_page(f"{server.url}/control", 1600, 1200, staff="w001")
        terminal = control.locator('#terminals .terminal[data-terminal="kiosk-01"]')
        expect(terminal).to_contain_text("在线")
        expect(terminal.locator('tr[data-device="idcard"]')).to_contain_text("降级")
        expect(terminal.locator('tr[data-device="printer"] .spark path')).to_have_count(3)
        terminal.locator('button[data-command="test_page"]').click()
        expect(control.locator("#message")).to_contain_text("测试打印：终端已执行")
        terminal.locator('tr[data-device="idcard"] button[data-command="restart_driver"]').click()
        expect(control.locator("#message")).to_contain_text("重启 身份证阅读器：终端已执行")
        assert kiosk.commands == [("test_page", {}), ("restart_driver", {"device": "idcard"})]
    finally:
        kiosk.stop()
    expect(terminal).to_contain_text("离线", timeout=10_000)
    expect(terminal.locator('tr[data-device="printer"]')).to_contain_text("过期")


def test_staff_sign_in_lockout_own_window_csrf_expiry_and_the_audit_page(
        server: WebServer, open_page, service: CenterService, clock: FakeClock, tmp_path: Path) -> None:
    login = open_page(f"{server.url}/login")
    for attempt in range(service.config.staff.max_failures):
        login.fill("#staff-no", "s005")
        login.fill("#password", f"wrong-password-{attempt}")
        # each attempt waits for its own answer: the same text from the one before would pass at
        # once, and an earlier answer arriving last would overwrite "locked" on the page
        with login.expect_response(lambda r: r.url.endswith("/api/session") and r.request.method == "POST"):
            login.click("#sign-in button")
        expect(login.locator("#message")).to_contain_text(
            "已锁定" if attempt == service.config.staff.max_failures - 1 else "工号或密码错误")
    login.screenshot(path=str(tmp_path / "locked.png"))

    console = open_page(f"{server.url}/console?window=1", staff="s001")  # a clerk at their own window
    console.click("#sign-in-form button")
    expect(console.locator("#staff")).to_have_text("工号 s001")
    service.desk.sign_in("2", "s002")  # window 2 is s002's: s001 may look, not act
    take_printed(service, "kiosk-01", {"category": "A"})
    console.goto(f"{server.url}/console?window=2")
    expect(console.locator("#staff")).to_have_text("工号 s002")
    console.keyboard.press("F1")
    expect(console.locator("#message")).to_contain_text("您未在 2 号窗口签到，不能在该窗口操作")
    # a write without the session's CSRF token (what a page of another site would send) is refused
    status = console.evaluate("""async () => (await fetch('/api/windows/1/call', {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: '{}'})).status""")
    assert status == 403
    assert service.engine.window_states()[0].state.value == "idle"

    clock.advance(service.config.staff.session_idle_min * 60 + 1)  # the clerk walked away
    console.goto(f"{server.url}/console?window=1")
    console.wait_for_url(re.compile(r"/login\?next="))

    trail = open_page(f"{server.url}/audit", staff="a001")
    expect(trail.locator("#chain")).to_contain_text("完整")
    expect(trail.locator("#rows tr", has_text="拒绝：请求来源校验失败")).to_have_count(1)
    first = audit.latest(service.db, 1000)[-1]
    with service.db.engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == first.id).values(staff_no="nobody"))
    trail.reload()
    expect(trail.locator("#chain")).to_contain_text(f"已被篡改：第 {first.id} 条起校验失败")
    trail.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
