"""适老化, measured on the web: every web screen — sign-in, hall display, counter console,
control room, reports, audit trail and the citizen's phone pages — checked by axe-core
(vendored by axe-playwright-python, injected by Playwright) in Debian's headless Chromium,
over a busy morning (tests/web_fixtures.py `busy_hall`): no violation of impact "serious" or
"critical" (contrast per WCAG AA, names of buttons and inputs, the page's language)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from center.service import CenterService
from hallrig.staff_accounts import DEMO_APPOINTMENT_KEY
from tests.browser_fixtures import browser, open_page, page_errors  # noqa: F401  (imported, not a plugin)
from tests.web_fixtures import busy_hall, clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import DAY, WebServer

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")]

GRAVE = {"serious", "critical"}


def grave_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as shown: rule, impact, and each
    target with what axe measured (for contrast: the colours and the ratio)."""
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[(n['target'], measured(n)) for n in v['nodes']][:8]}"
            for v in found if v["impact"] in GRAVE]


def measured(node: dict) -> str:
    data = next((c["data"] for c in node["any"] if isinstance(c.get("data"), dict)), {})
    keys = ("fgColor", "bgColor", "contrastRatio", "expectedContrastRatio")
    return " ".join(str(data[k]) for k in keys if k in data) or node["failureSummary"]


def here(url: str, served_at: str) -> str:
    """A phone link the center made (its configured base URL), opened on the test server."""
    parts = urlsplit(url)
    return f"{served_at}{parts.path}"


def test_every_web_screen_passes_axe(busy_hall: WebServer, open_page, service: CenterService) -> None:
    url = busy_hall.url
    screens: dict[str, Page] = {}

    screens["login"] = open_page(f"{url}/login")
    expect(screens["login"].locator("#sign-in h2")).to_have_text("登录")

    screens["display"] = open_page(f"{url}/display", 1920, 1080)
    expect(screens["display"].locator("#recent li")).to_have_count(6)

    screens["console"] = open_page(f"{url}/console?window=2", staff="s002")
    expect(screens["console"].locator("#held li .num")).to_have_count(1)
    [held] = service.engine.held_at("2")  # a refusal shown in the console's message line
    screens["console"].evaluate("(id) => act('call_back', {ticket_id: id})", held.id)
    expect(screens["console"].locator("#message .msg-text")).not_to_be_empty()
    screens["console picker"] = open_page(f"{url}/console", staff="s001")
    expect(screens["console picker"].locator("#window-list a")).to_have_count(len(service.config.windows))

    screens["control"] = open_page(f"{url}/control", 1600, 1400, staff="w001")
    expect(screens["control"].locator("#alerts li").first).to_be_visible()

    screens["reports"] = open_page(f"{url}/reports?by=window&day={DAY}", 1600, 1000, staff="m001")
    expect(screens["reports"].locator("#table tbody tr").last).to_contain_text("合计")

    screens["audit"] = open_page(f"{url}/audit", staff="a001")
    expect(screens["audit"].locator("tbody tr").first).to_be_visible()

    phone = service.phone
    tickets = {"waiting": service.engine.find_ticket("C006"),  # the morning's last number printed
               "unprinted": service.engine.find_ticket("B009"), "held": held, "done": service.engine.find_ticket("A001")}
    for state, ticket in tickets.items():
        screens[f"phone ticket {state}"] = page = open_page(here(phone.ticket(ticket.ref, ticket.day), url), 360, 640)
        expect(page.locator("body")).to_have_attribute("data-state", state)
    screens["phone ticket elder"] = elder = open_page(here(phone.ticket(tickets["waiting"].ref, DAY), url), 360, 640)
    elder.click("#elder")  # 长辈模式: larger type, the same colours must hold
    expect(elder.locator("body")).to_have_class("elder")

    booked = httpx.post(f"{url}/api/appointments", headers={"Authorization": f"Bearer {DEMO_APPOINTMENT_KEY}"},
                        json={"category": "A", "citizen_key": "c0ffee" * 5 + "ab",
                              "slot_start": f"{DAY}T14:00:00", "slot_end": f"{DAY}T14:30:00"}).json()
    screens["phone booking"] = open_page(here(booked["page"], url), 360, 640)
    expect(screens["phone booking"].locator("#b-state")).to_have_text("预约成功")

    found = {name: grave_violations(page) for name, page in screens.items()}
    assert all(not v for v in found.values()), "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)
