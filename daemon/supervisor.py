"""Keeps the terminal's drivers running: start, watch, restart, and debounce their states.

A driver thread that dies or stops turning its loop (`Driver.heartbeat`) is replaced by a
fresh instance, with backoff between restarts. An `offline` is reported only after it has
lasted `debounce` seconds, so a flapping USB device makes no storm of state changes.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from core.backoff import Backoff
from core.clock import SYSTEM_CLOCK, Clock
from core.devstate import Condition, DeviceState
from daemon.config import DeviceSpec
from drivers.base import Driver
from drivers.family import Family

log = logging.getLogger("daemon.supervisor")
RESTART_FIRST, RESTART_MOST = 2.0, 60.0  # seconds between restarts of a driver that keeps dying


@dataclass
class _Slot:
    spec: DeviceSpec
    driver: Driver
    restarts: int = 0
    next_restart: float = 0.0
    backoff: Backoff = field(default_factory=lambda: Backoff(RESTART_FIRST, RESTART_MOST))


class Supervisor:
    hang_after = 20.0        # seconds without a loop turn before a driver counts as hung

    def __init__(self, specs: list[DeviceSpec], *, on_state: Callable[[str, Condition], None],
                 on_event: Callable[[str, Any], None], debounce: float = 1.0, clock: Clock = SYSTEM_CLOCK) -> None:
        self.specs = specs
        self.on_state = on_state
        self.on_event = on_event
        self.debounce = debounce
        self.clock = clock
        self.slots: dict[str, _Slot] = {}
        self._latest: dict[str, tuple[Condition, float]] = {}
        self._published: dict[str, Condition] = {}
        self._lock = threading.Lock()

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        for spec in self.specs:
            self.slots[spec.name] = _Slot(spec, self._spawn(spec))

    def stop(self) -> None:
        for slot in self.slots.values():
            slot.driver.stop(timeout=2)

    def _spawn(self, spec: DeviceSpec) -> Driver:
        driver = spec.family.driver.from_settings(spec.name, spec.settings, clock=self.clock,
                                                  on_state=self._state, on_event=self.on_event)
        driver.start()
        return driver

    def driver(self, name: str) -> Driver:
        return self.slots[name].driver

    def by_family(self, family: Family) -> Driver | None:
        return next((s.driver for s in self.slots.values() if s.spec.family is family), None)

    def family_of(self, name: str) -> Family:
        return self.slots[name].spec.family

    def restart(self, name: str, why: str = "requested") -> None:
        slot = self.slots[name]
        log.warning("restarting driver", extra={"device": name, "why": why})
        slot.driver.stop(timeout=1)
        slot.restarts += 1
        slot.driver = self._spawn(slot.spec)

    # ---- health, called by the daemon's main loop ----------------------------------------
    def check(self) -> list[str]:
        """Restart dead or hung drivers (with backoff); return the names that were unhealthy."""
        now = self.clock.monotonic()
        unhealthy = []
        for name, slot in self.slots.items():
            hung = now - slot.driver.heartbeat > self.hang_after
            if slot.driver.alive and not hung:
                continue
            unhealthy.append(name)
            if now >= slot.next_restart:
                self.restart(name, "hung" if slot.driver.alive else "thread died")
                slot.next_restart = now + slot.backoff.next()
        self.flush_states()
        return unhealthy

    # ---- states ---------------------------------------------------------------------------
    def _state(self, name: str, condition: Condition) -> None:
        with self._lock:
            self._latest[name] = (condition, self.clock.monotonic())
        if condition.state != DeviceState.OFFLINE:
            self.flush_states()

    def flush_states(self) -> None:
        """Publish every changed state; an `offline` only once it outlasted the debounce."""
        now = self.clock.monotonic()
        ready = []
        with self._lock:
            for name, (condition, at) in self._latest.items():
                if self._published.get(name) == condition:
                    continue
                if condition.state == DeviceState.OFFLINE and now - at < self.debounce:
                    continue
                self._published[name] = condition
                ready.append((name, condition))
        for name, condition in ready:
            self.on_state(name, condition)

    def states(self) -> dict[str, Condition]:
        with self._lock:
            return dict(self._published)

    def inventory(self) -> list[dict[str, Any]]:
        items = []
        for name, slot in self.slots.items():
            info = slot.driver.info()
            items.append({"name": name, "family": slot.spec.family.name, "model": str(info.get("model", "")),
                          "firmware": str(info.get("firmware", info.get("sam_id", ""))),
                          "capabilities": list(slot.spec.family.capabilities),
                          "info": {k: v for k, v in info.items() if isinstance(v, (str, int, float, bool))}})
        return items

    def get_status(self) -> dict[str, Any]:
        return {name: {**slot.driver.get_status(), "restarts": slot.restarts} for name, slot in self.slots.items()}
