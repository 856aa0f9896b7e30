"""Wait estimates: people ahead ÷ open windows × a service time learnt from recent services.

The service time is the window's occupation per finished ticket (call → end), smoothed by an EWMA
over the category's latest services at this local hour, or over its latest services at any
hour while this hour has too few. Its EWMA absolute deviation widens the range shown.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from center.db import announcements, services, window_categories, windows
from center.queue_types import OPEN_WINDOW_STATES, Estimate, QueueSettings, WindowState

MIN_HOUR_SAMPLES = 3


@dataclass(frozen=True)
class ServiceTime:
    mean_s: float
    dev_s: float
    samples: int


def ewma(durations: Sequence[float], alpha: float) -> tuple[float, float]:
    """(mean, mean absolute deviation), oldest first, each smoothed with `alpha`."""
    mean, dev = durations[0], durations[0] / 4
    for x in durations[1:]:
        dev = alpha * abs(x - mean) + (1 - alpha) * dev
        mean = alpha * x + (1 - alpha) * mean
    return mean, dev


def _recent(conn: Connection, category: str, hour: int | None, limit: int) -> list[float]:
    query = (
        select(services.c.ended_at - services.c.called_at)
        .where(services.c.category == category, services.c.outcome == "done")
        .order_by(services.c.id.desc())
        .limit(limit)
    )
    if hour is not None:
        query = query.where(services.c.hour == hour)
    return [float(d) for d in reversed(conn.execute(query).scalars().all())]


def service_time(conn: Connection, category: str, hour: int, settings: QueueSettings) -> ServiceTime:
    durations = _recent(conn, category, hour, settings.learn_window)
    if len(durations) < MIN_HOUR_SAMPLES:
        durations = _recent(conn, category, None, settings.learn_window)
    if not durations:
        default = settings.default_service_min * 60
        return ServiceTime(default, default / 2, 0)
    mean, dev = ewma(durations, settings.ewma_alpha)
    return ServiceTime(mean, dev, len(durations))


@dataclass(frozen=True)
class Capacity:
    """Open windows serving a category; a window serving k categories counts 1/k in `share`."""

    windows: int
    share: float
    idle_share: float


NO_CAPACITY = Capacity(0, 0.0, 0.0)


def capacity(conn: Connection) -> dict[str, Capacity]:
    rows = conn.execute(
        select(window_categories.c.window, window_categories.c.category, windows.c.state)
        .join(windows, windows.c.code == window_categories.c.window)
        .where(windows.c.state.in_([s.value for s in OPEN_WINDOW_STATES]))
    ).all()
    served = Counter(window for window, _, _ in rows)
    result: dict[str, Capacity] = {}
    for window, category, state in rows:
        share = 1 / served[window]
        c = result.get(category, NO_CAPACITY)
        result[category] = Capacity(c.windows + 1, c.share + share,
                                    c.idle_share + share * (state == WindowState.IDLE.value))
    return result


def estimate(category: str, ahead: int, capacity: Capacity, st: ServiceTime, at_least_s: float = 0.0) -> Estimate:
    """Wait for the next person to join: idle windows take the first in line at once; after
    that each further place costs a service time shared by the open windows (the first
    completion comes on average half a service in). `at_least_s`: not called before then (an
    appointment checked in before its slot)."""
    if capacity.windows == 0:
        return Estimate(category, ahead, 0, st.mean_s, None, None, None)
    free = capacity.idle_share
    rounds = (ahead - free + 0.5) / capacity.share if ahead >= free else 0.0
    queued = rounds * st.mean_s
    expected = max(queued, at_least_s)
    spread = st.dev_s * math.sqrt(rounds) + 0.15 * queued
    low = math.floor(max(at_least_s, expected - spread) / 60)
    high = max(math.ceil((expected + spread) / 60), low + 1)
    return Estimate(category, ahead, capacity.windows, st.mean_s, expected, low, high)


def last_called(conn: Connection, category: str, since: float) -> str | None:
    """The number last called for `category` since `since` (today's midnight): it tells more
    than "N ahead", which no-shows distort."""
    query = (
        select(announcements.c.number, announcements.c.at)
        .where(announcements.c.category == category)
        .order_by(announcements.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return row.number if row is not None and row.at >= since else None
