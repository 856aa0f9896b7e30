"""Wait estimates: service times learnt per window and category, what is left of services in
progress, people ahead, open windows, the last number called, and the error on simulated days."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bench.estimates import SCENARIOS, play, score
from center.db import open_database
from center.hallsim import simulate_day
from center.queue import QueueEngine
from center.waits import DEFAULT_WEIGHT, WINDOW_WEIGHT, OpenWindow, ServiceTime, ServiceTimes, estimate
from core.clock import FakeClock
from tests.queue_helpers import TZ

pytest_plugins = ["tests.queue_fixtures"]


def _serve(engine: QueueEngine, clock: FakeClock, category: str, window: str, minutes: float) -> None:
    engine.issue_ticket(category, "kiosk")
    engine.call_next(window)
    engine.start(window)
    clock.advance(minutes * 60)
    engine.finish(window)


def test_range_grows_with_people_ahead_and_shrinks_with_windows() -> None:
    times = ServiceTimes({}, [], {"A": ServiceTime(600.0, 120.0, 20)})
    now = 10_000.0
    one = [OpenWindow("1", 1.0, ("A", now))]  # a service begun just now: a whole one left
    two = [*one, OpenWindow("2", 1.0, ("A", now))]
    assert estimate("A", 4, one, times, now).expected_s == pytest.approx(5 * 600)
    assert estimate("A", 5, two, times, now).expected_s == pytest.approx(3 * 600)
    short, long = estimate("A", 1, one, times, now), estimate("A", 9, one, times, now)
    assert short.low_min < short.high_min <= long.low_min < long.high_min
    idle = [OpenWindow("1", 1.0, None)]
    assert estimate("A", 0, idle, times, now).expected_s == 0.0  # an idle window takes you now
    assert estimate("A", 3, [], times, now).low_min is None


def test_service_time_is_learnt_by_category(engine: QueueEngine, clock: FakeClock) -> None:
    assert engine.estimate("A").service_s == 300  # the configured default before any service
    for _ in range(5):
        _serve(engine, clock, "A", "1", 10)
        _serve(engine, clock, "C", "2", 2)
    # today's services, with the default worth DEFAULT_WEIGHT of them (no earlier days here)
    assert engine.estimate("A").service_s == pytest.approx((DEFAULT_WEIGHT * 300 + 5 * 600) / (DEFAULT_WEIGHT + 5))
    assert engine.estimate("C").service_s == pytest.approx((DEFAULT_WEIGHT * 300 + 5 * 120) / (DEFAULT_WEIGHT + 5))


def test_services_finished_in_no_time_still_give_an_estimate(engine: QueueEngine, clock: FakeClock) -> None:
    """A clerk pressing start and finish at once (or a clock that did not move) learns 0 s
    services; on the next day they are the category's prior, and the estimate stays defined
    instead of dividing by them."""
    for _ in range(30):
        _serve(engine, clock, "A", "1", 0)
    clock.advance(24 * 3600)  # the next day: yesterday's services are the prior
    engine.issue_ticket("A", "kiosk")
    engine.call_next("1")
    engine.start("1")  # a service in progress: what is left of it needs the learnt mean
    clock.advance(5)
    for _ in range(3):
        engine.issue_ticket("A", "kiosk")
    est = engine.estimate("A")
    assert est.ahead == 3 and est.low_min is not None and est.high_min >= est.low_min


def test_estimate_counts_people_ahead_and_open_windows(engine: QueueEngine, clock: FakeClock) -> None:
    for _ in range(2):
        _serve(engine, clock, "B", "1", 10)
    for _ in range(3):
        engine.issue_ticket("B", "kiosk")
    est = engine.estimate("B")
    assert (est.ahead, est.open_windows) == (3, 1)  # only window 1 serves B
    assert est.low_min <= est.expected_s / 60 <= est.high_min
    # Window 1 serves A and B: idle, it takes the first at once, then gives B half its time, so
    # the 4th place comes 3 ÷ ½ of its B services later (its own two, against B's day mean).
    b = (DEFAULT_WEIGHT * 300 + 2 * 600) / (DEFAULT_WEIGHT + 2)
    window_1 = (WINDOW_WEIGHT * b + 2 * 600) / (WINDOW_WEIGHT + 2)
    assert est.expected_s == pytest.approx(3 / 0.5 * window_1)
    engine.pause("1", "会议")
    assert engine.estimate("B").low_min is None


def test_a_window_serving_two_categories_counts_half_for_each(engine: QueueEngine) -> None:
    for _ in range(4):
        engine.issue_ticket("A", "kiosk")
        engine.issue_ticket("C", "kiosk")
    engine.sign_out("1")  # window 2 alone serves A and C: idle, it takes C's first, then half its time
    assert engine.estimate("C").expected_s == pytest.approx((4 + 1 - 1) / 0.5 * 300)


def test_ticket_view_and_last_called(engine: QueueEngine, clock: FakeClock) -> None:
    first = engine.issue_ticket("A", "kiosk")
    tickets = [engine.issue_ticket("A", "kiosk") for _ in range(3)]
    assert engine.ticket_view(tickets[-1].id).ahead == 3
    engine.call_next("1")
    view = engine.ticket_view(tickets[-1].id)
    assert (view.ahead, view.last_called) == (2, first.number)
    assert [s.last_called for s in engine.queue_summary()] == ["A001", None, None]
    clock.set(datetime(2026, 11, 24, 8, 30, tzinfo=TZ))  # a new local day: nothing called yet
    assert engine.last_called("A") is None


def test_simulated_day_beats_the_naive_estimate(tmp_path: Path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'day.db'}")
    day = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    clock = FakeClock(day.timestamp())
    result = simulate_day(QueueEngine(db, clock), clock, day, seed=1)
    db.dispose()
    assert result.tickets > 300
    assert result.mae_min < result.naive_mae_min / 2
    assert result.in_range_pct > 40


def _busy_since(engine: QueueEngine, clock: FakeClock, minutes: float) -> None:
    """Both windows call a ticket of A, then `minutes` pass."""
    for window in ("1", "2"):
        engine.issue_ticket("A", "kiosk")
        engine.call_next(window)
        engine.start(window)
    clock.advance(minutes * 60)


def test_finding_10_nobody_ahead_but_windows_busy_waits_for_the_remaining_service(
    engine: QueueEngine, clock: FakeClock,
) -> None:
    """Issue 13, finding 10: told "0–4 分钟" with both windows 2 min into 10-min services."""
    for window in ("1", "2"):
        engine.configure_window(window, ["A"])
    for _ in range(4):
        _serve(engine, clock, "A", "1", 10)
        _serve(engine, clock, "A", "2", 10)
    _busy_since(engine, clock, 2)
    view = engine.ticket_view(engine.issue_ticket("A", "kiosk").id)
    assert view.ahead == 0
    assert view.estimate.expected_s == pytest.approx(8 * 60, abs=60)
    assert 3 <= view.estimate.low_min <= 8 <= view.estimate.high_min <= 12  # not "0–4"


def test_finding_10_service_times_are_learnt_per_window(engine: QueueEngine, clock: FakeClock) -> None:
    """A 12-minute window and a 2-minute one take turns on A: the fast one takes most of the
    queue, so 8 ahead wait about 22 min (fast: 3, 6, 9, 12, 15, 18, 21…; slow: 11, 22),
    where one learnt mean for both windows (6.5 min) said 27 (11–44)."""
    for window in ("1", "2"):
        engine.configure_window(window, ["A"])  # whole windows for A (a shared one counts half)
    for _ in range(8):
        _serve(engine, clock, "A", "1", 12)
        _serve(engine, clock, "A", "2", 2)
    _busy_since(engine, clock, 0)
    for _ in range(8):
        engine.issue_ticket("A", "kiosk")
    view = engine.ticket_view(engine.issue_ticket("A", "kiosk").id)
    assert view.ahead == 8
    assert view.estimate.expected_s == pytest.approx(22 * 60, abs=3 * 60)
    assert view.estimate.low_min <= 22 <= view.estimate.high_min < 28


def test_finding_10_a_scripted_morning_is_inside_the_range_mostly(tmp_path: Path) -> None:
    """The bench's 3-window morning (bench/estimates.py) on seeds 2 and 3: the real wait falls
    inside the range given at issue for at least 80 % of the tickets (96 % and 91 %; over
    the bench's ten seeds 85 %), and the range is narrower than the old estimator's."""
    scenario = SCENARIOS[-1]
    runs = [play(scenario, seed, tmp_path) for seed in (2, 3)]
    new, old = (score([p for r in runs for p in r[name]]) for name in ("new", "old"))
    assert new.inside >= 0.8
    assert new.mean_width_min < old.mean_width_min
