"""Appointments changed from the citizen's phone: cancel and move, with slot capacity per
category and a clear refusal when a slot is full or the change too late — on both databases."""
from __future__ import annotations

from datetime import datetime

import pytest

from center.queue import QueueEngine
from center.queue_errors import BookingClosed, ChangeTooLate, NoAppointment, SlotFull
from center.queue_types import QueueSettings
from core.clock import FakeClock
from tests.queue_helpers import TZ, make_categories

pytest_plugins = ["tests.queue_fixtures"]


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def small(db, clock: FakeClock) -> QueueEngine:
    """Category A takes 2 per slot, the others the hall's 10; changes until 60 min before."""
    return QueueEngine(db, clock, make_categories(), QueueSettings(slot_capacity_by_category={"A": 2}))


def test_capacity_is_per_category_and_slot(small: QueueEngine) -> None:
    for key in ("k1", "k2"):
        small.book_appointment("A", key, at(14), at(14, 30))
    with pytest.raises(SlotFull, match="14:00 slot of category A is fully booked"):
        small.book_appointment("A", "k3", at(14), at(14, 30))
    small.book_appointment("A", "k3", at(14, 30), at(15))  # the next slot has room
    for i in range(3):
        small.book_appointment("C", f"c{i}", at(14), at(14, 30))  # another category: its own capacity
    assert small.slots_left("A", [at(14), at(14, 30), at(15)]) == {
        at(14).timestamp(): 0, at(14, 30).timestamp(): 1, at(15).timestamp(): 2}


def test_cancel_frees_the_place_and_is_final(small: QueueEngine) -> None:
    first = small.book_appointment("A", "k1", at(14), at(14, 30))
    small.book_appointment("A", "k2", at(14), at(14, 30))
    cancelled = small.cancel_appointment(first.code)
    assert (cancelled.state, small.appointment(first.code).state) == ("cancelled", "cancelled")
    assert small.slots_left("A", [at(14)]) == {at(14).timestamp(): 1}
    small.book_appointment("A", "k3", at(14), at(14, 30))  # the freed place is taken again
    with pytest.raises(BookingClosed, match="is cancelled"):
        small.cancel_appointment(first.code)
    with pytest.raises(NoAppointment):
        small.check_in(code=first.code)  # a cancelled booking never checks in
    with pytest.raises(NoAppointment):
        small.cancel_appointment("no-such-code")


def test_move_takes_the_new_place_then_gives_the_old_back(small: QueueEngine) -> None:
    booked = small.book_appointment("A", "k1", at(14), at(14, 30))
    moved = small.move_appointment(booked.code, at(15), at(15, 30))
    assert (moved.code, moved.slot_start, moved.state) == (booked.code, at(15).timestamp(), "booked")
    assert small.slots_left("A", [at(14), at(15)]) == {at(14).timestamp(): 2, at(15).timestamp(): 1}
    moved = small.move_appointment(booked.code, at(9, 30, day=24), at(10, day=24))  # another day
    assert small.appointment(booked.code).slot_start == at(9, 30, day=24).timestamp()
    assert small.slots_left("A", [at(15)]) == {at(15).timestamp(): 2}


def test_a_full_slot_refuses_the_move_and_keeps_the_booking(small: QueueEngine) -> None:
    booked = small.book_appointment("A", "k1", at(14), at(14, 30))
    for key in ("k2", "k3"):
        small.book_appointment("A", key, at(15), at(15, 30))
    with pytest.raises(SlotFull):
        small.move_appointment(booked.code, at(15), at(15, 30))
    kept = small.appointment(booked.code)
    assert (kept.slot_start, kept.state) == (at(14).timestamp(), "booked")
    assert small.slots_left("A", [at(14), at(15)]) == {at(14).timestamp(): 1, at(15).timestamp(): 0}


def test_too_late_to_change_and_too_late_a_new_slot(small: QueueEngine, clock: FakeClock) -> None:
    booked = small.book_appointment("A", "k1", at(11), at(11, 30))  # the clock says 09:00
    with pytest.raises(ChangeTooLate, match="09:30 slot starts in less than 60 min"):
        small.move_appointment(booked.code, at(9, 30), at(10))
    clock.set(at(10, 1))
    with pytest.raises(ChangeTooLate, match="11:00 slot starts in less than 60 min"):
        small.cancel_appointment(booked.code)
    with pytest.raises(ChangeTooLate):
        small.move_appointment(booked.code, at(15), at(15, 30))
    assert small.appointment(booked.code).state == "booked"


def test_a_checked_in_booking_cannot_be_changed(small: QueueEngine, clock: FakeClock) -> None:
    booked = small.book_appointment("A", "k1", at(11), at(11, 30))
    clock.set(at(10, 45))
    small.check_in(code=booked.code)
    with pytest.raises(BookingClosed, match="is checked_in"):
        small.cancel_appointment(booked.code)
    assert small.appointment(booked.code).ticket is not None


def test_open_slots_follow_the_hours_and_leave_full_ones_out(small: QueueEngine) -> None:
    for key in ("k1", "k2"):
        small.book_appointment("A", key, at(10, 30), at(11))
    slots = small.open_slots("A", 30 * 60, days=2)
    starts = [datetime.fromtimestamp(s, TZ) for s, _, _ in slots]
    assert starts[0] == at(10)  # from 60 min after the clock's 09:00
    assert at(10, 30) not in starts and at(11) in starts  # full: left out
    assert all(left == 2 for _, _, left in slots)
    assert all(s.date() in (at(10).date(), at(10, day=24).date()) for s in starts)
