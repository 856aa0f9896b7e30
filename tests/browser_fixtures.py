"""Fixtures of the staff-screen browser tests: Debian's headless Chromium (sound allowed without
a click, as a hall display's kiosk mode does), the page errors a test fails on, pages of their
own, signed in through the sign-in page when asked. Imported by name, like tests/web_fixtures.py.
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from hallrig.staff_accounts import DEMO_PASSWORD
from tests.web_helpers import CHROMIUM_ARGS


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page_errors() -> Iterator[list[str]]:
    """Script errors of every page a test opens: a test fails on any."""
    errors: list[str] = []
    yield errors
    assert errors == []


@pytest.fixture
def open_page(browser: Browser, page_errors: list[str]) -> Iterator:
    pages: list[Page] = []

    def opener(url: str, width: int = 1600, height: int = 1000, staff: str | None = None) -> Page:
        """A page of its own (own cookies); with `staff`, signed in through the sign-in page first."""
        page = browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
        page.on("pageerror", lambda exc: page_errors.append(f"{url}: {exc}"))
        pages.append(page)
        if staff is not None:
            parts = urlsplit(url)
            here = parts.path + (f"?{parts.query}" if parts.query else "")
            page.goto(f"{parts.scheme}://{parts.netloc}/login?next={quote(here, safe='')}")
            page.fill("#staff-no", staff)
            page.fill("#password", DEMO_PASSWORD)
            page.click("#sign-in button")
            page.wait_for_url(url)
            return page
        page.goto(url)
        return page

    yield opener
    for page in pages:
        page.close()
