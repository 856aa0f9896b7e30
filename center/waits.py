"""Wait estimates: when the windows serving a category will have taken everyone ahead.

Each open window serving the category takes its next ticket when its current service ends —
what is left of it given how long it has run — or at once if idle, then one ticket per
service time. Service times (call → end of the window's occupation) are learnt from today's
finished and running services per window and category, each window's shrunk towards its
category's, and each category's pooled with its last services of earlier days (else with the
configured default). The range is the 10th–90th percentile of a lognormal with the wait's
mean and variance: what is left of the services in progress, the services to come (k of them
vary as k·σ², shared across the windows), the doubt of a mean learnt from few services, and
a share of the wait for what the model leaves out.

Two queries per estimate (open windows with their services in progress; today's services per
window and category, summed), each compiled once (db.Prepared). A category's prior — its
services of earlier days — cannot change during a day (only services ended before today's
midnight count), so `Priors` reads it once per category, hour and day.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.engine import Connection

from center.db import Prepared, announcements, services, tickets, window_categories, windows
from center.queue_types import OPEN_WINDOW_STATES, Estimate, QueueSettings, WindowState

Z90 = 1.2816        # the standard normal's 90th percentile: ranges run from the 10th to the 90th
DEFAULT_CV = 0.5    # service-time spread (sd ÷ mean) assumed until services are learnt
PRIOR_WEIGHT = 2    # services' worth of weight the assumed spread has against the learnt one
HISTORY_WEIGHT = 10  # at most this many services' worth of weight earlier days have against today's
DEFAULT_WEIGHT = 3  # services' worth of weight the configured default has, without earlier days
WINDOW_WEIGHT = 2   # services' worth of weight the category's mean has against a window's own
LEFT_FLOOR_S = 30.0  # what an overrunning service still has left, at least
MIN_SERVICE_S = 10.0  # a learnt mean below this is a double press (start, finish), not a service
UNMODELLED = 0.15   # sd, as a share of the wait, of what the model leaves out: pauses, priority
                    # tickets arriving later and jumping ahead, no-shows, shared windows' mix
BUSY = (WindowState.CALLING.value, WindowState.SERVING.value)


@dataclass(frozen=True)
class ServiceTime:
    mean_s: float
    sd_s: float
    samples: int  # today's services it was learnt from


@dataclass(frozen=True)
class OpenWindow:
    """An open window serving a category; serving k categories it is `share` 1/k of a window
    for each. `busy`: the category and call time of the ticket at its counter, if any."""

    code: str
    share: float
    busy: tuple[str, float] | None


Sums = dict[tuple[str, str], tuple[int, float, float]]  # (window, category) → (n, Σ duration, Σ duration²)


class ServiceTimes:
    """Service times per window and category, and per category over all windows.

    The services finished so far today are the short ones (the long ones are still running),
    so the services in progress count too, each as what it is expected to last given how long
    it has run (one EM step); `samples` counts the finished ones only."""

    def __init__(self, finished: Sums, running: Sequence[tuple[str, str, float]],
                 priors: dict[str, ServiceTime]) -> None:
        self._priors = priors
        self._samples: dict[str, int] = {}
        for (_, category), (n, _, _) in finished.items():
            self._samples[category] = self._samples.get(category, 0) + n
        self._learn(finished)
        sums = dict(finished)
        for window, category, elapsed in running:
            left, var = remaining(self.at(window, category), elapsed)
            n, total, sq = sums.get((window, category), (0, 0.0, 0.0))
            x = elapsed + left
            sums[(window, category)] = (n + 1, total + x, sq + x * x + var)
        self._learn(sums)

    def _learn(self, sums: Sums) -> None:
        """Per category, today's services pooled with the prior's weight of earlier days'."""
        groups: dict[str, list[tuple[int, float, float]]] = {}
        for (_, category), g in sums.items():
            groups.setdefault(category, []).append(g)
        self._sums = sums
        self._categories = dict(self._priors)
        for category, gs in groups.items():
            prior = self._priors[category]
            n = sum(k for k, _, _ in gs) + prior.samples
            mean = max(MIN_SERVICE_S, (sum(total for _, total, _ in gs) + prior.samples * prior.mean_s) / n)
            # the spread within windows (differences between windows are in their own means)
            within = sum(max(0.0, sq - total * total / k) for k, total, sq in gs) + prior.samples * prior.sd_s ** 2
            within += PRIOR_WEIGHT * (DEFAULT_CV * mean) ** 2
            sd = math.sqrt(within / (PRIOR_WEIGHT + n - len(gs)))
            self._categories[category] = ServiceTime(mean, sd, self._samples.get(category, 0) + prior.samples)

    def category(self, category: str) -> ServiceTime:
        return self._categories[category]

    def at(self, window: str, category: str) -> ServiceTime:
        """The window's own mean, weighed against the category's by WINDOW_WEIGHT services."""
        c = self._categories[category]
        n, total, _ = self._sums.get((window, category), (0, 0.0, 0.0))
        return ServiceTime(max(MIN_SERVICE_S, (WINDOW_WEIGHT * c.mean_s + total) / (WINDOW_WEIGHT + n)),
                           c.sd_s, c.samples)


