"""Wait estimates against real waits on scripted mornings, for the old estimator and the new.

Each scenario plays a morning through the real QueueEngine on SQLite with a FakeClock: one
category served by every window, Poisson arrivals from 08:30 at `per_hour` until `arrivals`
tickets, services lognormal with median 5.5 min (σ of the log 0.5) clipped to 2–15 min, each
ticket called the moment a window is free and served from its call, no no-shows; a seeded RNG
per run. For each ticket the estimate given at issue (low, high, expected) is set against its
real wait (issue → call): median absolute error of the expected wait, the share of real waits
inside low–high, the mean width high − low, each also as a share of the mean wait.

The old estimator (people ahead − idle windows + ½, ÷ open windows, × an EWMA of the
category's services at this hour; range ∓ its mean deviation·√rounds + 15 %) is kept here,
for the baseline only, and reads the same database at the same moment.

Targets (issue 13, finding 10): ≥ 80 % inside, median error ≤ 15 % and mean width ≤ 50 % of
the mean wait.  Run: `python -m bench.estimates`.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
import statistics
import tempfile
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import Connection

from center.db import open_database, services, window_categories, windows
from center.queue import QueueEngine
from center.queue_errors import NoTicketWaiting
from center.queue_types import OPEN_WINDOW_STATES, CategoryRules, QueueSettings, WindowState
from core.clock import FakeClock

TZ = ZoneInfo("Asia/Shanghai")
MORNING = datetime(2026, 11, 24, 8, 30, tzinfo=TZ)  # a Tuesday
HOURS = {d: ((time(8, 30), time(12, 0)),) for d in range(5)}
CATEGORY = CategoryRules("A", "A", HOURS)
MEDIAN_S, LOG_SD, CLIP_S = 5.5 * 60, 0.5, (2 * 60, 15 * 60)


@dataclass(frozen=True)
class Scenario:
    name: str
    windows: int
    arrivals: int
    per_hour: float
    history: bool  # the day before was played the same way: its services are on record


SCENARIOS = (Scenario("2 windows, 30 arrivals at 50/h, empty database", 2, 30, 50, False),
             Scenario("2 windows, 30 arrivals at 50/h, after a day like it", 2, 30, 50, True),
             Scenario("3 windows, 45 arrivals at 70/h, after a day like it", 3, 45, 70, True))
SEEDS = tuple(range(1, 11))


@dataclass(frozen=True)
class Given:
    expected_s: float
    low_min: int
    high_min: int


@dataclass(frozen=True)
class Scored:
    """One estimator over the tickets of one or more runs."""

    mean_wait_min: float
    median_error_min: float
    inside: float
    mean_width_min: float

    def line(self) -> str:
        error = self.median_error_min
        return (f"median |error| {error:4.1f} min ({error / self.mean_wait_min:4.0%}), "
                f"inside {self.inside:4.0%}, mean width {self.mean_width_min:4.1f} min "
                f"({self.mean_width_min / self.mean_wait_min:4.0%})")


def score(pairs: list[tuple[Given, float]]) -> Scored:
    waits = [w for _, w in pairs]
    return Scored(
        mean_wait_min=statistics.fmean(waits) / 60,
        median_error_min=statistics.median(abs(g.expected_s - w) for g, w in pairs) / 60,
        inside=sum(g.low_min * 60 <= w <= g.high_min * 60 for g, w in pairs) / len(pairs),
        mean_width_min=statistics.fmean(g.high_min - g.low_min for g, _ in pairs),
    )


def service_s(rng: random.Random) -> float:
    return min(max(rng.lognormvariate(math.log(MEDIAN_S), LOG_SD), CLIP_S[0]), CLIP_S[1])


def play(scenario: Scenario, seed: int, workdir: Path) -> dict[str, list[tuple[Given, float]]]:
    """One morning (after the day before's, with `scenario.history`); per estimator,
    (estimate given at issue, real wait) for every ticket of the morning."""
    db = open_database(f"sqlite:///{workdir / f'{scenario.name}-{seed}.db'}")
    clock = FakeClock(MORNING.timestamp())
    engine = QueueEngine(db, clock, [CATEGORY])
    for code in range(1, scenario.windows + 1):
        engine.configure_window(str(code), [CATEGORY.code])
        engine.sign_in(str(code), f"staff-{code}")
    if scenario.history:
        _morning(engine, clock, scenario, random.Random(seed + 1000), MORNING - timedelta(days=1))
    result = _morning(engine, clock, scenario, random.Random(seed), MORNING)
    db.dispose()
    return result


def _morning(engine: QueueEngine, clock: FakeClock, scenario: Scenario, rng: random.Random,
             start: datetime) -> dict[str, list[tuple[Given, float]]]:
    events: list[tuple[float, int, str]] = []  # (when, order, window or "" for an arrival)
    order = itertools.count()
    t = start.timestamp()
    for _ in range(scenario.arrivals):
        t += rng.expovariate(scenario.per_hour / 3600)
        heapq.heappush(events, (t, next(order), ""))
    given: dict[int, dict[str, Given]] = {}
    issued: dict[int, float] = {}
    waited: dict[int, float] = {}
    idle = [str(code) for code in range(1, scenario.windows + 1)]

    def call(code: str) -> None:
        try:
            c = engine.call_next(code)
        except NoTicketWaiting:
            idle.append(code)
            return
        waited[c.ticket_id] = clock.time() - issued[c.ticket_id]
        engine.start(code, from_call=True)
        heapq.heappush(events, (clock.time() + service_s(rng), next(order), code))

    while events:
        when, _, code = heapq.heappop(events)
        clock.set(datetime.fromtimestamp(when, TZ))
        if code:
            engine.finish(code)
            call(code)
            continue
        ticket = engine.issue_ticket(CATEGORY.code, "kiosk")
        issued[ticket.id] = when
        new = engine.ticket_view(ticket.id).estimate
        with engine.db.read() as conn:
            old = old_estimate(conn, engine, new.ahead)
        given[ticket.id] = {"old": old, "new": Given(new.expected_s or 0.0, new.low_min or 0, new.high_min or 0)}
        if idle:
            call(idle.pop(0))
    return {name: [(given[i][name], waited[i]) for i in given] for name in ("old", "new")}


# ---------------------------------------------------------------- the estimator before finding 10

def old_estimate(conn: Connection, engine: QueueEngine, ahead: int) -> Given:
    """The estimator as it was (center/waits.py before issue 13, finding 10)."""
    settings: QueueSettings = engine.settings
    durations = _old_recent(conn, engine.local().hour, settings.learn_window)
    if len(durations) < 3:
        durations = _old_recent(conn, None, settings.learn_window)
    if durations:
        mean, dev = durations[0], durations[0] / 4
        for x in durations[1:]:
            dev = 0.3 * abs(x - mean) + 0.7 * dev
            mean = 0.3 * x + 0.7 * mean
    else:
        mean = settings.default_service_min * 60
        dev = mean / 2
    rows = conn.execute(
        select(window_categories.c.window, windows.c.state)
        .join(windows, windows.c.code == window_categories.c.window)
        .where(windows.c.state.in_([s.value for s in OPEN_WINDOW_STATES]))
    ).all()
    share, free = float(len(rows)), float(sum(state == WindowState.IDLE.value for _, state in rows))
    rounds = (ahead - free + 0.5) / share if ahead >= free else 0.0
    expected = rounds * mean
    spread = dev * math.sqrt(rounds) + 0.15 * expected
    low = math.floor(max(0.0, expected - spread) / 60)
    return Given(expected, low, max(math.ceil((expected + spread) / 60), low + 1))


def _old_recent(conn: Connection, hour: int | None, limit: int) -> list[float]:
    query = (
        select(services.c.ended_at - services.c.called_at)
        .where(services.c.category == CATEGORY.code, services.c.outcome == "done")
        .order_by(services.c.id.desc()).limit(limit)
    )
    if hour is not None:
        query = query.where(services.c.hour == hour)
    return [float(d) for d in reversed(conn.execute(query).scalars().all())]


# ---------------------------------------------------------------- report

def run(scenarios: tuple[Scenario, ...] = SCENARIOS, seeds: tuple[int, ...] = SEEDS) -> list[str]:
    lines = [f"services lognormal, median {MEDIAN_S / 60:.1f} min, σ(log) {LOG_SD}, clipped "
             f"{CLIP_S[0] // 60}–{CLIP_S[1] // 60} min; Poisson arrivals from 08:30; seeds {', '.join(map(str, seeds))}"]
    with tempfile.TemporaryDirectory() as workdir:
        for scenario in scenarios:
            runs = [play(scenario, seed, Path(workdir)) for seed in seeds]
            for name in ("old", "new"):
                pooled = score([p for r in runs for p in r[name]])
                seeds_inside = " ".join(f"{score(r[name]).inside:.0%}" for r in runs)
                lines.append(f"{scenario.name}, mean wait {pooled.mean_wait_min:.1f} min, {name}: {pooled.line()}; "
                             f"inside per seed {seeds_inside}")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
