"""Fixtures of the web tests: one voice clip cache per session, the Monday 10:00 clock, and
a started CenterService on the test broker with the demo hall's config and a fresh SQLite.

Test modules import them (`from tests.web_fixtures import clips_dir, clock, service`), never
load them as a plugin: a plugin's fixtures are global, and this `clock` (Monday 10:00) would
then replace the queue fixtures' `clock` (Monday 09:00) in every module collected after it.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from center.service import CenterService
from core.clock import FakeClock
from core.config import MqttSettings
from hallrig.staff_accounts import seed
from tests.web_helpers import hall_config, monday_clock


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
