"""Wait estimates: service times learnt by category and hour, people ahead, open windows,
the last number called, and the error on a simulated day."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from center.db import open_database
from center.hallsim import simulate_day
from center.queue import QueueEngine
from center.waits import Capacity, ServiceTime, estimate, ewma
from core.clock import FakeClock
from tests.queue_helpers import TZ

pytest_plugins = ["tests.queue_fixtures"]


def _serve(engine: QueueEngine, clock: FakeClock, category: str, window: str, minutes: float) -> None:
    engine.issue_ticket(category, "kiosk")
    engine.call_next(window)
    engine.start(window)
    clock.advance(minutes * 60)
    engine.finish(window)


def test_ewma_follows_recent_services() -> None:
    assert ewma([300.0] * 10, 0.3) == (300.0, pytest.approx(75 * 0.7 ** 9))
    mean, _ = ewma([300.0] * 10 + [600.0] * 10, 0.3)
    assert 590 < mean < 600


def test_range_grows_with_people_ahead_and_shrinks_with_windows() -> None:
    st = ServiceTime(600.0, 120.0, 20)
    one, two = Capacity(1, 1.0, 0.0), Capacity(2, 2.0, 0.0)
    assert estimate("A", 4, one, st).expected_s == 4.5 * 600
    assert estimate("A", 4, two, st).expected_s == 2.25 * 600
    short, long = estimate("A", 1, one, st), estimate("A", 9, one, st)
    assert short.low_min < short.high_min <= long.low_min < long.high_min
    assert estimate("A", 0, Capacity(2, 2.0, 1.0), st).expected_s == 0.0  # an idle window takes you now
    assert estimate("A", 3, Capacity(0, 0.0, 0.0), st).low_min is None


def test_service_time_is_learnt_by_category(engine: QueueEngine, clock: FakeClock) -> None:
    assert engine.estimate("A").service_s == 300  # the configured default before any service
    for _ in range(5):
        _serve(engine, clock, "A", "1", 10)
        _serve(engine, clock, "C", "2", 2)
    assert engine.estimate("A").service_s == pytest.approx(600, rel=0.05)
    assert engine.estimate("C").service_s == pytest.approx(120, rel=0.05)


def test_estimate_counts_people_ahead_and_open_windows(engine: QueueEngine, clock: FakeClock) -> None:
    for _ in range(2):
        _serve(engine, clock, "B", "1", 10)
    for _ in range(3):
        engine.issue_ticket("B", "kiosk")
    est = engine.estimate("B")
    assert (est.ahead, est.open_windows) == (3, 1)  # only window 1 serves B
    assert est.low_min <= est.expected_s / 60 <= est.high_min
    # Window 1 serves A and B, so it is half a window for B: (3 ahead − ½ idle + ½) ÷ ½ services.
    assert est.expected_s == pytest.approx((3 - 0.5 + 0.5) / 0.5 * 600, rel=0.05)
    engine.pause("1", "会议")
    assert engine.estimate("B").low_min is None


def test_a_window_serving_two_categories_counts_half_for_each(engine: QueueEngine) -> None:
    for _ in range(4):
        engine.issue_ticket("A", "kiosk")
        engine.issue_ticket("C", "kiosk")
    engine.sign_out("1")  # window 2 alone serves A and C
    assert engine.estimate("C").expected_s == pytest.approx((4 - 0.5 + 0.5) / 0.5 * 300)


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
