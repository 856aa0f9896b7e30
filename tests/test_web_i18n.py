"""One language per screen: every text of the staff screens and the hall display comes from the
table (center/i18n.py), the center's own words (alert details, a clerk's refusals, CSV
headings) included. In real Chromium, signed in, over a busy morning: the Chinese pages show no
untranslated key and no English word."""
from __future__ import annotations

import re
import string
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from center import i18n
from center.queue_errors import AppointmentMissed, InvalidTransition, NumberAlreadyHeld, TooEarly
from center.service import CenterService
from center.staff import BadCredentials, PasswordRejected, Role, role_name
from center.web import create_app, error_body
from core.clock import FakeClock
from kiosk.i18n import STRINGS as KIOSK
from kiosk.i18n import Translator
from tests.browser_fixtures import browser, open_page, page_errors  # noqa: F401  (imported, not a plugin)
from tests.web_fixtures import busy_hall, clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import DAY, WebServer, hall_config

KEY = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)*(?:\.[A-Za-z0-9_]+)+\b")  # what t() shows for a key not in the table
# Latin letters a Chinese screen may show: the product's name, units and tags of the trade, and
# the hall's own codes (numbers A001, staff s003, terminals kiosk-01, device models SIM-80).
ALLOWED = {"OneTrip", "CSV", "CPU", "MB", "P50", "P90"}
CODES = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z]+-[A-Za-z0-9]+|[A-Za-z]\d+)(?![A-Za-z0-9])")
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{2,}")


def foreign(text: str) -> list[str]:
    return sorted({w for w in WORD.findall(CODES.sub(" ", text)) if w not in ALLOWED})


def test_the_table_has_both_languages_and_the_same_placeholders() -> None:
    fields = lambda text: sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)  # noqa: E731
    for key, (zh, en) in i18n.STRINGS.items():
        assert zh.strip() and en.strip(), key
        assert fields(zh) == fields(en), key
        assert KEY.fullmatch(key), key


def test_a_clerk_reads_refusals_in_the_halls_words() -> None:
    refused = error_body(InvalidTransition("ticket A001", "no_show", "call_back"))
    assert refused["message"] == "当前状态为「过号」，不能回呼"
    assert error_body(InvalidTransition("window 3", "idle", "call a ticket back"))["message"] == "当前状态为「空闲」，不能回呼"
    assert error_body(InvalidTransition("case 1", "done", "move to serving"))["message"] == "当前状态为「已办结」，不能转为「办理中」"
    assert "call" not in refused["message"] and refused["detail"] == "ticket A001 is no_show: cannot call_back"
    assert i18n.text("alert.wait_over_target", "en", category="A", waited="76", target="20") == (
        "category A: longest wait 76 min, target 20 min")


def test_staff_refusals_and_roles_are_worded_in_the_halls_language() -> None:
    """A sign-in refusal carries its key and values: worded when answered, in the hall's language."""
    wrong, short = BadCredentials(), PasswordRejected("err.PasswordRejected.too_short", n=10)
    assert error_body(wrong) == {"error": "BadCredentials", "message": "工号或密码错误", "detail": "工号或密码错误"}
    assert error_body(short)["message"] == "密码至少 10 位" and role_name(Role.AUDITOR) == "审计员"
    i18n.use("en")
    try:
        assert error_body(wrong)["message"] == "Wrong staff no. or password"
        assert error_body(short)["message"] == "A password has at least 10 characters"
        assert role_name(Role.AUDITOR) == "Auditor"
    finally:
        i18n.use("zh")


def assert_one_language(page: Page) -> None:
    """No key left untranslated (visible or not) and no English word on what is shown."""
    shown = page.evaluate("document.title + '\\n' + document.body.innerText")
    for code in page.evaluate("[...document.querySelectorAll('code')].map((n) => n.innerText)"):
        shown = shown.replace(code, " ")  # an interface named exactly (the audit trail's routes), not words
    assert not KEY.findall(shown), KEY.findall(shown)
    assert not foreign(shown), foreign(shown)
    statics = page.evaluate("[...document.querySelectorAll('[data-t]')].map((n) => [n.dataset.t, n.textContent])")
    assert all(text and text != key for key, text in statics), [k for k, text in statics if not text or text == k]


