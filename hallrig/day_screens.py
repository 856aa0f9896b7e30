"""Screenshots of the center's web screens during the scripted day, in Debian's headless chromium.

Chromium starts before the first citizen (so its start-up does not compete with the
morning peak for the CPU) with the hall display open; at the busiest moment the display, a
counter console and the control room are photographed, the reports page once the day is
over. Each page is loaded fresh for its picture: the screens take the hall's time once
when they load and then let it run at real speed, so on the demo's scaled clock an
all-day page would show a wrong time.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from hallrig.day_hall import DayLog
from hallrig.staff_accounts import DEMO_PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
READY_TIMEOUT_MS = 8000
# file → (path, viewport, an element that shows the page has its data)
PEAK = {
    "screen-display.png": ("/display", (1920, 1080), "#categories .cat"),
    "screen-console.png": ("/console?window=6", (1600, 1000), "#queue li"),
    "screen-control.png": ("/control", (1600, 1400), "#terminals .terminal"),
}
END = {"screen-reports.png": ("/reports?by=category", (1600, 1100), "#table tbody tr")}


class Screens(threading.Thread):
    """Takes the PEAK pictures when `peak` is set and the END ones when `done` is set."""

    def __init__(self, base: str, out_dir: Path, daylog: DayLog) -> None:
        super().__init__(name="day-screens", daemon=True)
        self.base, self.out_dir, self.log = base, out_dir, daylog
        self.ready, self.peak, self.done = threading.Event(), threading.Event(), threading.Event()
        self.taken: list[Path] = []

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # no browser means no pictures, never a failed day
            self.log.fail("screenshots", exc)
        finally:
            self.ready.set()

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(locale="zh-CN", viewport={"width": 1920, "height": 1080},
                                        ignore_https_errors=True)  # the secured demo's hall CA is not Chromium's
                page.on("pageerror", lambda exc: self.log.fail("a web screen's script", str(exc)))
                page.goto(self.base + "/login?next=/display")  # the hall manager: every screen
                page.fill("#staff-no", "m001")
                page.fill("#password", DEMO_PASSWORD)
                page.click("#sign-in button")
                page.wait_for_url(self.base + "/display")
                self.ready.set()
                self.peak.wait()
                for name, (path, size, selector) in PEAK.items():
                    self._shoot(page, name, path, size, selector)
                self.done.wait()
                for name, (path, size, selector) in END.items():
                    self._shoot(page, name, path, size, selector)
            finally:
                browser.close()

    def _shoot(self, page: Page, name: str, path: str, size: tuple[int, int], selector: str) -> None:
        from playwright.sync_api import Error as PlaywrightError

        try:
            page.set_viewport_size({"width": size[0], "height": size[1]})
            page.goto(self.base + path)  # fresh: a page's clock runs at real speed from its load on
            try:
                page.wait_for_selector(selector, timeout=READY_TIMEOUT_MS)
            except PlaywrightError:
                self.log.fail(f"screenshot {name}", f"{selector} did not appear; taken as it is")
            page.wait_for_timeout(800)  # live updates and fonts settle
            try:  # not in the middle of a call's flash
                page.wait_for_function("() => document.getAnimations().length === 0", timeout=4000)
            except PlaywrightError:
                pass
            out = self.out_dir / name
            page.screenshot(path=str(out), full_page=path != "/display")
            self.taken.append(out)
        except PlaywrightError as exc:
            self.log.fail(f"screenshot {name}", exc)
