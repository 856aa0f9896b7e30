"""Ticket rows: issuing, guarded state changes and their history, inside a caller's transaction.

Every change of state goes through `move`, an UPDATE guarded by the states it may leave, and
`log`, which keeps the transition with its time: the history is complete by construction.
"""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Row

from center import numbers
from center.db import Database, Prepared, tickets, transitions
from center.queue_errors import DailyCapReached, InvalidTransition, UnknownTicket
from center.queue_types import OPEN_TICKET_STATES, CategoryLike, Ticket, TicketState, Tier, Transition

COLUMNS = (
    tickets.c.id, tickets.c.number, tickets.c.category, tickets.c.state, tickets.c.tier,
    tickets.c.channel, tickets.c.issued_at, tickets.c.priority, tickets.c.item_code,
    tickets.c.window, tickets.c.recalls, tickets.c.appointment_id,
    tickets.c.day, tickets.c.sort_at, tickets.c.state_at, tickets.c.service_id, tickets.c.citizen_key,
    tickets.c.ref, tickets.c.terminal, tickets.c.print_due,
)


# Built and compiled once: the hot paths only bind parameters (see db.Prepared).
_INSERT = Prepared(insert(tickets).returning(*COLUMNS))
_GET = Prepared(select(*COLUMNS).where(tickets.c.id == bindparam("ticket_id")))
_MOVE = Prepared(
    update(tickets).where(tickets.c.id == bindparam("_id"), tickets.c.state == bindparam("_from"))
    .returning(*COLUMNS)
)
_LOG = Prepared(insert(transitions))


def to_ticket(row: Row[Any]) -> Ticket:
    return Ticket(
        id=row.id, number=row.number, category=row.category, state=TicketState(row.state),
        tier=Tier(row.tier), channel=row.channel, issued_at=row.issued_at, priority=row.priority,
        item_code=row.item_code, window=row.window, recalls=row.recalls, appointment_id=row.appointment_id,
        day=row.day, ref=row.ref, terminal=row.terminal,
    )


def issue(
    db: Database, conn: Connection, now: float, day: str, rules: CategoryLike, *, tier: Tier,
    sort_at: float, channel: str, cap: int, **fields: Any,
) -> Row[Any]:
    """Draw the next number of the category's series and insert the waiting ticket."""
    cap = min(cap, numbers.MAX_SEQ)
    seq = numbers.draw(db, conn, rules.code, day, cap)
    if seq is None:
        raise DailyCapReached(rules.code, cap)
    row = _INSERT(conn, {
        "day": day, "series": rules.code, "seq": seq, "number": numbers.format_number(rules.letter, seq),
        "category": rules.code, "state": TicketState.WAITING.value, "tier": int(tier), "sort_at": sort_at,
        "issued_at": now, "state_at": now, "channel": channel, "recalls": 0, "ref": secrets.token_urlsafe(16),
        **fields,
    }).one()
    log(conn, row.id, "issue", None, TicketState.WAITING, now, detail=row.number)
    return row


def get(conn: Connection, ticket_id: int) -> Row[Any]:
    row = _GET(conn, {"ticket_id": ticket_id}).first()
    if row is None:
        raise UnknownTicket(ticket_id)
    return row


def by_ref(conn: Connection, ref: str) -> Row[Any]:
    row = conn.execute(select(*COLUMNS).where(tickets.c.ref == ref)).first()
    if row is None:
        raise UnknownTicket("(reference)")  # the reference itself is never echoed
    return row


def find(conn: Connection, number: str, day: str) -> Row[Any]:
    row = conn.execute(
        select(*COLUMNS).where(tickets.c.day == day, tickets.c.number == number)
        .order_by(tickets.c.id.desc()).limit(1)
    ).first()
    if row is None:
        raise UnknownTicket(number)
    return row


