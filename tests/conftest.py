"""Shared fixtures: a real Mosquitto on a free loopback port (never the system one)."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from core.config import MqttSettings
from mqtt.broker import Broker


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETRIP_STATE_DIR", str(tmp_path / "state"))


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
