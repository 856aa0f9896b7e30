"""A real CenterService on a real broker, with a clock set inside the hall's issuing hours."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest

from center.config import CenterConfig, WindowSettings
from center.service import CenterService
from core.clock import FakeClock
from core.paths import CONFIG_DIR
from mqtt.terminal import TerminalLink
from tests.conftest import wait_until

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def center_config(tmp_path: Path, mqtt_settings, **overrides) -> CenterConfig:
    windows = {"1": WindowSettings(name="1号窗口", categories=["A"], bus="bus-01"),
               "2": WindowSettings(name="2号窗口", categories=["A", "B"], bus="bus-01"),
               "3": WindowSettings(name="3号窗口", categories=["B"])}
    return CenterConfig(catalog=CONFIG_DIR / "catalog", state_dir=tmp_path / "center", mqtt=mqtt_settings,
                        windows=windows, housekeeping_period=0.2, **overrides)


@pytest.fixture
def hall_clock() -> FakeClock:
    clock = FakeClock()
    clock.set(MONDAY_10AM)
    return clock


@pytest.fixture
def service(tmp_path: Path, mqtt_settings, hall_clock: FakeClock) -> Iterator[CenterService]:
    svc = CenterService(center_config(tmp_path, mqtt_settings), clock=hall_clock)
    svc.start()
    assert svc.link.wait_connected(5)
    yield svc
    svc.stop()


@pytest.fixture
def terminal(mqtt_settings, tmp_path: Path) -> Iterator[Callable[..., TerminalLink]]:
    """Start a terminal link that sees the center; every one is stopped at teardown, pass or fail."""
    links: list[TerminalLink] = []

    def start(name: str, **kw) -> TerminalLink:
        link = TerminalLink(mqtt_settings, name, tmp_path / name, **kw)
        links.append(link)
        link.start()
        wait_until(lambda: link.center_reachable)
        return link

    yield start
    for link in links:
        link.stop()
