"""One hall time, end to end: a window-bus terminal whose own clock is ten minutes off, as a real
`onetrip daemon` process beside its simulated bus, against a real center and broker (issue 11).

The process's clock is shifted through the project's clock settings (its `[clock]` anchor ten
minutes early), not by patching an object in this process. Debian's libfaketime 0.9.10 was the
first choice; under it CPython 3.11's `time.sleep` fails with EINVAL (with
FAKETIME_DONT_FAKE_MONOTONIC) or never returns (without), so no Python daemon can run under it.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from center.alerts import AlertKind
from center.service import CenterService
from core.config import ClockSettings
from hallrig.apiclient import ApiClient
from hallrig.center_setup import center_config
from hallrig.rig import Proc, sim_config, terminal_config, wait_for
from tests.conftest import wait_until
from tests.hall_instants import HallInstant

OFF_BY = 600.0  # seconds: the terminal's clock runs ten minutes ahead


@pytest.fixture
def center(tmp_path: Path, mqtt_settings, hall_instant: HallInstant) -> Iterator[CenterService]:
    clock = ClockSettings(start=hall_instant.at, anchor=time.time())
    svc = CenterService(center_config(tmp_path, mqtt_settings, clock=clock))
    svc.start()
    assert svc.link.wait_connected(5)
    yield svc
    svc.stop()


def start_bus(tmp_path: Path, mqtt_settings, center: CenterService, off_by: float) -> Proc:
    settings = center.config.clock
    clock = {"start": settings.start, "anchor": settings.anchor - off_by, "sync_period": 0.5}
    config = terminal_config(tmp_path, "bus-01", mqtt_settings.port, card=False, scanner=False,
                             bus_windows={1: 1}, hall=mqtt_settings.hall, telemetry_period=1.0, clock=clock)
    return Proc("daemon-bus-01", ["daemon", "--config", str(config)], tmp_path / "logs")


def clock_alert(center: CenterService) -> list:
    return [a for a in center.engine.list_alerts() if a.kind == AlertKind.CLOCK_OFFSET.value and a.key == "bus-01"]


def test_a_terminal_ten_minutes_off_runs_commands_shows_hall_time_and_is_alerted(
        tmp_path: Path, mqtt_settings, center: CenterService) -> None:
    sim_config(tmp_path, "bus-01", card=False, scanner=False, bus_addresses=[1])
    sim = Proc("sim-bus-01", ["sim", "--config", str(tmp_path / "sim-bus-01.toml"),
                              "--run-dir", str(tmp_path / "sim-bus-01")], tmp_path / "logs")
    daemon = start_bus(tmp_path, mqtt_settings, center, OFF_BY)
    socket = tmp_path / "bus-01" / "kiosk.sock"
    try:
        wait_for(socket, 30, "the bus daemon's local API")
        alert = wait_until(lambda: clock_alert(center), timeout=30)[0]
        assert "bus-01" in alert.text and "-600" in alert.text.replace(" ", "")
        # a command with a 30 s life runs although the terminal's clock is 600 s ahead
        shown = center.link.command("bus-01", "display", {"window": 1, "number": "A017", "waiting": 3}, ttl=30)
        assert shown.ok, shown.error
        # what the terminal tells its screens is hall time, not its own clock
        client = ApiClient(socket)
        try:
            hello = client.call("hello")["result"]
        finally:
            client.close()
        assert abs(hello["hall_time"] - center.clock.time()) < 5
        assert abs(hello["clock_offset_ms"] + OFF_BY * 1000) < 5000
        # the machine's clock is set right (and the daemon restarted with it): the alert clears
        daemon.stop()
        daemon = start_bus(tmp_path, mqtt_settings, center, 0.0)
        wait_until(lambda: not clock_alert(center), timeout=30)
        assert any(a.kind == AlertKind.CLOCK_OFFSET.value and not a.active
                   for a in center.engine.list_alerts(active_only=False))
    finally:
        daemon.stop()
        sim.stop()
