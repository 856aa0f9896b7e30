"""`/metrics` by prometheus-client, on a registry of the center's own (never the library's global).

Two kinds of figure: what the engine and the link know now (waiting, windows, terminals,
devices, calls since the database began) is read at each scrape by `HallCollector`, so a
figure read from the engine's tables survives a restart; what only happens in passing (a
request's latency, a ticket's wait when first called) is observed into histograms here. The
process collector adds memory, CPU and open files, as operators expect of any exporter.
Names: docs/operations.md, "Metrics".
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from center.db import Database, announcements
from center.queue import QueueEngine
from center.queue_types import Call, CallKind
from mqtt.center import CenterLink

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
WAIT_BUCKETS = tuple(60.0 * m for m in (1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180))  # a hall's waits


def _gauge(name: str, help_text: str, label: str | None, samples: Iterator[tuple[str, float]] | float) -> Metric:
    if isinstance(samples, (int, float)):
        return GaugeMetricFamily(name, help_text, value=samples)
    family = GaugeMetricFamily(name, help_text, labels=[label or ""])
    for value, n in samples:
        family.add_metric([value], n)
    return family


def _counter(name: str, help_text: str, label: str, samples: Iterator[tuple[str, float]]) -> Metric:
    family = CounterMetricFamily(name, help_text, labels=[label])
    for value, n in samples:
        family.add_metric([value], n)
    return family


class HallCollector(Collector):
    """The hall as the engine and the link see it at the moment of the scrape."""

    def __init__(self, engine: QueueEngine, link: CenterLink, db: Database, sse_clients: Callable[[], int]) -> None:
        self.engine, self.link, self.db, self.sse_clients = engine, link, db, sse_clients

    def collect(self) -> Iterator[Metric]:
        engine, link = self.engine, self.link
        summary = engine.queue_summary()
        views = list(link.terminals.values())
        devices = Counter(("stale" if not v.online else d.state) for v in views for d in v.devices.values())
        with self.db.read() as conn:
            calls = conn.execute(select(announcements.c.kind, func.count()).group_by(announcements.c.kind)).all()
        windows = Counter(w.state.value for w in engine.window_states())
        yield _gauge("onetrip_tickets_waiting", "Tickets waiting now, per category.", "category",
                     ((s.category, s.waiting) for s in summary))
        yield _gauge("onetrip_tickets_issued_today", "Numbers issued today, per category.", "category",
                     ((s.category, s.issued) for s in summary))
        yield _gauge("onetrip_longest_wait_seconds", "Longest current wait, per category.", "category",
                     ((s.category, round(s.longest_wait_s, 1)) for s in summary))
        yield _counter("onetrip_calls", "Calls announced since the database began, by kind.", "kind",
                       iter(sorted(calls)))
        yield _gauge("onetrip_windows", "Windows per state.", "state", iter(sorted(windows.items())))
        yield _gauge("onetrip_terminals_online", "Terminals whose link is up.", None, sum(v.online for v in views))
        yield _gauge("onetrip_terminals_known", "Terminals the center has heard of.", None, len(views))
        yield _gauge("onetrip_devices", "Devices per state (stale: their terminal is offline).", "state",
                     iter(sorted(devices.items())))
        yield _gauge("onetrip_devices_offline", "Devices offline or on an offline terminal.", None,
                     devices["offline"] + devices["stale"])
        yield _gauge("onetrip_alerts_active", "Active alerts, by kind.", "kind",
                     iter(sorted(Counter(a.kind for a in engine.list_alerts()).items())))
        yield _counter("onetrip_mqtt_events", "Hall link counters (mqtt.client.Link.stats).", "counter",
                       iter(sorted(link.stats.items())))
        yield _gauge("onetrip_mqtt_connected", "1 while the center's MQTT link is up.", None, int(link.connected))
        yield _gauge("onetrip_sse_clients", "Screens connected to /events.", None, self.sse_clients())


class CenterMetrics:
    """The registry /metrics renders, with the two histograms the center observes into."""

    def __init__(self, engine: QueueEngine, link: CenterLink, db: Database, sse_clients: Callable[[], int]) -> None:
        self.registry = CollectorRegistry()
        self.engine = engine
        self.latency = Histogram("onetrip_http_request_duration_seconds",
                                 "Time to the first byte of a response, by route.", ["route", "method"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.wait = Histogram("onetrip_queue_wait_seconds", "From taking a number to its first call, per category.",
                              ["category"], buckets=WAIT_BUCKETS, registry=self.registry)
        ProcessCollector(registry=self.registry)
        self.registry.register(HallCollector(engine, link, db, sse_clients))

    def called(self, call: Call) -> None:
        """An announcer (Announcing.announcers): a first call ends the ticket's wait."""
        if call.kind is CallKind.CALL:
            issued_at = self.engine.ticket(call.ticket_id).issued_at
            self.wait.labels(call.category).observe(max(0.0, call.at - issued_at))
