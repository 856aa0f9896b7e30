"""Availability: terminals and their devices as alerts (offline, paper out, outbox backlog,
clock off hall time) and as the summaries the control room shows."""
from __future__ import annotations

from typing import Any, Iterable

from center import i18n
from center.alerts import AlertKind
from center.hub import Hub
from center.plain import plain
from center.queue import QueueEngine
from mqtt.center import TerminalView


class Availability:
    """What the control room must know about the hall's machines, as alerts that clear themselves."""

    def __init__(self, engine: QueueEngine, hub: Hub, outbox_backlog_alert: int, clock_offset_alert_ms: float) -> None:
        self.engine = engine
        self.hub = hub
        self.outbox_backlog_alert = outbox_backlog_alert
        self.clock_offset_alert_ms = clock_offset_alert_ms

    def alert(self, active: bool, kind: AlertKind, key: str, text: str) -> None:
        """Raise (or refresh) the alert while `active`, clear it once it is not."""
        if active:
            self.hub.publish("alert", plain(self.engine.raise_alert(kind, key, text)))
        elif self.engine.clear_alert(kind, key):
            self.hub.publish("alert_cleared", {"kind": kind.value, "key": key})

    def check_terminals(self, terminals: Iterable[TerminalView]) -> None:
        """Alerts that depend on time passing: a terminal's outbox backing up, its clock drifting."""
        for view in terminals:
            system = view.telemetry["system"].values if "system" in view.telemetry else {}
            depth, full = system.get("outbox_depth", 0), bool(system.get("outbox_full"))
            self.alert(full or bool(depth and depth >= self.outbox_backlog_alert), AlertKind.OUTBOX_BACKLOG,
                       view.terminal, i18n.text("alert.outbox_full" if full else "alert.outbox_backlog",
                                                terminal=view.terminal, depth=depth))
            self._clock_alert(view.terminal, system)

    def _clock_alert(self, terminal: str, system: dict[str, Any]) -> None:
        """A terminal's wall clock off hall time: it keeps working (it shows and stamps hall time),
        but its machine needs its clock set, so maintenance is told which one and by how much."""
        offset = system.get("clock_offset_ms")
        if not system.get("clock_synced") or not isinstance(offset, (int, float)):
            return
        limit = self.clock_offset_alert_ms
        self.alert(abs(offset) > limit, AlertKind.CLOCK_OFFSET, terminal,
                   i18n.text("alert.clock_offset", terminal=terminal, offset=f"{offset / 1000:+.1f}",
                             limit=f"{limit / 1000:g}"))

    def terminal_changed(self, terminal: str, view: TerminalView) -> None:
        for device, state in view.devices.items():
            key = f"{terminal}/{device}"
            offline = state.state == "offline" or not view.online
            reason = "terminal_offline" if not view.online else state.reason or "offline"
            self.alert(offline and state.reason != "paper_out", AlertKind.DEVICE_OFFLINE, key,
                       i18n.text("alert.device_offline", device=key, reason=i18n.text(f"device_reason.{reason}")))
            self.alert(view.online and state.reason == "paper_out", AlertKind.PAPER_OUT, key,
                       i18n.text("alert.paper_out", device=key))
        self.hub.publish("terminal", self.terminal_summary(view))

    def terminal_summary(self, view: TerminalView) -> dict[str, Any]:
        return {"terminal": view.terminal, "online": view.online, "session": view.session,
                "role": view.birth.role if view.birth else None,
                "devices": {d: {**s.model_dump(), "stale": view.stale} for d, s in view.devices.items()},
                "telemetry": {d: t.values for d, t in view.telemetry.items()}}