_D = services.c.ended_at - services.c.called_at
_TODAY = Prepared(
    select(services.c.window, services.c.category, func.count(), func.sum(_D), func.sum(_D * _D))
    .select_from(services.join(tickets, tickets.c.id == services.c.ticket_id))
    .where(tickets.c.day == bindparam("day"), services.c.outcome == "done")
    .group_by(services.c.window, services.c.category)
)


class Priors:
    """Each category's prior, read once per (category, local hour, day): what a day learns
    from earlier days does not move while it runs. Safe to share between threads (a race
    reads the same prior twice)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, float, int, float], ServiceTime] = {}

    def get(self, conn: Connection, category: str, hour: int, midnight: float, settings: QueueSettings) -> ServiceTime:
        key = (category, hour, midnight, settings.learn_window, settings.default_service_min)
        prior = self._known.get(key)
        if prior is None:
            if any(k[2] != midnight for k in self._known):  # a new day: yesterday's priors are done with
                self._known = {k: v for k, v in self._known.items() if k[2] == midnight}
            prior = self._known[key] = _prior(conn, category, hour, midnight, settings)
        return prior


def service_times(conn: Connection, now: float, hour: int, midnight: float, open_windows: dict[str, list[OpenWindow]],
                  finished: Sums, categories: Iterable[str], settings: QueueSettings,
                  priors: Priors | None = None) -> ServiceTimes:
    """Learn from today's services, `finished` and in progress, for `categories` and those at a
    counter now, each starting from a prior (`_prior`, through `priors` when given)."""
    running = sorted({(w.code, w.busy[0], now - w.busy[1]) for ws in open_windows.values() for w in ws
                      if w.busy is not None})
    wanted = set(categories) | {c for _, c, _ in running} | {c for _, c in finished}
    prior = priors.get if priors is not None else _prior
    return ServiceTimes(finished, running, {c: prior(conn, c, hour, midnight, settings) for c in wanted})


def _prior(conn: Connection, category: str, hour: int, midnight: float, settings: QueueSettings) -> ServiceTime:
    """The category's last services of earlier days ending in this local hour (else in any),
    worth at most HISTORY_WEIGHT of today's; without any, the configured default, worth DEFAULT_WEIGHT."""
    durations = _history(conn, category, hour, midnight, settings.learn_window)
    if not durations:
        durations = _history(conn, category, None, midnight, settings.learn_window)
    if not durations:
        default = settings.default_service_min * 60
        return ServiceTime(default, DEFAULT_CV * default, DEFAULT_WEIGHT)
    mean = max(MIN_SERVICE_S, sum(durations) / len(durations))
    var = (PRIOR_WEIGHT * (DEFAULT_CV * mean) ** 2 + sum((x - mean) ** 2 for x in durations)) \
        / (PRIOR_WEIGHT + len(durations) - 1)
    return ServiceTime(mean, math.sqrt(var), min(len(durations), HISTORY_WEIGHT))