def move(
    conn: Connection, ticket_id: int, action: str, frm: TicketState, to: TicketState, now: float,
    *, window: str | None = None, staff: str | None = None, detail: str | None = None,
    values: dict[str, Any] | None = None,
) -> Row[Any]:
    """Guarded change of state, logged: only from `frm`, else InvalidTransition naming the
    state the ticket is really in (another window or kiosk got there first)."""
    row = _MOVE(
        conn, {"_id": ticket_id, "_from": frm.value, "state": to.value, "state_at": now, **(values or {})}
    ).first()
    if row is None:
        current = get(conn, ticket_id)
        raise InvalidTransition(f"ticket {current.number}", current.state, action)
    log(conn, ticket_id, action, frm, to, now, window, staff, detail)
    return row


def log(
    conn: Connection, ticket_id: int, action: str, from_state: TicketState | str | None, to: TicketState,
    now: float, window: str | None = None, staff: str | None = None, detail: str | None = None,
) -> None:
    from_value = from_state.value if isinstance(from_state, TicketState) else from_state
    _LOG(conn, {
        "ticket_id": ticket_id, "action": action, "from_state": from_value, "to_state": to.value, "at": now,
        "window": window, "staff": staff, "detail": detail,
    })


def history(conn: Connection, ticket_id: int) -> list[Transition]:
    rows = conn.execute(
        select(transitions).where(transitions.c.ticket_id == ticket_id).order_by(transitions.c.id)
    ).all()
    return [Transition(r.action, r.from_state, r.to_state, r.at, r.window, r.staff, r.detail) for r in rows]


def waiting_by_category(conn: Connection, day: str) -> dict[str, tuple[int, float]]:
    """category → (tickets waiting today, issue time of the oldest)."""
    rows = conn.execute(
        select(tickets.c.category, func.count(), func.min(tickets.c.issued_at))
        .where(tickets.c.day == day, tickets.c.state == TicketState.WAITING.value)
        .group_by(tickets.c.category)
    )
    return {category: (n, oldest) for category, n, oldest in rows}


def closed_by_category(conn: Connection, day: str) -> dict[str, int]:
    """category → tickets of `day` closed at day end (闭馆未办结)."""
    rows = conn.execute(
        select(tickets.c.category, func.count())
        .where(tickets.c.day == day, tickets.c.state == TicketState.DAY_CLOSED.value)
        .group_by(tickets.c.category)
    )
    return dict(rows.all())


def live_of(conn: Connection, day: str, category: str, citizen_key: str) -> list[Row[Any]]:
    """The citizen's tickets of `category` today that are still waiting, called, serving or held."""
    return conn.execute(
        select(*COLUMNS).where(tickets.c.day == day, tickets.c.category == category,
                               tickets.c.citizen_key == citizen_key,
                               tickets.c.state.in_([s.value for s in OPEN_TICKET_STATES]))
        .order_by(tickets.c.id)
    ).all()


def held_at(conn: Connection, window: str) -> list[Row[Any]]:
    return conn.execute(
        select(*COLUMNS).where(tickets.c.state == TicketState.HELD.value, tickets.c.window == window)
        .order_by(tickets.c.state_at, tickets.c.id)
    ).all()


def unprinted_by(conn: Connection, now: float) -> list[Row[Any]]:
    """Waiting tickets whose print was due to be confirmed before `now` (no ghost tickets)."""
    return conn.execute(
        select(*COLUMNS).where(tickets.c.print_due < now, tickets.c.state == TicketState.WAITING.value)
        .order_by(tickets.c.id)
    ).all()


def in_state(conn: Connection, day: str, state: TicketState) -> list[Row[Any]]:
    return conn.execute(
        select(*COLUMNS).where(tickets.c.day == day, tickets.c.state == state.value).order_by(tickets.c.id)
    ).all()


def open_until(conn: Connection, day: str) -> list[Row[Any]]:
    """Tickets of `day` or earlier still waiting, called, serving or held (日终清场's work)."""
    return conn.execute(
        select(*COLUMNS).where(tickets.c.day <= day, tickets.c.state.in_([s.value for s in OPEN_TICKET_STATES]))
        .order_by(tickets.c.id)
    ).all()
