"""A bounded in-memory history of terminals' telemetry, for the control room's small charts.

The hall link keeps only each device's latest telemetry; sampling it every few seconds and
keeping a sample whenever its timestamp moved gives a history without touching the link.
Only numbers are kept (states and reasons are shown from the device state itself), and
each (terminal, device) keeps its last `points` samples, so memory stays bounded whatever
the hall's size or uptime.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from mqtt.center import TerminalView


class TelemetryHistory:
    def __init__(self, points: int = 120) -> None:
        self.points = points
        self._series: dict[tuple[str, str], deque[tuple[float, dict[str, float]]]] = {}
        self._lock = threading.Lock()

    def sample(self, terminals: Mapping[str, TerminalView]) -> int:
        """Record the telemetry that arrived since the last sample; returns how many samples."""
        added = 0
        for terminal, view in list(terminals.items()):
            for device, tele in list(view.telemetry.items()):
                numbers = {k: float(v) for k, v in tele.values.items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool)}
                at = view.heard.get(device, tele.ts)  # the center's clock: one time axis for every terminal
                with self._lock:
                    series = self._series.setdefault((terminal, device), deque(maxlen=self.points))
                    if series and series[-1][0] >= at:
                        continue
                    series.append((at, numbers))
                added += 1
        return added

    def terminal(self, terminal: str) -> dict[str, dict[str, Any]]:
        """device → {"ts": [...], "values": {metric: [...]}}, None where a sample lacked a metric."""
        with self._lock:
            found = {d: list(s) for (t, d), s in self._series.items() if t == terminal}
        out = {}
        for device, samples in sorted(found.items()):
            metrics = sorted({k for _, values in samples for k in values})
            out[device] = {"ts": [ts for ts, _ in samples],
                           "values": {m: [values.get(m) for _, values in samples] for m in metrics}}
        return out

    def get_status(self) -> dict[str, Any]:
        with self._lock:
            return {"series": len(self._series), "samples": sum(len(s) for s in self._series.values()),
                    "points": self.points}
