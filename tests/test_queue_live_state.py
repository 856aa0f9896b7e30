"""The estimates' reading of the hall the engine keeps between window steps equals the one
read afresh from the database, and the one a restarted engine builds (issue 17), on SQLite
and PostgreSQL."""
from __future__ import annotations

from collections.abc import Callable

from center import waits
from center.queue import QueueEngine
from center.queue_types import QueueSettings
from core.clock import FakeClock
from tests.queue_helpers import make_categories

pytest_plugins = ["tests.queue_fixtures"]


def _fresh(engine: QueueEngine) -> waits.Reading:
    with engine.db.read() as conn:
        return waits.read(conn, engine.local().date().isoformat())


def test_the_kept_reading_equals_the_database_after_every_step(engine: QueueEngine, clock: FakeClock,
                                                               settings: QueueSettings) -> None:
    ids: list[int] = []
    steps: list[Callable[[], object]] = [
        lambda: ids.append(engine.issue_ticket("A", "kiosk").id),
        lambda: ids.append(engine.issue_ticket("C", "kiosk", terminal="k1", awaits_print=True).id),
        lambda: engine.confirm_printed(ids[1]),
        lambda: ids.append(engine.issue_ticket("B", "counter").id),
        lambda: engine.call_next("1"),
        lambda: engine.start("1"),
        lambda: engine.call_next("2"),
        lambda: engine.finish("1"),
        lambda: engine.no_show("2"),
        lambda: engine.reactivate(ids[1]),
        lambda: engine.pause("1", "会议"),
        lambda: engine.call_next("2"),
        lambda: engine.start("2"),
        lambda: engine.hold("2"),
        lambda: engine.resume("1"),
        lambda: engine.transfer(ids[2], "A"),
        lambda: engine.configure_window("3", ["B", "C"]),
        lambda: engine.sign_in("3", "staff-3"),
        lambda: engine.call_next("1"),
        lambda: engine.cancel(ids[2], "公民离开"),
        lambda: engine.call_back("2", ids[1]),
        lambda: engine.start("2"),
        lambda: engine.finish("2"),
        lambda: engine.sign_out("3"),
    ]
    for step in steps:
        engine.estimate("A")  # the reading is kept from here…
        clock.advance(45)
        step()
        for category in "ABC":
            engine.estimate(category)
        with engine.db.read() as conn:
            assert engine.reading(engine.local().date().isoformat()) == waits.read(
                conn, engine.local().date().isoformat())
    restarted = QueueEngine(engine.db, clock, make_categories(), settings)  # built from the database at start
    assert restarted.reading(engine.local().date().isoformat()) == _fresh(engine)
    assert [restarted.estimate(c) for c in "ABC"] == [engine.estimate(c) for c in "ABC"]
    assert restarted.queue_summary() == engine.queue_summary()


def test_a_window_step_replaces_the_kept_reading(engine: QueueEngine, clock: FakeClock) -> None:
    engine.issue_ticket("A", "kiosk")
    day = engine.local().date().isoformat()
    before = engine.reading(day)
    engine.call_next("1")
    assert engine.reading(day) != before and engine.reading(day) == _fresh(engine)
