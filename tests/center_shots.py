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
from pathlib import Path

from urllib.parse import quote

from playwright.sync_api import Page, sync_playwright

from center.service import CenterService
from center.web import create_app
from core.config import MqttSettings
from mqtt.broker import Broker
from onetrip.staff_accounts import DEMO_PASSWORD, seed
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
    "console.png": ("/console?window=2", (1600, 1000), "#held li .num", "s002"),
    "control.png": ("/control", (1600, 1400), "#terminals .terminal .spark path", "w001"),
    "reports.png": ("/reports?by=window", (1600, 1100), "#table tbody tr", "m001"),
}


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
