"""Appointments: booked slots, and the kiosk check-in that turns one into a ticket.

A check-in is accepted from `checkin_early_min` before the slot until `checkin_late_min`
after its end. Earlier, the citizen is told when to come back; later, the appointment is
marked missed and the citizen is told to take a normal number. A ticket checked in before
its slot waits for the slot's start (center/ordering.py): a booking promises the slot, not
a turn before the walk-ins already waiting. The citizen is found by the keyed hash of the
ID card or by the code the booking's QR code carries — never by a raw number.
"""
from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from center.db import Database, appointments, slots
from center.queue_errors import BookingClosed, ChangeTooLate, NoAppointment, SlotFull
from center.queue_types import Appointment, CategoryLike, QueueSettings, Ticket


class Timing(enum.Enum):
    """A moment against a slot and its check-in window."""

    TOO_EARLY = "too_early"  # before the check-in window: come back later
    EARLY = "early"          # checked in before the slot: the ticket waits for the slot's start
    IN_SLOT = "in_slot"
    LATE = "late"            # after the slot's end, inside the grace (`checkin_late_min`)
    MISSED = "missed"


CHECK_IN_OPEN = (Timing.EARLY, Timing.IN_SLOT, Timing.LATE)


def arrival(slot_start: float, slot_end: float, now: float) -> Timing:
    """Before, in or after the slot."""
    if now < slot_start:
        return Timing.EARLY
    if now > slot_end:
        return Timing.LATE
    return Timing.IN_SLOT


def timing(slot_start: float, slot_end: float, now: float, settings: QueueSettings) -> Timing:
    if now < slot_start - settings.checkin_early_min * 60:
        return Timing.TOO_EARLY
    if now > slot_end + settings.checkin_late_min * 60:
        return Timing.MISSED
    return arrival(slot_start, slot_end, now)


def capacity(settings: QueueSettings, category: str) -> int:
    """Places per slot of `category`: its own figure if the hall set one, else `slot_capacity`."""
    return settings.slot_capacity_by_category.get(category, settings.slot_capacity)


def _take_place(db: Database, conn: Connection, category: str, slot: datetime, slot_end: datetime, now: float,
                settings: QueueSettings) -> None:
    """One place of the slot, by a guarded update like a number draw, else SlotFull."""
    slot_start, end = slot.timestamp(), slot_end.timestamp()
    if end <= slot_start or end <= now:
        raise ValueError("an appointment slot must end after it starts, and in the future")
    guarded = (
        update(slots)
        .where(slots.c.category == category, slots.c.slot_start == slot_start,
               slots.c.booked < capacity(settings, category))
        .values(booked=slots.c.booked + 1)
    )
    if conn.execute(guarded).rowcount == 0:
        conn.execute(db.insert_ignore(slots).values(category=category, slot_start=slot_start, booked=0))
        if conn.execute(guarded).rowcount == 0:
            raise SlotFull(category, slot)


def _give_back(conn: Connection, category: str, slot_start: float) -> None:
    conn.execute(update(slots).where(slots.c.category == category, slots.c.slot_start == slot_start,
                                     slots.c.booked > 0).values(booked=slots.c.booked - 1))


def book(
    db: Database, conn: Connection, now: float, rules: CategoryLike, citizen_key: str, slot: datetime,
    slot_end: datetime, settings: QueueSettings, item_code: str | None, channel: str,
) -> Row[Any]:
    """Take one place of the slot and record the booking."""
    _take_place(db, conn, rules.code, slot, slot_end, now, settings)
    slot_start, end = slot.timestamp(), slot_end.timestamp()
    return conn.execute(insert(appointments).values(
        code=secrets.token_urlsafe(12), category=rules.code, item_code=item_code, citizen_key=citizen_key,
        day=slot.date().isoformat(), slot_start=slot_start, slot_end=end, state="booked", channel=channel,
        booked_at=now,
    ).returning(appointments)).one()


