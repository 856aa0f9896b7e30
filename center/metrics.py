"""`/metrics` in the Prometheus text format (version 0.0.4).

prometheus_client is not a dependency: every figure here is read on demand from the engine
and the link (the engine's tables are the truth, so a counter read from them survives a
restart), and the format of a few gauges, counters and one histogram is a few lines. The
only state this module keeps is the request-latency histogram.
"""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from center.db import announcements

if TYPE_CHECKING:
    from center.service import CenterService

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

Sample = tuple[Mapping[str, str], float]


def _escape(value: str) -> str:
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if value != int(value) else str(int(value))


def family(name: str, kind: str, help_text: str, samples: Iterable[Sample]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    return lines + [f"{name}{_labels(labels)} {_number(value)}" for labels, value in samples]


class LatencyHistogram:
    """Request durations per route template (bounded label set: the app's routes)."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self._counts: dict[tuple[str, str], list[int]] = {}
        self._sums: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def observe(self, route: str, method: str, seconds: float) -> None:
        with self._lock:
            counts = self._counts.setdefault((route, method), [0] * (len(self.buckets) + 1))
            counts[next((i for i, b in enumerate(self.buckets) if seconds <= b), len(self.buckets))] += 1
            self._sums[route, method] += seconds

    def render(self, name: str) -> list[str]:
        lines = [f"# HELP {name} Time to the first byte of a response, by route.", f"# TYPE {name} histogram"]
        with self._lock:
            for (route, method), counts in sorted(self._counts.items()):
                labels = {"route": route, "method": method}
                running = 0
                for bound, n in zip((*map(str, self.buckets), "+Inf"), counts):
                    running += n
                    lines.append(f"{name}_bucket{_labels({**labels, 'le': bound})} {running}")
                lines.append(f"{name}_sum{_labels(labels)} {self._sums[route, method]!r}")
                lines.append(f"{name}_count{_labels(labels)} {running}")
        return lines


def render(service: CenterService, latency: LatencyHistogram, sse_clients: int) -> str:
    engine = service.engine
    summary = engine.queue_summary()
    windows = engine.window_states()
    views = list(service.link.terminals.values())
    devices = Counter(
        ("stale" if not v.online else d.state) for v in views for d in v.devices.values()
    )
    with service.db.read() as conn:
        calls = conn.execute(select(announcements.c.kind, func.count()).group_by(announcements.c.kind)).all()
    alerts = Counter(a.kind for a in engine.list_alerts())
    lines = [
        *family("onetrip_tickets_waiting", "gauge", "Tickets waiting now, per category.",
                (({"category": s.category}, s.waiting) for s in summary)),
        *family("onetrip_tickets_issued_today", "gauge", "Numbers issued today, per category.",
                (({"category": s.category}, s.issued) for s in summary)),
        *family("onetrip_longest_wait_seconds", "gauge", "Longest current wait, per category.",
                (({"category": s.category}, round(s.longest_wait_s, 1)) for s in summary)),
        *family("onetrip_calls_total", "counter", "Calls announced since the database began, by kind.",
                (({"kind": kind}, n) for kind, n in sorted(calls))),
        *family("onetrip_windows", "gauge", "Windows per state.",
                (({"state": state}, n) for state, n in sorted(Counter(w.state.value for w in windows).items()))),
        *family("onetrip_terminals_online", "gauge", "Terminals whose link is up.",
                [({}, sum(v.online for v in views))]),
        *family("onetrip_terminals_known", "gauge", "Terminals the center has heard of.", [({}, len(views))]),
        *family("onetrip_devices", "gauge", "Devices per state (stale: their terminal is offline).",
                (({"state": state}, n) for state, n in sorted(devices.items()))),
        *family("onetrip_devices_offline", "gauge", "Devices offline or on an offline terminal.",
                [({}, devices["offline"] + devices["stale"])]),
        *family("onetrip_alerts_active", "gauge", "Active alerts, by kind.",
                (({"kind": kind}, n) for kind, n in sorted(alerts.items()))),
        *family("onetrip_mqtt_events_total", "counter", "Hall link counters (mqtt.client.Link.stats).",
                (({"counter": k}, v) for k, v in sorted(service.link.stats.items()))),
        *family("onetrip_mqtt_connected", "gauge", "1 while the center's MQTT link is up.",
                [({}, int(service.link.connected))]),
        *family("onetrip_sse_clients", "gauge", "Screens connected to /events.", [({}, sse_clients)]),
        *latency.render("onetrip_http_request_duration_seconds"),
    ]
    return "\n".join(lines) + "\n"
