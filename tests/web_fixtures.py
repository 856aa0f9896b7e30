"""Fixtures of the web tests: one voice clip cache per session, the Monday 10:00 clock, and
a started CenterService on the test broker with the demo hall's config and a fresh SQLite.

`server`: that service under uvicorn (the browser tests). `busy_hall`: that service over a
busy morning, served, with a kiosk's telemetry and alerts of every kind (the i18n and axe
checks of every screen).

Test modules import them (`from tests.web_fixtures import clips_dir, clock, service`), never
load them as a plugin: a plugin's fixtures are global, and this `clock` (Monday 10:00) would
then replace the queue fixtures' `clock` (Monday 09:00) in every module collected after it.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from core.config import MqttSettings
from hallrig.staff_accounts import seed
from mqtt.contract import ErrorInfo, Event
from tests.conftest import wait_until
from tests.web_helpers import Kiosk, WebServer, hall_config, monday_clock, morning


@pytest.fixture(scope="session")
def clips_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One voice clip cache for the session: clips are synthesised once, as in a hall."""
    return tmp_path_factory.mktemp("voice")


@pytest.fixture
def clock() -> FakeClock:
    return monday_clock()


@pytest.fixture
def service(tmp_path: Path, mqtt_settings: MqttSettings, clock: FakeClock, clips_dir: Path) -> Iterator[CenterService]:
    svc = CenterService(hall_config(tmp_path / "center", mqtt_settings, clips_dir), clock=clock)
    svc.start()
    assert svc.link.wait_connected(5)
    seed(svc.db, clock)  # the demo hall's staff (hallrig/staff_accounts.py)
    yield svc
    svc.stop()


@pytest.fixture
def server(service: CenterService) -> Iterator[WebServer]:
    """The app under uvicorn over `service`, telemetry sampled fast (the browser tests)."""
    s = WebServer(create_app(service, telemetry_period=0.05)).start()
    yield s
    s.stop()


@pytest.fixture
def busy_hall(service: CenterService, clock: FakeClock, mqtt_settings, tmp_path: Path) -> Iterator[WebServer]:
    """The demo morning, a kiosk with telemetry, alerts of every kind the queue raises, a refused
    event and a help request: what the screens have to show and word."""
    server = WebServer(create_app(service, telemetry_period=0.05)).start()
    kiosk = Kiosk(mqtt_settings, tmp_path / "kiosk", clock).start()
    try:
        history = server.app.state.web.history
        kiosk.telemetry(3, settle=lambda i: wait_until(
            lambda: len(history.terminal("kiosk-01").get("system", {}).get("ts", [])) == i + 1))
        morning(service, clock)
        for letter in "AAAAAAAAAAAB":  # their prints never confirmed: 未出票 once the limit passes
            service.requests.take_number("kiosk-01", {"category": letter})
        clock.advance(40 * 60)  # waits over target, windows idle beside them
        service.engine.check_alerts()
        bad_level = Event(event_id="e-bad-level", seq=3, ts=0, data={"window": "3", "level": 7})
        service.events.refuse("kiosk-01", "rating", bad_level,
                       ErrorInfo(type="InvalidArgs", message="参数有误：评价等级（level）不符合要求"))
        service.events.apply("kiosk-01", "help_requested", Event(event_id="e-help-asked", seq=4, ts=0,
                                                          data={"location": "自助区 1 号机", "topic": "社保"}))
        yield server
    finally:
        kiosk.stop()
        server.stop()