def test_every_staff_screen_speaks_one_language(busy_hall: WebServer, open_page, service: CenterService) -> None:
    url = busy_hall.url
    login = open_page(f"{url}/login")
    expect(login.locator("#sign-in h2")).to_have_text("登录")
    assert_one_language(login)
    sign_in_wrongly(login, "s001")
    expect(login.locator("#message .msg-text")).to_have_text("工号或密码错误")
    assert_one_language(login)

    start = open_page(f"{url}/", staff="s001")
    expect(start.locator("#windows a")).to_have_count(len(service.config.windows))
    assert_one_language(start)

    display = open_page(f"{url}/display", 1920, 1080)
    expect(display.locator("#recent li")).to_have_count(6)
    assert_one_language(display)

    console = open_page(f"{url}/console?window=2", staff="s002")
    expect(console.locator("#held li .num")).to_have_count(1)
    assert_one_language(console)
    [held] = service.engine.held_at("2")  # window 2 is calling: calling it back is refused, in the hall's words
    console.evaluate("(id) => act('call_back', {ticket_id: id})", held.id)
    expect(console.locator("#message .msg-text")).to_have_text("当前状态为「呼叫中」，不能回呼")
    assert_one_language(console)
    paused = open_page(f"{url}/console?window=5", staff="s005")
    expect(paused.locator("#ticket-info")).to_have_text("窗口暂停中：按 F8 恢复")
    assert_one_language(paused)
    pick = open_page(f"{url}/console", staff="s001")
    expect(pick.locator("#window-list a")).to_have_count(len(service.config.windows))
    assert_one_language(pick)

    control = open_page(f"{url}/control", 1600, 1400, staff="w001")
    expect(control.locator('#alerts li[data-kind="wait_over_target"][data-key="A"]')).to_contain_text("分钟，目标")
    expect(control.locator('#alerts li[data-kind="help_requested"]')).to_contain_text("帮办")
    expect(control.locator("#terminals .metric").first).to_be_visible()
    expect(control.locator("#terminals")).to_contain_text("CPU 占用 %")
    expect(control.locator("#terminals")).to_contain_text("打印头温度 ℃")
    assert_one_language(control)

    reports = open_page(f"{url}/reports?by=window&day={DAY}", 1600, 1000, staff="m001")
    expect(reports.locator("#table tbody tr").last).to_contain_text("合计")
    assert_one_language(reports)

    trail = open_page(f"{url}/audit", 1600, 1000, staff="a001")
    expect(trail.locator("#chain")).to_contain_text("完整")
    expect(trail.locator("#rows")).to_contain_text("拒绝：工号或密码错误")
    expect(trail.locator("#rows")).to_contain_text("审计员")
    assert_one_language(trail)


def sign_in_wrongly(page: Page, staff_no: str) -> None:
    page.fill("#staff-no", staff_no)
    page.fill("#password", "not-the-password-1")
    page.click("#sign-in button")


@pytest.fixture
def english_hall(tmp_path: Path, mqtt_settings, clock: FakeClock, clips_dir: Path) -> Iterator[WebServer]:
    """A hall whose `[web] language` is "en" (no staff: a wrong sign-in reads the same)."""
    config = hall_config(tmp_path / "center", mqtt_settings, clips_dir)
    config = config.model_copy(update={"web": config.web.model_copy(update={"language": "en"})})
    svc = CenterService(config, clock=clock)
    svc.start()
    server = WebServer(create_app(svc)).start()
    try:
        yield server
    finally:
        server.stop()
        svc.stop()
        i18n.use("zh")  # the center's words are the process's: back to the other tests' hall


def test_an_english_hall_refuses_a_sign_in_in_english(english_hall: WebServer, open_page) -> None:
    login = open_page(f"{english_hall.url}/login")
    expect(login.locator("#sign-in h2")).to_have_text("Sign in")
    sign_in_wrongly(login, "s001")
    expect(login.locator("#message .msg-text")).to_have_text("Wrong staff no. or password")


def test_the_kiosk_words_every_refusal_that_carries_values() -> None:
    """A refusal the center sends a kiosk carries its type and values (ErrorInfo.values); for each
    such refusal the kiosk's table has a sentence naming those values, in both languages."""
    at = datetime(2026, 11, 23, 9, 1)
    for exc in (TooEarly(at), AppointmentMissed(at), NumberAlreadyHeld("A003", "A")):
        key = f"err_{type(exc).__name__}_detail"
        assert key in KIOSK, key
        for language in ("zh", "en"):
            worded = Translator(language)(key, **exc.values)
            assert all(value in worded for value in exc.values.values()), worded
    assert Translator("zh")("err_TooEarly_detail", **TooEarly(at).values) == "还未到签到时间，请于 09:01 后再来签到"
