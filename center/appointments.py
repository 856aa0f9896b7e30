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
from center.queue_errors import NoAppointment, SlotFull
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


def book(
    db: Database, conn: Connection, now: float, rules: CategoryLike, citizen_key: str, slot: datetime,
    slot_end: datetime, settings: QueueSettings, item_code: str | None, channel: str,
) -> Row[Any]:
    """Take one place of the slot (guarded like a number draw) and record the booking."""
    slot_start, end = slot.timestamp(), slot_end.timestamp()
    if end <= slot_start or end <= now:
        raise ValueError("an appointment slot must end after it starts, and in the future")
    guarded = (
        update(slots)
        .where(slots.c.category == rules.code, slots.c.slot_start == slot_start,
               slots.c.booked < settings.slot_capacity)
        .values(booked=slots.c.booked + 1)
    )
    if conn.execute(guarded).rowcount == 0:
        conn.execute(db.insert_ignore(slots).values(category=rules.code, slot_start=slot_start, booked=0))
        if conn.execute(guarded).rowcount == 0:
            raise SlotFull(rules.code, slot)
    return conn.execute(insert(appointments).values(
        code=secrets.token_urlsafe(12), category=rules.code, item_code=item_code, citizen_key=citizen_key,
        day=slot.date().isoformat(), slot_start=slot_start, slot_end=end, state="booked", channel=channel,
        booked_at=now,
    ).returning(appointments)).one()


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

