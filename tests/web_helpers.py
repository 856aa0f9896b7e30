"""What the web tests and the screenshot script share: the demo hall's config on a test
broker and a temp state dir, a Monday 10:00 clock, the app served by uvicorn on a free
port in a thread, a kiosk terminal with devices, and a morning of hall traffic.
(The fixtures built from them are in tests/web_fixtures.py.)
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from starlette.applications import Starlette

from center.config import CenterConfig
from center.service import CenterService
from core.clock import FakeClock
from core.config import MqttSettings, load_config
from core.paths import CONFIG_DIR
from hallrig.staff_accounts import CLERKS, DEMO_APPOINTMENT_KEY_SHA256
from mqtt.broker import free_port
from mqtt.contract import Birth, DeviceInfo, DeviceStatePayload, Event
from mqtt.terminal import TerminalLink
from tests.center_fixtures import take_printed

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
DAY = MONDAY_10.date().isoformat()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required", "--lang=zh-CN"]


def hall_config(state_dir: Path, mqtt: MqttSettings, clips_dir: Path) -> CenterConfig:
    """config/hall.toml with the test broker, a temp state dir (so a fresh SQLite) and clips."""
    config = load_config(CONFIG_DIR / "hall.toml", CenterConfig, environ={})
    return config.model_copy(update={
        "state_dir": state_dir, "mqtt": mqtt, "catalog": CONFIG_DIR / "catalog", "housekeeping_period": 0.5,
        "web": config.web.model_copy(update={"appointment_keys_sha256": [DEMO_APPOINTMENT_KEY_SHA256]}),
        "voice": config.voice.model_copy(update={"clips_dir": clips_dir}),
    })


def monday_clock() -> FakeClock:
    clock = FakeClock()
    clock.set(MONDAY_10)
    return clock


class WebServer:
    """The app under uvicorn on 127.0.0.1:<free port>, in a thread (lifespan included)."""

    def __init__(self, app: Starlette, port: int | None = None, tls: tuple[Path, Path] | None = None) -> None:
        """`tls`: (certificate, key) to serve https, as `[web] tls_cert_file` / `tls_key_file` do."""
        self.app = app
        self.port = port or free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        # log_config=None: uvicorn's own config adds stream handlers bound to this test's captured output
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    log_level="warning", lifespan="on", timeout_graceful_shutdown=1,
                                                    ssl_certfile=tls[0] if tls else None,
                                                    ssl_keyfile=tls[1] if tls else None))
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def start(self) -> WebServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.app.state.web.close_streams()
        self.server.should_exit = True
        self.thread.join(5)


class Kiosk:
    """A kiosk terminal on the real broker: birth with devices, states, telemetry, commands."""

    DEVICES = (DeviceInfo(name="printer", family="printer", model="SIM-80", firmware="1.4"),
               DeviceInfo(name="idcard", family="idcard", model="SIM-SAM", firmware="2.0"))

    def __init__(self, mqtt: MqttSettings, state_dir: Path, clock: FakeClock, terminal: str = "kiosk-01") -> None:
        self.clock = clock
        self.commands: list[tuple[str, dict[str, Any]]] = []
        self.link = TerminalLink(mqtt, terminal, state_dir, clock=clock, birth=lambda session: Birth(
            session=session, role="kiosk", software="onetrip-test", devices=list(self.DEVICES), ts=clock.time()))
        for name in ("test_page", "restart_driver", "rebirth"):
            self.link.on_command(name, lambda args, name=name: self._record(name, args))

    def _record(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        self.commands.append((name, args))
        return {"done": name}

    def start(self) -> Kiosk:
        self.link.start()
        if not self.link.wait_connected(5):
            raise RuntimeError("kiosk link did not connect")
        self.link.set_device_state("printer", DeviceStatePayload(state="online", since=self.clock.time()))
        self.link.set_device_state("idcard", DeviceStatePayload(state="degraded", reason="protocol_errors",
                                                                since=self.clock.time()))
        return self

    def telemetry(self, n: int, every_s: float = 10.0, settle: Callable[[int], object] | None = None) -> None:
        """`n` rounds of telemetry, the clock moving `every_s` between them. `settle(i)` waits
        until the center has sampled round i (default: 0.3 s, enough for a screenshot)."""
        for i in range(n):
            self.link.telemetry("printer", {"state": "online", "printed": 10 + 3 * i, "errors": i // 3,
                                            "head_temp_c": 38 + (i % 4)})
            self.link.telemetry("idcard", {"state": "degraded", "reads": 5 + i, "timeouts": i // 2})
            self.link.telemetry("system", {"cpu_percent": 3 + (i % 5), "rss_mb": 31.5 + i * 0.2,
                                           "outbox_depth": i % 3})
            if settle is not None:
                settle(i)
            else:
                time.sleep(0.3)
            if i < n - 1:
                self.clock.advance(every_s)

    def stop(self) -> None:
        self.link.stop()


def rate(service: CenterService, level: int, window: str, reasons: list[str] | None = None) -> None:
    """A rating from the window's pad, through the service's handler of the bus's rating event."""
    service.events.apply("bus-01", "rating", Event(event_id=uuid.uuid4().hex, seq=1, ts=0.0, data={
        "level": level, "window": window, "reasons": reasons or [], "channel": "pad"}))


def serve(service: CenterService, clock: FakeClock, window: str, walk_s: float, service_s: float,
          outcome: str = "finish") -> str:
    """Call, and either serve for `service_s` and finish, or mark a no-show; the number."""
    call = service.desk.call_next(window)
    clock.advance(walk_s)
    if outcome == "no_show":
        service.desk.no_show(window)
        return call.number
    service.desk.start(window)
    clock.advance(service_s)
    service.desk.finish(window, create_case=True)
    return call.number


def morning(service: CenterService, clock: FakeClock) -> None:
    """A busy hour for screenshots: windows open, numbers issued, calls, a held ticket, ratings."""
    for window in ("1", "2", "3", "4", "6"):
        service.desk.sign_in(window, CLERKS[window])  # the demo's clerks, who can sign in to the screens
    service.desk.sign_in("5", CLERKS["5"])
    service.desk.pause("5", "会议")
    letters = "AABABCCADAEBFAGBAC" * 2
    for i, letter in enumerate(letters):
        take_printed(service, f"kiosk-0{1 + i % 3}", {"category": letter, "priority": "elderly" if i == 7 else None})
        clock.advance(45)
    for i, (window, level) in enumerate((("1", 5), ("2", 4), ("3", 5), ("1", 5), ("2", 2), ("6", 5), ("3", 3))):
        serve(service, clock, window, 30 + 10 * i, 240 + 60 * i)
        rate(service, level, window, ["办理时间太长"] if level <= 2 else None)
    serve(service, clock, "4", 90, 0, outcome="no_show")
    service.desk.call_next("2")
    service.desk.hold("2")
    for window in ("1", "2", "3", "4", "6"):
        service.desk.call_next(window)
        clock.advance(20)
    service.desk.start("1")
    service.desk.start("6")