def by_code(conn: Connection, code: str) -> Row[Any]:
    row = conn.execute(select(appointments).where(appointments.c.code == code)).first()
    if row is None:
        raise NoAppointment()
    return row


def _changeable(row: Row[Any], now: float, settings: QueueSettings, tz: Any) -> None:
    if row.state != "booked":
        raise BookingClosed(row.state)
    if now > row.slot_start - settings.change_until_min * 60:
        raise ChangeTooLate(datetime.fromtimestamp(row.slot_start, tz), settings.change_until_min)


def cancel(conn: Connection, code: str, now: float, settings: QueueSettings, tz: Any) -> Row[Any]:
    """The citizen gives the booking up: its place goes back to the slot."""
    row = by_code(conn, code)
    _changeable(row, now, settings, tz)
    _give_back(conn, row.category, row.slot_start)
    return conn.execute(update(appointments).where(appointments.c.id == row.id, appointments.c.state == "booked")
                        .values(state="cancelled").returning(appointments)).one()


def move(
    db: Database, conn: Connection, code: str, slot: datetime, slot_end: datetime, now: float,
    settings: QueueSettings,
) -> Row[Any]:
    """Another slot of the same category: a place there first (SlotFull leaves the booking as
    it was), then the old place back. The code stays, so the QR code the citizen has still works."""
    row = by_code(conn, code)
    _changeable(row, now, settings, slot.tzinfo)
    if slot.timestamp() - settings.change_until_min * 60 < now:
        raise ChangeTooLate(slot, settings.change_until_min)
    if slot.timestamp() == row.slot_start:
        return row
    _take_place(db, conn, row.category, slot, slot_end, now, settings)
    _give_back(conn, row.category, row.slot_start)
    return conn.execute(update(appointments).where(appointments.c.id == row.id).values(
        slot_start=slot.timestamp(), slot_end=slot_end.timestamp(), day=slot.date().isoformat(),
    ).returning(appointments)).one()


def places_left(conn: Connection, category: str, slot_starts: list[float], settings: QueueSettings) -> dict[float, int]:
    """slot start → places still free, for the slots asked about."""
    booked = dict(conn.execute(select(slots.c.slot_start, slots.c.booked).where(
        slots.c.category == category, slots.c.slot_start.in_(slot_starts))).all())
    return {s: max(0, capacity(settings, category) - booked.get(s, 0)) for s in slot_starts}


def find_for_check_in(
    conn: Connection, now: float, day: str, settings: QueueSettings, citizen_key: str | None, code: str | None,
) -> Row[Any]:
    """The appointment a check-in means: by QR code, or the citizen's today's booking whose
    window is open now, else the next one, else the last one."""
    query = select(appointments).where(appointments.c.state != "cancelled").order_by(
        appointments.c.slot_start, appointments.c.id)
    if code is not None:
        query = query.where(appointments.c.code == code)
    elif citizen_key is not None:
        query = query.where(appointments.c.citizen_key == citizen_key, appointments.c.day == day)
    else:
        raise ValueError("check in by citizen key or by appointment code")
    rows = conn.execute(query).all()
    if not rows:
        raise NoAppointment()
    for wanted in (CHECK_IN_OPEN, (Timing.TOO_EARLY,)):
        for row in rows:
            if timing(row.slot_start, row.slot_end, now, settings) in wanted:
                return row
    return rows[-1]


def mark(conn: Connection, appointment_id: int, state: str, ticket_id: int | None = None) -> None:
    values: dict[str, Any] = {"state": state}
    if ticket_id is not None:
        values["ticket_id"] = ticket_id
    conn.execute(update(appointments).where(appointments.c.id == appointment_id).values(**values))


def to_appointment(
    row: Row[Any], state: str | None = None, ticket: Ticket | None = None, timing: Timing | None = None,
) -> Appointment:
    return Appointment(row.id, row.code, row.category, row.item_code, row.slot_start, row.slot_end,
                       state or row.state, ticket, timing.value if timing else None)