def _history(conn: Connection, category: str, hour: int | None, before: float, limit: int) -> list[float]:
    query = (
        select(services.c.ended_at - services.c.called_at)
        .where(services.c.category == category, services.c.outcome == "done", services.c.ended_at < before)
        .order_by(services.c.id.desc())
        .limit(limit)
    )
    if hour is not None:
        query = query.where(services.c.hour == hour)
    return [float(d) for d in conn.execute(query).scalars().all()]


_CAPACITY = Prepared(
    select(window_categories.c.window, window_categories.c.category, windows.c.state,
           services.c.category.label("serving"), services.c.called_at)
    .join(windows, windows.c.code == window_categories.c.window)
    .outerjoin(services, services.c.id == windows.c.service_id)
    .where(or_(*(windows.c.state == s.value for s in OPEN_WINDOW_STATES)))
    .order_by(window_categories.c.window)
)


def capacity(conn: Connection) -> dict[str, list[OpenWindow]]:
    """category → the open windows (idle, calling, serving) that serve it."""
    rows = _CAPACITY(conn, {}).all()
    served: dict[str, int] = {}
    for r in rows:
        served[r.window] = served.get(r.window, 0) + 1
    result: dict[str, list[OpenWindow]] = {}
    for r in rows:
        busy = (r.serving, r.called_at) if r.state in BUSY else None
        result.setdefault(r.category, []).append(OpenWindow(r.window, 1 / served[r.window], busy))
    return result


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def remaining(st: ServiceTime, elapsed: float) -> tuple[float, float]:
    """Mean and variance of what is left of a service that has run `elapsed` seconds, were
    service times lognormal with the learnt mean and sd; an overrunning service is given at
    least LEFT_FLOOR_S and at most a whole mean service."""
    s2 = math.log(1 + (st.sd_s / st.mean_s) ** 2)
    s, mu = math.sqrt(s2), math.log(st.mean_s) - s2 / 2
    if elapsed <= 0:
        return st.mean_s, st.sd_s ** 2
    a = (mu - math.log(elapsed)) / s
    p = _phi(a)
    if p < 1e-9:
        return LEFT_FLOOR_S, LEFT_FLOOR_S ** 2
    m1 = math.exp(mu + s2 / 2) * _phi(a + s) / p          # E[S | S > elapsed]
    m2 = math.exp(2 * mu + 2 * s2) * _phi(a + 2 * s) / p  # E[S² | S > elapsed]
    left = min(max(m1 - elapsed, LEFT_FLOOR_S), st.mean_s)
    return left, min(max(m2 - m1 * m1, 0.0), st.sd_s ** 2)


@dataclass(frozen=True)
class _Lane:
    """A window as the queue sees it: free at `free_s` (± `free_var`), then `rate` of this
    category's tickets per second, each service varying by `service_var`."""

    free_s: float
    free_var: float
    first: float  # the share of its first free moment that goes to this category
    rate: float
    service_s: float
    service_var: float


def _when(lanes: Sequence[_Lane], place: float) -> tuple[float, list[_Lane]]:
    """When the windows have taken `place` tickets (their first at their free moment, the
    rest at their rate), and the windows free by then."""
    ordered = sorted(lanes, key=lambda lane: lane.free_s)
    for i, lane in enumerate(ordered):
        active = ordered[:i + 1]
        taken = sum(a.first + a.rate * (lane.free_s - a.free_s) for a in active)
        if taken >= place:
            return lane.free_s, active
        t = lane.free_s + (place - taken) / sum(a.rate for a in active)
        if i + 1 == len(ordered) or t <= ordered[i + 1].free_s:
            return t, active
    raise AssertionError("unreachable: the last lane returns")


