"""Appointments: booking a slot, and the kiosk check-in by ID card hash or QR code."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from center.queue import QueueEngine
from center.queue_errors import (
    AppointmentMissed,
    NoAppointment,
    NoTicketWaiting,
    QueueError,
    RawIdNumber,
    SlotFull,
    TooEarly,
)
from center.queue_types import QueueSettings, TicketState, Tier
from center.requests import check_in_note
from core.clock import FakeClock
from tests.queue_helpers import TZ, make_categories

pytest_plugins = ["tests.queue_fixtures"]


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=TZ)


def test_check_in_by_citizen_key_within_the_slot(engine: QueueEngine, clock: FakeClock) -> None:
    booked = engine.book_appointment("A", "key-1", at(9, 30), at(10), item_code="310101-001")
    assert (booked.state, booked.ticket, booked.slot_start) == ("booked", None, at(9, 30).timestamp())
    clock.set(at(9, 10))  # 20 minutes early is inside the 30-minute check-in window
    checked = engine.check_in(citizen_key="key-1", terminal="kiosk-01")
    assert checked.state == "checked_in"
    assert (checked.ticket.tier, checked.ticket.channel, checked.ticket.item_code) == (
        Tier.APPOINTMENT, "appointment", "310101-001")
    assert checked.ticket.number == "A001" and checked.ticket.appointment_id == booked.id


def test_check_in_by_qr_code_and_twice_gives_the_same_ticket(engine: QueueEngine) -> None:
    booked = engine.book_appointment("C", "key-2", at(9), at(9, 30))
    first = engine.check_in(code=booked.code)
    again = engine.check_in(code=booked.code)
    assert first.ticket == again.ticket
    assert [s.issued for s in engine.queue_summary()] == [0, 0, 1]


def test_too_early_says_when_to_come_back(engine: QueueEngine) -> None:
    engine.book_appointment("A", "key-3", at(10, 30), at(11))
    with pytest.raises(TooEarly, match="check in from 10:00") as err:
        engine.check_in(citizen_key="key-3")
    assert err.value.come_back_at == at(10)


def test_too_late_is_missed_and_says_take_a_normal_number(engine: QueueEngine, clock: FakeClock) -> None:
    booked = engine.book_appointment("A", "key-4", at(9, 0), at(9, 30))
    clock.set(at(9, 31))
    for _ in range(2):
        with pytest.raises(AppointmentMissed, match="ended at 09:30: please take a normal number"):
            engine.check_in(code=booked.code)
    assert [s.issued for s in engine.queue_summary()] == [0, 0, 0]
    assert engine.issue_ticket("A", "kiosk", citizen_key="key-4").tier is Tier.NORMAL


def test_late_grace_after_the_slot(db, clock: FakeClock) -> None:
    engine = QueueEngine(db, clock, make_categories(), QueueSettings(checkin_late_min=10))
    engine.book_appointment("A", "key-5", at(9, 0), at(9, 30))
    clock.set(at(9, 39))
    assert engine.check_in(citizen_key="key-5").ticket.state is TicketState.WAITING


def _serve(engine: QueueEngine, window: str) -> str:
    """Call at `window`, serve and finish; the number called."""
    number = engine.call_next(window).number
    engine.start(window)
    engine.finish(window)
    return number


def test_finding_8_an_early_check_in_waits_for_its_slot_then_goes_first(engine: QueueEngine, clock: FakeClock) -> None:
    """Slot 09:30–10:00 checked in at 09:00: a ticket at once, but walk-ins already waiting are
    called until 09:30; from 09:30 it goes ahead of them."""
    engine.book_appointment("A", "key-8", at(9, 30), at(10))
    walk_ins = [engine.issue_ticket("A", "kiosk").number for _ in range(3)]
    checked = engine.check_in(citizen_key="key-8")
    assert (checked.state, checked.timing, checked.ticket.tier) == ("checked_in", "early", Tier.APPOINTMENT)
    assert check_in_note(checked.timing, "09:30-10:00") == "您的预约时段 09:30-10:00，时段开始后优先叫号"

    # Its place and wait say so: nobody ahead of it, but not before 09:30; and it is not
    # ahead of the walk-ins while it may not be called.
    view = engine.ticket_view(checked.ticket.id)
    assert view.ahead == 0 and view.estimate.low_min >= 30
    assert engine.ticket_view(engine.find_ticket(walk_ins[0]).id).ahead == 0

    assert _serve(engine, "1") == walk_ins[0]
    clock.set(at(9, 29))
    assert _serve(engine, "1") == walk_ins[1]
    assert engine.check_in(citizen_key="key-8").timing == "early"  # asking again changes nothing
    clock.set(at(9, 30))
    assert engine.ticket_view(checked.ticket.id).ahead == 0
    assert engine.check_in(citizen_key="key-8").timing == "in_slot"
    assert _serve(engine, "1") == checked.ticket.number
    assert _serve(engine, "1") == walk_ins[2]


def test_finding_8_nothing_but_an_early_appointment_waiting_is_no_one_to_call(engine: QueueEngine,
                                                                               clock: FakeClock) -> None:
    engine.book_appointment("A", "key-9", at(9, 30), at(10))
    engine.check_in(citizen_key="key-9")
    with pytest.raises(NoTicketWaiting):
        engine.call_next("1")
    clock.set(at(9, 30))
    assert engine.call_next("1").number == "A001"


def test_finding_8_a_late_check_in_follows_the_grace_and_goes_first(db, clock: FakeClock) -> None:
    """In the slot or inside `checkin_late_min` after it, the ticket is called ahead of the
    walk-ins at once, and the citizen is told to wait for the call."""
    engine = QueueEngine(db, clock, make_categories(), QueueSettings(checkin_late_min=10))
    engine.configure_window("1", ["A"], name="1号窗口")
    engine.sign_in("1", "staff-1")
    engine.book_appointment("A", "key-in", at(9, 0), at(9, 30))
    engine.book_appointment("A", "key-late", at(9, 0), at(9, 30))
    walk_in = engine.issue_ticket("A", "kiosk")
    clock.set(at(9, 20))
    in_slot = engine.check_in(citizen_key="key-in")
    clock.set(at(9, 39))
    late = engine.check_in(citizen_key="key-late")
    assert (in_slot.timing, late.timing) == ("in_slot", "late")
    assert check_in_note(late.timing, "09:00-09:30") == check_in_note(in_slot.timing, "09:00-09:30") == "已签到，请等候叫号"
    assert [_serve(engine, "1") for _ in range(3)] == [in_slot.ticket.number, late.ticket.number, walk_in.number]


def test_the_booking_whose_window_is_open_is_chosen(engine: QueueEngine, clock: FakeClock) -> None:
    engine.book_appointment("A", "key-6", at(9), at(9, 30))
    afternoon = engine.book_appointment("C", "key-6", at(14), at(14, 30))
    clock.set(at(13, 45))
    assert engine.check_in(citizen_key="key-6").id == afternoon.id
    with pytest.raises(NoAppointment):
        engine.check_in(citizen_key="nobody")


def test_slot_capacity(db, clock: FakeClock) -> None:
    engine = QueueEngine(db, clock, make_categories(), QueueSettings(slot_capacity=2))
    for key in ("k1", "k2"):
        engine.book_appointment("A", key, at(10), at(10, 30))
    with pytest.raises(SlotFull, match="10:00 slot of category A"):
        engine.book_appointment("A", "k3", at(10), at(10, 30))
    engine.book_appointment("C", "k3", at(10), at(10, 30))  # capacity is per category


def test_concurrent_bookings_never_overfill_a_slot(db, clock: FakeClock) -> None:
    engine = QueueEngine(db, clock, make_categories(), QueueSettings(slot_capacity=5))

    def book(n: int) -> bool:
        try:
            engine.book_appointment("A", f"k{n}", at(11), at(11, 30))
            return True
        except SlotFull:
            return False

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(book, range(16))) == 5


def test_bookings_refuse_raw_id_numbers_and_past_slots(engine: QueueEngine) -> None:
    with pytest.raises(RawIdNumber):
        engine.book_appointment("A", "11010519491231002X", at(10), at(10, 30))
    with pytest.raises(RawIdNumber):
        engine.check_in(citizen_key="11010519491231002X")
    with pytest.raises(ValueError):
        engine.book_appointment("A", "key", at(8), at(8, 30))
    with pytest.raises(QueueError):
        engine.book_appointment("Z", "key", at(10), at(10, 30))
