"""Cases (办件): what a finished service accepted, with a number and its progress.

A case number is the local date and a six-digit serial drawn from the day's `#case`
series (2026112200042). Progress moves along `FLOW`; every step is kept with its time, so a
citizen at a kiosk (查) sees the whole path, not only where it stands.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Row

from center import numbers
from center.db import Database, case_steps, cases, tickets
from center.queue_errors import InvalidTransition, UnknownCase
from center.queue_types import Case, CaseStep

SERIES = "#case"

LABELS = {
    "accepted": "受理",
    "reviewing": "审核",
    "concluded": "办结",
    "ready": "可领取",
    "collected": "已领取",
    "rejected": "不予办理",
}

FLOW: dict[str, tuple[str, ...]] = {
    "accepted": ("reviewing", "concluded", "rejected"),   # 即来即办 concludes at once
    "reviewing": ("concluded", "rejected"),
    "concluded": ("ready", "collected"),
    "ready": ("collected",),
}

_COLUMNS = (*cases.c, tickets.c.number.label("ticket_number"))


def open_case(
    db: Database, conn: Connection, now: float, day: str, ticket: Row[Any], window: Row[Any], item_code: str | None,
) -> Case:
    seq = numbers.draw(db, conn, SERIES, day, 999_999)
    if seq is None:
        raise OverflowError("more than 999,999 cases in one day")
    case_no = f"{day.replace('-', '')}{seq:06d}"
    case_id = conn.execute(insert(cases).values(
        case_no=case_no, ticket_id=ticket.id, service_id=window.service_id, citizen_key=ticket.citizen_key,
        item_code=item_code, category=ticket.category, window=window.code, staff=window.staff, state="accepted",
        created_at=now, updated_at=now,
    ).returning(cases.c.id)).scalar_one()
    conn.execute(insert(case_steps).values(case_id=case_id, state="accepted", at=now, by=window.staff))
    return _load(conn, cases.c.id == case_id)[0]


def advance(conn: Connection, now: float, case_no: str, state: str, by: str | None, note: str | None) -> Case:
    current = _load(conn, cases.c.case_no == case_no)
    if not current:
        raise UnknownCase(case_no)
    if state not in FLOW.get(current[0].state, ()):
        raise InvalidTransition(f"case {case_no}", current[0].state, f"move to {state}")
    moved = conn.execute(
        update(cases).where(cases.c.case_no == case_no, cases.c.state == current[0].state)
        .values(state=state, updated_at=now).returning(cases.c.id)
    ).scalar()
    if moved is None:
        raise InvalidTransition(f"case {case_no}", "changed meanwhile", f"move to {state}")
    conn.execute(insert(case_steps).values(case_id=moved, state=state, at=now, by=by, note=note))
    return _load(conn, cases.c.id == moved)[0]


def find(conn: Connection, *, case_no: str | None = None, citizen_key: str | None = None) -> list[Case]:
    if case_no is not None:
        found = _load(conn, cases.c.case_no == case_no)
        if not found:
            raise UnknownCase(case_no)
        return found
    if citizen_key is None:
        raise ValueError("look a case up by case number or citizen key")
    return _load(conn, cases.c.citizen_key == citizen_key)


def _load(conn: Connection, where: Any) -> list[Case]:
    rows = conn.execute(
        select(*_COLUMNS).join(tickets, tickets.c.id == cases.c.ticket_id).where(where).order_by(cases.c.id)
    ).all()
    steps: dict[int, list[CaseStep]] = {}
    if rows:
        for s in conn.execute(
            select(case_steps).where(case_steps.c.case_id.in_([r.id for r in rows])).order_by(case_steps.c.id)
        ):
            steps.setdefault(s.case_id, []).append(CaseStep(s.state, s.at, s.by, s.note))
    return [
        Case(r.case_no, r.state, r.item_code, r.category, r.window, r.ticket_number, r.created_at, r.updated_at,
             tuple(steps.get(r.id, ())))
        for r in rows
    ]
