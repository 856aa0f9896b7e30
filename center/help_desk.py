"""帮办 answered: a kiosk's help request as a case, from asked to closed, with its times.

A citizen presses 帮办 (the kiosk's `help_requested` event): the case opens as `asked`. A hall
manager acknowledges it by assigning a named floor helper (`assigned`; the kiosk is told who
is coming), the helper marks their arrival (`arrived`) and closes it with an outcome
(`resolved`). One not acknowledged within `[floor] help_escalate_min` (hall clock) escalates
once. The day's figures: how many asked, and the median time to acknowledgement.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from center.db import Database, help_cases
from center.queue_errors import InvalidTransition, QueueError

STEPS: dict[str, tuple[tuple[str, ...], str]] = {  # action → (states it may leave, state it reaches)
    "assign": (("asked",), "assigned"),
    "arrive": (("assigned",), "arrived"),
    "close": (("asked", "assigned", "arrived"), "resolved"),
}


class UnknownHelpCase(QueueError):
    def __init__(self, case_id: int) -> None:
        super().__init__(f"no help case {case_id}")


@dataclass(frozen=True)
class HelpCase:
    id: int
    terminal: str
    location: str
    topic: str
    day: str
    state: str
    asked_at: float
    acknowledged_at: float | None
    acknowledged_by: str | None
    helper: str | None
    helper_name: str | None
    arrived_at: float | None
    closed_at: float | None
    closed_by: str | None
    outcome: str | None
    escalated_at: float | None


def _case(r: Any) -> HelpCase:
    return HelpCase(r.id, r.terminal, r.location, r.topic, r.day, r.state, r.asked_at, r.acknowledged_at,
                    r.acknowledged_by, r.helper, r.helper_name, r.arrived_at, r.closed_at, r.closed_by, r.outcome,
                    r.escalated_at)


def open_case(conn: Connection, event_id: str, terminal: str, location: str, topic: str, day: str,
              now: float) -> HelpCase:
    """Inside the transaction that applies the kiosk's event (once per event id)."""
    row = conn.execute(insert(help_cases).values(
        event_id=event_id, terminal=terminal, location=location[:200], topic=topic[:60], day=day, state="asked",
        asked_at=now).returning(help_cases)).one()
    return _case(row)


def step(db: Database, case_id: int, action: str, now: float, by: str, *, helper: str | None = None,
         helper_name: str | None = None, outcome: str | None = None) -> HelpCase:
    """assign (a manager: who goes), arrive (the helper is at the kiosk), close (with the outcome)."""
    leaves, reaches = STEPS[action]
    values: dict[str, Any] = {"state": reaches}
    if action == "assign":
        values.update(acknowledged_at=now, acknowledged_by=by, helper=helper, helper_name=helper_name)
    elif action == "arrive":
        values.update(arrived_at=now)
    else:
        values.update(closed_at=now, closed_by=by, outcome=(outcome or "")[:200])

    def fn(conn: Connection) -> HelpCase:
        row = conn.execute(update(help_cases).where(help_cases.c.id == case_id, help_cases.c.state.in_(leaves))
                           .values(**values).returning(help_cases)).first()
        if row is None:
            current = conn.execute(select(help_cases.c.state).where(help_cases.c.id == case_id)).scalar()
            if current is None:
                raise UnknownHelpCase(case_id)
            raise InvalidTransition(f"help case {case_id}", current, action)
        return _case(row)

    return db.write(fn, durable=True)


def get(db: Database, case_id: int) -> HelpCase:
    with db.read() as conn:
        row = conn.execute(select(help_cases).where(help_cases.c.id == case_id)).first()
    if row is None:
        raise UnknownHelpCase(case_id)
    return _case(row)


def open_cases(db: Database) -> list[HelpCase]:
    """Every case not closed yet, oldest first (the control room's list)."""
    with db.read() as conn:
        return [_case(r) for r in conn.execute(
            select(help_cases).where(help_cases.c.state != "resolved").order_by(help_cases.c.asked_at))]


def escalate(db: Database, asked_before: float, now: float) -> list[HelpCase]:
    """Mark (once) the cases still unacknowledged that were asked before `asked_before`. A read
    first: the housekeeping round calls it every period, and most rounds have none to mark."""
    due = (help_cases.c.state == "asked", help_cases.c.escalated_at.is_(None), help_cases.c.asked_at <= asked_before)
    with db.read() as conn:
        if conn.execute(select(help_cases.c.id).where(*due).limit(1)).first() is None:
            return []

    def fn(conn: Connection) -> list[HelpCase]:
        return [_case(r) for r in conn.execute(
            update(help_cases).where(*due).values(escalated_at=now).returning(help_cases))]

    return db.write(fn)


def day_figures(db: Database, first: str, last: str) -> list[dict[str, Any]]:
    """Per day asked: requests, answered, escalated, and the median minutes to acknowledgement
    and to the helper's arrival (None when none was)."""
    with db.read() as conn:
        rows = conn.execute(select(help_cases).where(help_cases.c.day >= first, help_cases.c.day <= last)
                            .order_by(help_cases.c.day)).all()
    days: dict[str, list[Any]] = {}
    for r in rows:
        days.setdefault(r.day, []).append(r)
    return [{"day": day, "count": len(rs), "answered": sum(r.acknowledged_at is not None for r in rs),
             "escalated": sum(r.escalated_at is not None for r in rs),
             "closed": sum(r.state == "resolved" for r in rs),
             "response_p50_min": _median_min([r.acknowledged_at - r.asked_at for r in rs if r.acknowledged_at]),
             "arrival_p50_min": _median_min([r.arrived_at - r.asked_at for r in rs if r.arrived_at])}
            for day, rs in days.items()]


def _median_min(seconds: list[float]) -> float | None:
    return round(statistics.median(seconds) / 60, 1) if seconds else None
