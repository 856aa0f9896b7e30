"""The hall floor's staff screens in real headless Chromium (the app under uvicorn, a real
CenterService on a real Mosquitto): a clerk puts a 过号 back in line from the console, a hall
manager sends a helper to a 帮办, a clerk accepts a case with a 容缺 promise and records it kept."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from center.service import CenterService
from core.clock import FakeClock
from mqtt.contract import Event
from tests.browser_fixtures import browser, open_page, page_errors  # noqa: F401  (imported, not a plugin)
from tests.center_fixtures import take_printed
from tests.web_fixtures import clips_dir, clock, server, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import WebServer

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")]


def test_clerk_reactivates_a_no_show_with_one_touch(
        server: WebServer, open_page, service: CenterService, clock: FakeClock, tmp_path: Path) -> None:
    service.desk.sign_in("3", "s003")
    first = take_printed(service, "kiosk-01", {"category": "B"})
    take_printed(service, "kiosk-01", {"category": "B"})
    service.desk.call_next("3")
    clock.advance(60)
    service.desk.no_show("3")
    clock.advance(5 * 60)

    console = open_page(f"{server.url}/console?window=3", staff="s003")
    row = console.locator("#no-shows li", has_text=first["number"])
    expect(row).to_contain_text("还可恢复 25 分钟")
    expect(console.locator("#no-show-rule")).to_have_text("过号30分钟内可到窗口恢复，恢复后按原顺序叫号")
    console.screenshot(path=str(tmp_path / "console-no-shows.png"), full_page=True)
    row.locator("button").click()
    expect(console.locator("#message")).to_contain_text(f"{first['number']} 已恢复排队")
    expect(console.locator("#no-shows li")).to_have_text("无")
    expect(console.locator("#queue li .num").first).to_have_text(first["number"])
    console.keyboard.press("F1")
    expect(console.locator("#ticket-number")).to_have_text(first["number"])


def test_manager_sends_a_helper_and_a_clerk_records_a_promise_kept(
        server: WebServer, open_page, service: CenterService, clock: FakeClock) -> None:
    """The control room: a 帮办 assigned to a named helper; the console: a 容缺 case accepted
    with its 承诺书, then the material recorded as handed in."""
    service.events.apply("kiosk-01", "help_requested", Event(event_id="help-request-1", seq=1, ts=0.0,
                                                      data={"location": "一楼自助区 1 号机", "topic": "不会操作"}))
    control = open_page(f"{server.url}/control", staff="m001", height=1400)
    case = control.locator("#help-cases li.help")
    expect(case).to_contain_text("一楼自助区 1 号机 · 不会操作")
    case.locator("select").select_option("h001")
    case.locator('button[data-action="assign"]').click()
    expect(control.locator("#message")).to_contain_text("已派 导办员小李（h001） 前往")
    expect(case.locator(".badge")).to_have_text("已派人")

    service.desk.sign_in("1", "s001")
    take_printed(service, "kiosk-01", {"category": "A", "item_code": "A02"})
    console = open_page(f"{server.url}/console?window=1", staff="s001")
    expect(console.locator("#queue li .num").first).to_have_text("A001")
    console.keyboard.press("F1")
    expect(console.locator("#ticket-number")).to_have_text("A001")
    clock.advance(60)
    console.keyboard.press("F3")
    expect(console.locator("#window-state")).to_have_text("办理中")
    console.select_option("#item", "A02")
    console.locator("#deferred-materials input[value='契税完税凭证']").check()
    console.keyboard.press("F4")  # no 承诺书 yet: refused in plain words
    expect(console.locator("#message")).to_contain_text("容缺受理须生成办件并由群众签署承诺书")
    console.locator("#pledge").check()
    console.keyboard.press("F4")
    expect(console.locator("#message")).to_contain_text("容缺 1 项已登记承诺")
    row = console.locator("#promises li", has_text="契税完税凭证")
    expect(row).to_be_visible()
    expect(control.locator("#promises")).to_have_text("3 天内无到期承诺")  # due in 5 business days: not yet
    row.locator("button").click()
    expect(console.locator("#message")).to_contain_text("「契税完税凭证」已补交")
    expect(console.locator("#promises li")).to_have_text("无")


def test_the_control_room_lists_a_number_whose_print_was_never_confirmed(
        server: WebServer, open_page, service: CenterService, clock: FakeClock) -> None:
    """未出票: the kiosk took the number and died before its printer cut it; the control room
    names the number and the kiosk, and the number is never called."""
    ghost = service.requests.take_number("kiosk-02", {"category": "A"})  # no ticket_printed follows
    clock.advance(service.config.queue.print_confirm_s + 1)
    service.housekeeping.close_unprinted()
    control = open_page(f"{server.url}/control", staff="m001", height=1400)
    item = control.locator(f'#unprinted li[data-ticket="{ghost["ticket_id"]}"]')
    expect(item).to_contain_text(ghost["number"])
    expect(item).to_contain_text("kiosk-02 取号后未确认打印，未叫号")
    expect(control.locator("#unprinted-count")).to_have_text("今日 1 张")
