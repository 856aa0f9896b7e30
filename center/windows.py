"""Window rows: guarded state changes, the presence log, the services and announcements a
window's calls open, and the views consoles show.

A window's state is only ever changed by an UPDATE guarded by the state it was read in, so
two consoles (or a console and a caller keypad) of one window cannot both act on it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row

from center.db import Prepared, announcements, services, tickets, window_categories, window_log, windows
from center.queue_errors import InvalidTransition, UnknownWindow
from center.queue_types import Call, CallKind, WindowState, WindowView

_GET = Prepared(select(windows).where(windows.c.code == bindparam("code")))
_MOVE = Prepared(
    update(windows).where(windows.c.code == bindparam("_code"), windows.c.state == bindparam("_from"))
    .returning(*windows.c)
)
BUSY = (WindowState.CALLING.value, WindowState.SERVING.value)


def get(conn: Connection, code: str, allowed: Sequence[WindowState], action: str) -> Row[Any]:
    w = _GET(conn, {"code": code}).first()
    if w is None:
        raise UnknownWindow(code)
    if w.state not in [s.value for s in allowed]:
        raise InvalidTransition(f"window {code}", w.state, action)
    return w


def move(conn: Connection, code: str, frm: WindowState | str, to: WindowState, now: float, action: str,
         **values: Any) -> Row[Any]:
    """Guarded change of state in one statement; the window's new row."""
    frm_value = frm.value if isinstance(frm, WindowState) else frm
    row = _MOVE(conn, {"_code": code, "_from": frm_value, "state": to.value, "since": now, **values}).first()
    if row is None:
        get(conn, code, (WindowState(frm_value),), action)  # raises, naming the state it is really in
        raise InvalidTransition(f"window {code}", "changed meanwhile", action)
    return row


def log(conn: Connection, code: str, action: str, frm: str, to: WindowState, now: float, staff: str | None,
        detail: str | None) -> None:
    """Presence and pauses (calls are in the tickets' history)."""
    conn.execute(insert(window_log).values(
        window=code, action=action, from_state=frm, to_state=to.value, at=now, staff=staff, detail=detail,
    ))


def open_before(conn: Connection, at: float, busy_with: Sequence[int] = ()) -> list[Row[Any]]:
    """Windows still open (signed in) since before `at`, and those calling or serving one of
    the tickets `busy_with`: what a day close signs out."""
    stale = (windows.c.state != WindowState.CLOSED.value) & (windows.c.since < at)
    if busy_with:
        stale |= windows.c.state.in_(BUSY) & windows.c.ticket_id.in_(list(busy_with))
    return conn.execute(select(windows).where(stale).order_by(windows.c.code)).all()


def views(conn: Connection, code: str | None = None) -> list[WindowView]:
    query = (
        select(windows, tickets.c.number)
        .outerjoin(tickets, tickets.c.id == windows.c.ticket_id)
        .order_by(windows.c.code)
    )
    served = select(window_categories).order_by(window_categories.c.window, window_categories.c.category)
    if code is not None:
        query = query.where(windows.c.code == code)
        served = served.where(window_categories.c.window == code)
    categories: dict[str, list[str]] = {}
    for row in conn.execute(served):
        categories.setdefault(row.window, []).append(row.category)
    return [
        WindowView(r.code, r.name, WindowState(r.state), tuple(categories.get(r.code, ())), r.staff,
                   r.number if r.state in BUSY else None, r.ticket_id if r.state in BUSY else None, r.pause_reason,
                   r.since)
        for r in conn.execute(query)
    ]


# A service is one stay of a ticket at a window, from its call to its end.
_OPEN_SERVICE = Prepared(insert(services).returning(services.c.id))
_SET_SERVICE = Prepared(update(services).where(services.c.id == bindparam("_id")))
_ANNOUNCE = Prepared(insert(announcements).returning(announcements.c.id))


def open_service(conn: Connection, w: Row[Any], ticket: Row[Any], now: float) -> int:
    return _OPEN_SERVICE(conn, {
        "ticket_id": ticket.id, "category": ticket.category, "item_code": ticket.item_code, "window": w.code,
        "staff": w.staff, "called_at": now,
    }).scalar_one()


def start_service(conn: Connection, service_id: int, now: float) -> None:
    _SET_SERVICE(conn, {"_id": service_id, "started_at": now})


def end_service(conn: Connection, service_id: int, now: float, hour: int, outcome: str,
                item_code: str | None = None) -> None:
    values: dict[str, Any] = {"_id": service_id, "ended_at": now, "outcome": outcome, "hour": hour}
    if item_code:
        values["item_code"] = item_code
    _SET_SERVICE(conn, values)


def announce(conn: Connection, w: Row[Any], ticket: Row[Any], kind: CallKind, now: float) -> Call:
    """The row the screens and the voice queue read: written in the call's own transaction."""
    announcement_id = _ANNOUNCE(conn, {
        "ticket_id": ticket.id, "number": ticket.number, "category": ticket.category, "window": w.code,
        "kind": kind.value, "at": now,
    }).scalar_one()
    return Call(announcement_id, ticket.id, ticket.number, ticket.category, w.code, w.name, kind, now)
