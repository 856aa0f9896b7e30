"""Shared fixtures: a real Mosquitto on a free loopback port (never the system one)."""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from core.config import MqttSettings
from mqtt.broker import Broker
from tests.hall_instants import all_instants, by_name

pytest_plugins = ["tests.leak_guard"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--hall-instant", action="append", default=[],
                     help="run the date sweep at this instant only (a name from tests/hall_instants.py "
                          "or an ISO time); repeatable")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that takes `hall_instant` runs once per instant of the sweep."""
    if "hall_instant" in metafunc.fixturenames:
        names = metafunc.config.getoption("--hall-instant")
        instants = [by_name(n) for n in names] if names else list(all_instants())
        metafunc.parametrize("hall_instant", instants, ids=[i.name for i in instants])


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETRIP_STATE_DIR", str(tmp_path / "state"))


@pytest.fixture
def process_logging() -> Iterator[None]:
    """For a test that sets up the process's logging (`setup_logging`, `onetrip.cli.main`):
    the root logger gets its handlers and level back, so no handler outlives the test's
    captured output."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(workdir=tmp_path / "broker")
    b.start()
    yield b
    b.stop()


@pytest.fixture
def mqtt_settings(broker: Broker) -> MqttSettings:
    return MqttSettings(host="127.0.0.1", port=broker.port, hall="testhall", keepalive=5,
                        request_timeout=3.0)


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.02) -> object:
    """Poll until `predicate()` is truthy; a functional deadline, never a timing assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s: {predicate}")
