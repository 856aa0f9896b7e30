"""One terminal's daemon: drivers, the hall link, the kiosk's local API, systemd.

Lifecycle (Klipper style): `start()` brings up the link, the drivers and the local API;
`run()` is the main loop — every second it checks the drivers, flushes debounced device
states, publishes telemetry when due, and pings systemd's watchdog only if its own
health check passes; `stop()` tears down in reverse order.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import psutil

from core.clock import SYSTEM_CLOCK, Clock, HallClock
from core.devstate import Condition
from core.errors import OutboxFull
from core.localapi import event
from daemon.citizen import CitizenSlot
from daemon.commands import Commands
from daemon.config import TerminalSetup
from daemon.kiosk_ops import KioskOps, kiosk_queue
from daemon.localapi import LocalApiServer
from daemon.printing import TicketPrinter
from daemon.supervisor import Supervisor
from daemon.systemd import Notifier
from daemon.terminal_state import HallView, Maintenance
from mqtt import payloads
from mqtt.client import Message
from mqtt.contract import Birth, DeviceInfo, DeviceStatePayload, HallMessage, Kind, Topic, decode
from mqtt.terminal import TerminalLink

log = logging.getLogger("daemon")
SOFTWARE = "onetrip 0.1.0"


class Terminal:
    loop_interval = 1.0

    def __init__(self, setup: TerminalSetup, *, clock: Clock = SYSTEM_CLOCK, notifier: Notifier | None = None) -> None:
        self.setup = setup
        self.config = cfg = setup.config
        # hall time for everything a person reads and every business event; its offset from
        # this machine's clock is measured by the link against the center's (mqtt/timesync.py)
        self.clock = clock = HallClock(clock)
        self.notifier = notifier or Notifier()
        self.state_dir = Path(cfg.state_dir)
        self.started_at = clock.time()
        self.maintenance = Maintenance(lambda on: self.api.broadcast(event("maintenance", {"maintenance": on})))
        self.hall = HallView(catalog=self._load_cached_catalog())
        self.citizens = CitizenSlot(cfg.citizen_key_secret.encode(), cfg.elderly_age, clock)
        self.supervisor = Supervisor(setup.devices, on_state=self._device_state, on_event=self._device_event,
                                     debounce=cfg.debounce, clock=clock)
        self.link = TerminalLink(cfg.mqtt, cfg.terminal, self.state_dir, birth=self._birth, clock=clock,
                                 outbox_max_rows=cfg.outbox_max_rows, sync_period=cfg.clock.sync_period)
        self.link.subscribe(self.link.topics.hall_channel("catalog"), self._on_catalog)
        self.link.subscribe(self.link.topics.hall_channel("queue"), self._on_queue, qos=0)
        self.link.center_listeners.append(lambda up: self.api.broadcast(event("center", {"reachable": up})))
        self.link.clock_listeners.append(lambda s: self.api.broadcast(event("hall_time", {
            "hall_time": self.clock.time(), "offset_ms": round(s.offset * 1000, 1)})))
        self.printing = TicketPrinter(self.supervisor, cfg.hall_name, clock)
        self.ops = KioskOps(cfg, self.link, self.printing, self.supervisor, self.citizens, self.hall,
                            self.maintenance, clock)
        self.commands = Commands(self.link, self.printing, self.supervisor, self.maintenance, clock, cfg.terminal,
                                 lambda message: self.api.broadcast(message))
        self.api = LocalApiServer(Path(cfg.local_api.socket), self.ops.dispatch)
        self._stop = threading.Event()
        self._next_telemetry = 0.0
        self._outbox_full_told = False
        self._refusals_reported = 0
        self.loop_turns = 0
        self.process = psutil.Process()
        self.process.cpu_percent(None)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        self.supervisor.start()
        self.link.start()
        self.api.start()
        self.notifier.ready(f"{self.config.terminal}: {len(self.setup.devices)} devices")
        log.info("daemon ready", extra={"terminal": self.config.terminal, "socket": str(self.api.path)})

    def stop(self) -> None:
        self._stop.set()
        self.notifier.stopping()
        self.api.stop()
        self.supervisor.stop()
        self.link.stop()

    def request_stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.wait(self.loop_interval):
            self.tick()

    def tick(self) -> None:
        """One turn of the main loop; the watchdog is fed only when everything is healthy."""
        self.loop_turns += 1
        self.supervisor.check()
        self.report_refusals()
        self.commands.refresh_idle_screens()
        now = self.clock.monotonic()
        if self.link.outbox.full != self._outbox_full_told:  # the center hears of a full outbox at once
            self._outbox_full_told = self.link.outbox.full
            self._next_telemetry = now
        if now >= self._next_telemetry:
            self._next_telemetry = now + self.config.telemetry.period
            self.publish_telemetry()
        problems = self.health()
        if not problems:
            self.notifier.watchdog()
        self.notifier.status(f"{'ok' if not problems else 'unhealthy: ' + ', '.join(problems)}; "
                             f"center {'reachable' if self.link.center_reachable else 'unreachable'}; "
                             f"outbox {self.link.outbox.depth()}")

    def report_refusals(self) -> None:
        """Events refused at a full outbox become an event themselves once there is room again,
        so the center raises an alert that outlives the spell (nothing is dropped silently)."""
        refused = self.link.outbox.refused - self._refusals_reported
        if refused <= 0 or self.link.outbox.full:
            return
        try:
            self.link.emit("outbox_overflow", {"refused": refused})
        except OutboxFull:
            return
        self._refusals_reported += refused

    def health(self) -> list[str]:
        """What is wrong with the daemon itself (not its devices: a dead printer is not our hang)."""
        problems = []
        if not self.link.network_alive:
            problems.append("mqtt thread dead")
        if not self.api.alive:
            problems.append("local API dead")
        if any(not slot.driver.alive for slot in self.supervisor.slots.values()):
            problems.append("driver thread dead")
        return problems

    # ---- birth and telemetry ---------------------------------------------------------------------
    def _birth(self, session: int) -> Birth:
        return Birth(session=session, role="kiosk" if self.config.role == "kiosk" else "window-bus",
                     software=SOFTWARE, config_hash=self.setup.config_hash, ts=self.clock.time(),
                     devices=[DeviceInfo(**d) for d in self.supervisor.inventory()])

    def publish_telemetry(self) -> None:
        for name, status in self.supervisor.get_status().items():
            values: dict[str, Any] = {"state": status["state"], "reason": status["reason"],
                                      "restarts": status["restarts"]}
            values.update({k: v for k, v in status["counters"].items() if isinstance(v, (int, float))})
            values.update({k: v for k, v in status.get("info", {}).items() if isinstance(v, (int, float, str, bool))})
            self.link.telemetry(name, values)
        disk = shutil.disk_usage(self.state_dir)
        mem = self.process.memory_info()
        self.link.telemetry("system", {
            "uptime_s": round(self.clock.time() - self.started_at), "cpu_percent": self.process.cpu_percent(None),
            "rss_mb": round(mem.rss / 2**20, 1), "disk_free_mb": disk.free // 2**20,
            "disk_free_ratio": round(disk.free / disk.total, 3), "local_api_clients": self.api.clients,
            **self.link.get_status()})

    # ---- driver callbacks ------------------------------------------------------------------------
    def _device_state(self, name: str, condition: Condition) -> None:
        self.link.set_device_state(name, DeviceStatePayload(state=condition.state.value, reason=condition.reason.value,
                                                            detail=condition.detail[:120], since=self.clock.time()))
        self.api.broadcast(event("device_state", {"device": name, **condition.as_dict()}))

    def _device_event(self, name: str, ev: object) -> None:
        """Where the device's family routes it: card reads and scans to the kiosk only, key presses
        and ratings through the outbox (whose refusal the driver must hear: no catch here)."""
        route = self.supervisor.family_of(name).route(ev)
        if route is None:
            log.warning("unhandled device event", extra={"device": name, "event": type(ev).__name__})
        elif route.to == "citizen":
            self.api.broadcast(event(route.event, self.citizens.from_card(route.data["card"]).for_kiosk()))
        elif route.to == "kiosk":
            self.api.broadcast(event(route.event, dict(route.data)))
        else:
            self.link.emit(route.event, dict(route.data))

    # ---- hall channels ---------------------------------------------------------------------------
    def _catalog_path(self) -> Path:
        return self.state_dir / "catalog.json"

    def _load_cached_catalog(self) -> dict[str, Any] | None:
        try:
            return json.loads(self._catalog_path().read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def _on_catalog(self, topic: Topic, msg: Message) -> None:
        data = payloads.hall_data("catalog", decode(Kind.HALL, msg.payload, HallMessage).data)
        if self.hall.catalog and self.hall.catalog.get("hash") == data.get("hash"):
            return
        self.hall.catalog = data
        tmp = self._catalog_path().with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self._catalog_path())  # a cached copy for guides while the center is away
        self.api.broadcast(event("catalog", {"hash": data.get("hash")}))

    def _on_queue(self, topic: Topic, msg: Message) -> None:
        self.hall.queue = kiosk_queue(payloads.hall_data("queue", decode(Kind.HALL, msg.payload, HallMessage).data))
        self.api.broadcast(event("queue", self.hall.queue))
