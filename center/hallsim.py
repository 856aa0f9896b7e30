"""A simulated hall day driven through a real QueueEngine on a FakeClock.

Citizens arrive (more in the mid-morning peak), take numbers (some with priority), walk up
when called or fail to show, and are served for a random time whose mean depends on the
category and the hour; two windows pause for lunch. Every ticket's printed estimate is
compared with its real wait (issue → first call), which measures the wait estimate's error
against the naive "5 minutes × people ahead" of many halls. The bench reports it; the demo
can use it to fill a hall.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time

from center.queue import QueueEngine
from center.queue_errors import NoTicketWaiting, NotIssuingNow
from center.queue_types import CategoryRules, WindowState
from core.clock import FakeClock

OPEN, CLOSE = time(8, 30), time(17, 0)
HOURS = {d: ((OPEN, time(12, 0)), (time(13, 30), CLOSE)) for d in range(5)}
CATEGORIES = [CategoryRules("A", "A", HOURS, wait_target_min=20), CategoryRules("B", "B", HOURS, wait_target_min=30)]
WINDOWS = {"1": ["A"], "2": ["A"], "3": ["A"], "4": ["B"], "5": ["B"], "6": ["A", "B"]}
LUNCH = {"1": (time(12, 0), time(13, 0)), "4": (time(12, 0), time(13, 0))}
ARRIVALS_PER_HOUR = {8: 50, 9: 85, 10: 95, 11: 70, 13: 55, 14: 70, 15: 65, 16: 45}
SHARE_B = 0.35
SERVICE_MIN = {"A": 5.0, "B": 8.0}
HOUR_FACTOR = {8: 0.9, 9: 1.0, 10: 1.1, 11: 1.2, 13: 1.0, 14: 1.0, 15: 0.95, 16: 0.9, 17: 0.9}
WALK_UP_S = 30.0
NO_SHOW_AFTER_S = 90.0
NO_SHOW_RATE = 0.05
PRIORITY_RATE = 0.06
NAIVE_MIN_PER_PERSON = 5.0


@dataclass(frozen=True)
class DayResult:
    tickets: int
    mae_min: float          # |estimate − real wait|, mean over tickets
    bias_min: float         # mean of (estimate − real wait): negative when estimates run short
    in_range_pct: float     # real wait inside the printed low–high range
    naive_mae_min: float    # same, for "5 min × people ahead"
    mean_wait_min: float


def simulate_day(engine: QueueEngine, clock: FakeClock, day: datetime, seed: int = 1) -> DayResult:
    """Run one day from 08:30 until the queue is empty; `engine` must have no windows yet."""
    rng = random.Random(seed)
    engine.set_categories(CATEGORIES)
    for code, categories in WINDOWS.items():
        engine.configure_window(code, categories)
    events: list[tuple[float, int, str, str]] = []
    order = itertools.count()

    def at(when: time) -> float:
        return datetime.combine(day.date(), when, day.tzinfo).timestamp()

    def schedule(t: float, kind: str, what: str) -> None:
        heapq.heappush(events, (t, next(order), kind, what))

    for t in _arrivals(rng, at):
        schedule(t, "arrive", "B" if rng.random() < SHARE_B else "A")
    for code in WINDOWS:
        schedule(at(OPEN), "open", code)
    for code, (start, end) in LUNCH.items():
        schedule(at(start), "pause", code)
        schedule(at(end), "resume", code)

    printed: dict[int, tuple[float, float, int, int, int]] = {}  # ticket → (issued, expected, low, high, ahead)
    waited: dict[int, float] = {}
    pausing: set[str] = set()

    def try_call(code: str) -> None:
        if code in pausing:
            engine.pause(code, "午休")
            pausing.discard(code)
            return
        try:
            call = engine.call_next(code)
        except NoTicketWaiting:
            return
        waited.setdefault(call.ticket_id, clock.time() - printed[call.ticket_id][0])
        if rng.random() < NO_SHOW_RATE:
            schedule(clock.time() + NO_SHOW_AFTER_S, "no_show", code)
        else:
            schedule(clock.time() + WALK_UP_S, "start", code)

    def idle_windows(category: str) -> Iterator[str]:
        for view in engine.window_states():
            if view.state is WindowState.IDLE and category in view.categories:
                yield view.code

    while events:
        t, _, kind, what = heapq.heappop(events)
        clock.set(datetime.fromtimestamp(t, day.tzinfo))
        if kind == "arrive":
            try:
                priority = "elderly" if rng.random() < PRIORITY_RATE else None
                ticket = engine.issue_ticket(what, "kiosk", priority=priority)
            except NotIssuingNow:
                continue
            est = engine.ticket_view(ticket.id).estimate
            if est.expected_s is not None:
                printed[ticket.id] = (t, est.expected_s, est.low_min or 0, est.high_min or 0, est.ahead)
            for code in idle_windows(what):
                try_call(code)
                break
        elif kind == "open":
            engine.sign_in(what, f"staff-{what}")
            try_call(what)
        elif kind == "pause":
            view = next(v for v in engine.window_states() if v.code == what)
            if view.state is WindowState.IDLE:
                engine.pause(what, "午休")
            else:
                pausing.add(what)  # finishes the citizen at the counter first
        elif kind == "resume":
            pausing.discard(what)
            if next(v for v in engine.window_states() if v.code == what).state is WindowState.PAUSED:
                engine.resume(what)
                try_call(what)
        elif kind == "start":
            ticket = engine.start(what)
            mean = SERVICE_MIN[ticket.category] * 60 * HOUR_FACTOR.get(engine.local().hour, 1.0)
            schedule(t + rng.lognormvariate(math.log(mean) - 0.125, 0.5), "finish", what)
        elif kind in ("finish", "no_show"):
            engine.finish(what) if kind == "finish" else engine.no_show(what)
            try_call(what)

    scored = [(printed[i], waited[i]) for i in printed if i in waited]
    errors = [abs(p[1] - w) / 60 for p, w in scored]
    inside = [p[2] * 60 <= w <= p[3] * 60 for p, w in scored]
    naive = [abs(p[4] * NAIVE_MIN_PER_PERSON - w / 60) for p, w in scored]
    return DayResult(
        tickets=len(scored), mae_min=sum(errors) / len(errors),
        bias_min=sum(p[1] - w for p, w in scored) / len(scored) / 60, in_range_pct=100 * sum(inside) / len(inside),
        naive_mae_min=sum(naive) / len(naive), mean_wait_min=sum(w for _, w in scored) / len(scored) / 60,
    )


def _arrivals(rng: random.Random, at) -> Iterator[float]:
    """Poisson arrivals at the hour's rate, during issuing hours."""
    for hour, per_hour in ARRIVALS_PER_HOUR.items():
        start = max(at(time(hour)), at(OPEN))
        end = at(time(hour + 1)) if hour < 16 else at(CLOSE)
        if hour == 11:
            end = at(time(12))
        t = start + rng.expovariate(per_hour / 3600)
        while t < end:
            yield t
            t += rng.expovariate(per_hour / 3600)