def estimate(category: str, ahead: int, open_windows: Sequence[OpenWindow], times: ServiceTimes,
             now: float, at_least_s: float = 0.0) -> Estimate:
    """Wait for the ticket with `ahead` people before it: the moment the windows take their
    (ahead + 1)-th ticket of `category`. An idle window takes the next ticket whole (nobody
    waits for it, or it would be calling); a busy one serving k categories gives 1/k of its
    next free moment, and of its time after, to each. `at_least_s`: not called before then
    (an appointment checked in before its slot)."""
    st = times.category(category)
    if not open_windows:
        return Estimate(category, ahead, 0, st.mean_s, None, None, None)
    lanes = []
    for w in open_windows:
        own = times.at(w.code, category)
        free, free_var, first = 0.0, 0.0, 1.0
        if w.busy is not None:
            busy_category, called_at = w.busy
            free, free_var = remaining(times.at(w.code, busy_category), now - called_at)
            first = w.share
        lanes.append(_Lane(free, free_var, first, w.share / own.mean_s, own.mean_s, own.sd_s ** 2))
    expected, active = _when(lanes, ahead + 1)
    # A lane late by δ has taken rate·δ fewer tickets: the wait's variance is the count's over the total rate².
    rate = sum(a.rate for a in active)
    variance = sum(a.rate ** 2 * (a.free_var + (expected - a.free_s) / a.service_s * a.service_var)
                   for a in active) / rate ** 2
    served = sum(a.rate * (expected - a.free_s) for a in active) / rate  # time spent on services to come
    variance += (served * st.sd_s / st.mean_s) ** 2 / (st.samples + 1)  # a mean learnt from n services
    variance += (UNMODELLED * expected) ** 2
    low, high = _range(expected, variance)
    if at_least_s > expected:  # the slot's start comes after the windows would be free for it
        expected, low = at_least_s, math.floor(at_least_s / 60)
        high = max(high, low + 1)
    return Estimate(category, ahead, len(open_windows), st.mean_s, expected, low, high)


def _range(expected: float, variance: float) -> tuple[int, int]:
    """Whole minutes around the 10th–90th percentile of a lognormal of this mean and variance."""
    if expected <= 0:
        return 0, 1
    s = math.sqrt(math.log(1 + variance / expected ** 2))
    mu = math.log(expected) - s * s / 2
    low = math.floor(math.exp(mu - Z90 * s) / 60)
    return low, max(math.ceil(math.exp(mu + Z90 * s) / 60), low + 1)


@dataclass(frozen=True)
class Hall:
    """What one estimate (or a summary's several) reads: open windows and service times."""

    windows: dict[str, list[OpenWindow]]
    times: ServiceTimes
    now: float

    def estimate(self, category: str, ahead: int, at_least_s: float = 0.0) -> Estimate:
        return estimate(category, ahead, self.windows.get(category, []), self.times, self.now, at_least_s)


@dataclass(frozen=True)
class Reading:
    """What the estimates read of today: the open windows (with the services at their
    counters) and the finished services' sums. Only window steps change it (QueueEngine
    keeps one between them)."""

    windows: dict[str, list[OpenWindow]]
    finished: Sums


def read(conn: Connection, day: str) -> Reading:
    rows = _TODAY(conn, {"day": day}).all()
    return Reading(capacity(conn), {(w, c): (int(n), float(total), float(sq)) for w, c, n, total, sq in rows})


def hall(conn: Connection, now: float, day: str, hour: int, midnight: float, categories: Iterable[str],
         settings: QueueSettings, priors: Priors | None = None, reading: Reading | None = None) -> Hall:
    """The hall for estimating `categories`: `day`, `hour` and `midnight` are local, now's;
    `reading`: today's, if the caller holds one (else read now)."""
    reading = reading or read(conn, day)
    times = service_times(conn, now, hour, midnight, reading.windows, reading.finished, categories, settings, priors)
    return Hall(reading.windows, times, now)


_LAST_CALLED = Prepared(
    select(announcements.c.number, announcements.c.at)
    .where(announcements.c.category == bindparam("category"))
    .order_by(announcements.c.id.desc())
    .limit(1)
)


def last_called(conn: Connection, category: str, since: float) -> str | None:
    """The number last called for `category` since `since` (today's midnight): it tells more
    than "N ahead", which no-shows distort."""
    row = _LAST_CALLED(conn, {"category": category}).first()
    return row.number if row is not None and row.at >= since else None
