"""The call order: appointments in their slot, then priority with a fairness ratio, then
arrival — and the same order on SQLite and PostgreSQL."""
from __future__ import annotations

import random

import pytest

from center.queue import QueueEngine
from center.queue_types import QueueSettings, Ticket, Tier
from core.clock import FakeClock

pytest_plugins = ["tests.queue_fixtures"]


def _drain(engine: QueueEngine, window: str = "1") -> list[str]:
    """Call, start and finish at `window` until nobody waits; the numbers in call order."""
    called = []
    while any(s.waiting for s in engine.queue_summary()):
        called.append(engine.call_next(window).number)
        engine.start(window)
        engine.finish(window)
    return called


@pytest.mark.parametrize("settings", [QueueSettings(priority_ratio=2)])
def test_priority_goes_first_but_normal_tickets_get_every_third_call(
    engine: QueueEngine, clock: FakeClock, settings: QueueSettings,
) -> None:
    for _ in range(3):
        engine.issue_ticket("A", "kiosk")
        clock.advance(1)
    for _ in range(5):
        engine.issue_ticket("B", "kiosk", priority="elderly")
        clock.advance(1)
    # Two priority calls in a row, then the oldest normal ticket, and so on.
    assert _drain(engine) == ["B001", "B002", "A001", "B003", "B004", "A002", "B005", "A003"]


def test_without_normal_tickets_priority_keeps_being_called(engine: QueueEngine, clock: FakeClock) -> None:
    for _ in range(5):
        engine.issue_ticket("A", "kiosk", priority="disabled")
        clock.advance(1)
    assert _drain(engine) == ["A001", "A002", "A003", "A004", "A005"]
    engine.issue_ticket("A", "kiosk", priority="disabled")
    clock.advance(1)
    engine.issue_ticket("A", "kiosk")
    assert engine.call_next("1").number == "A007"  # the streak was long: the normal one is owed


def test_fairness_is_counted_per_window(engine: QueueEngine, clock: FakeClock) -> None:
    for letter, priority in [("A", None), ("A", "military"), ("A", "military"), ("A", "military"), ("A", "military")]:
        engine.issue_ticket(letter, "kiosk", priority=priority)
        clock.advance(1)
    calls = []
    for window in ("1", "2", "1", "2"):
        calls.append(engine.call_next(window).number)
        engine.no_show(window)
    assert calls == ["A002", "A003", "A004", "A005"]
    assert engine.call_next("1").number == "A001"


def test_appointments_in_their_slot_come_first(engine: QueueEngine, clock: FakeClock) -> None:
    engine.issue_ticket("A", "kiosk")
    engine.issue_ticket("A", "kiosk", priority="pregnant")
    start = engine.local().replace(minute=30)
    engine.book_appointment("A", "key-1", start, start.replace(hour=10, minute=0))
    clock.advance(60)
    engine.check_in(citizen_key="key-1")
    assert _drain(engine) == ["A003", "A002", "A001"]


def test_appointments_are_ordered_by_slot_not_check_in(engine: QueueEngine, clock: FakeClock) -> None:
    now = engine.local()
    later = engine.book_appointment("A", "key-late", now.replace(minute=30), now.replace(hour=10, minute=0))
    sooner = engine.book_appointment("A", "key-soon", now.replace(minute=0), now.replace(minute=30))
    first = engine.check_in(code=later.code)
    clock.advance(60)
    second = engine.check_in(code=sooner.code)
    assert (first.ticket.tier, second.ticket.tier) == (Tier.APPOINTMENT, Tier.APPOINTMENT)
    assert _drain(engine) == [second.ticket.number, first.ticket.number]


def _reference_order(issued: list[tuple[Ticket, float]], ratio: int) -> list[str]:
    """The documented order, computed in Python without any database."""
    waiting = sorted(issued, key=lambda x: (int(x[0].tier), x[1], x[0].id))
    order, streak = [], 0
    while waiting:
        pick = waiting[0]
        if streak >= ratio and pick[0].tier is Tier.PRIORITY:
            pick = next((w for w in waiting if w[0].tier is Tier.NORMAL), pick)
        waiting.remove(pick)
        order.append(pick[0].number)
        streak = streak + 1 if pick[0].tier is Tier.PRIORITY else 0 if pick[0].tier is Tier.NORMAL else streak
    return order


def test_mixed_queue_matches_the_reference_order_on_every_database(engine: QueueEngine, clock: FakeClock) -> None:
    """The NULL-ordering trap: tickets with and without appointment, priority and item code
    (NULLs in every nullable column) must come out in the same documented order."""
    rng = random.Random(7)
    issued: list[tuple[Ticket, float]] = []
    slot = engine.local().replace(minute=0)
    for i in range(40):
        kind = rng.choice(["normal", "normal", "priority", "appointment"])
        if kind == "appointment":
            start = slot.replace(minute=rng.choice([0, 15, 30]))
            booked = engine.book_appointment("A", f"citizen-{i}", start, start.replace(minute=start.minute + 29))
            ticket = engine.check_in(code=booked.code).ticket
            issued.append((ticket, start.timestamp()))
        else:
            ticket = engine.issue_ticket(
                "A", "kiosk", priority="elderly" if kind == "priority" else None,
                item_code=rng.choice([None, "310101-001"]), citizen_key=rng.choice([None, f"k{i}"]))
            issued.append((ticket, ticket.issued_at))
        clock.advance(rng.choice([0, 1, 5]))  # equal arrival times too: ties break by id
    assert _drain(engine) == _reference_order(issued, QueueSettings().priority_ratio)
