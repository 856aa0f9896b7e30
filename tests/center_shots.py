"""Screenshots of the center's screens over a simulated busy morning, for docs/center.md.

    .venv/bin/python -m tests.center_shots [OUT_DIR]     (default docs/img/center)

A real Mosquitto, a fresh SQLite, the demo hall's config on a Monday 10:00 clock, the demo's
staff, a kiosk terminal with telemetry, then headless Chromium at 1920×1080 (display) and
1600×1000, signed in as each screen's user: the console as window 2's clerk, the control room
as the maintainer (who sees the terminals), the reports as the duty manager.
"""
from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page, sync_playwright

from center import help_desk, promises
from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from core.config import MqttSettings
from hallrig.staff_accounts import DEMO_PASSWORD, seed
from mqtt.broker import Broker
from mqtt.contract import Event
from tests.web_helpers import (
    CHROMIUM_ARGS,
    Kiosk,
    WebServer,
    hall_config,
    monday_clock,
    morning,
)

SCREENS = {  # file → (path, viewport, what to wait for, who is signed in)
    "display.png": ("/display", (1920, 1080), "#categories .cat", None),
    "console.png": ("/console?window=2", (1600, 1000), "#no-shows li .num", "s002"),
    "control.png": ("/control", (1600, 1400), "#help-cases li.help", "m001"),
    "reports.png": ("/reports?by=window", (1600, 1100), "#table tbody tr", "m001"),
}


def floor(service: CenterService, clock: FakeClock) -> None:
    """The hall floor at the same moment: a 过号 at window 2 waiting to be put back, a case
    accepted with a 容缺 promise and last week's overdue one, two 帮办 (one helper sent)."""
    clock.advance(60)
    service.desk.no_show("2")  # its citizen did not come
    service.desk.call_next("2")
    clock.advance(420)  # window 1's citizen (serving since the morning) is accepted with 容缺
    service.desk.finish("1", create_case=True, item_code="A02", deferred=["契税完税凭证"], pledge_signed=True)
    last_week = service.engine.local().date() - timedelta(days=8)
    promises.record(service.db, f"{last_week:%Y%m%d}000012", ["营业执照"],
                    service.calendar.add_working_days(last_week, 5), clock.time() - 8 * 86400, "4", "s104")
    for n, (where, topic) in enumerate((("一楼自助区 1 号机", "不会操作"), ("一楼自助区 2 号机", "老年人帮办"))):
        service.events.apply(f"kiosk-0{n + 1}", "help_requested", Event(event_id=f"shots-help-{n}", seq=n + 1, ts=0.0,
                                                                 data={"location": where, "topic": topic}))
        clock.advance(50)
    first = help_desk.open_cases(service.db)[0]
    service.floor.help_step(first.id, "assign", "m001", helper="h001")
    clock.advance(60)
    service.housekeeping.run()  # the overdue promise's alert


def shoot(page: Page, url: str, out: Path, size: tuple[int, int], ready: str, staff: str | None) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.context.clear_cookies()
    if staff is not None:
        base, path = url.split("/", 3)[:3], url.split("/", 3)[3]
        page.goto(f"{'/'.join(base)}/login?next={quote('/' + path, safe='')}")
        page.fill("#staff-no", staff)
        page.fill("#password", DEMO_PASSWORD)
        page.click("#sign-in button")
        page.wait_for_url(url)
    page.goto(url)
    page.wait_for_selector(ready)
    page.wait_for_timeout(600)  # let live updates and fonts settle before the picture
    page.screenshot(path=str(out), full_page="/display" not in url)


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="onetrip-shots-") as tmp:
        root = Path(tmp)
        broker = Broker(workdir=root / "broker").start()
        mqtt = MqttSettings(port=broker.port, hall="shots", keepalive=5)
        clock = monday_clock()
        service = CenterService(hall_config(root / "center", mqtt, root / "voice"), clock=clock)
        service.start()
        seed(service.db, clock)
        kiosk = Kiosk(mqtt, root / "kiosk", clock).start()
        server = WebServer(create_app(service, telemetry_period=0.1)).start()
        try:
            morning(service, clock)
            floor(service, clock)
            kiosk.telemetry(12)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = browser.new_page(locale="zh-CN")
                page.on("pageerror", lambda exc: print("page error:", exc, file=sys.stderr))
                for name, (path, size, ready, staff) in SCREENS.items():
                    shoot(page, server.url + path, out_dir / name, size, ready, staff)
                    print(out_dir / name)
                browser.close()
        finally:
            server.stop()
            kiosk.stop()
            service.stop()
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/img/center")))
