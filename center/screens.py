"""Read-only views the web screens need beyond the engine's own: recent calls, a window's
queue, today's ratings, the rating behind a follow-up.

Every query reads the engine's tables in one snapshot (`Database.read`) and never writes;
the window's queue is listed in the order the window will call it.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from center import ordering
from center.db import (
    Database,
    announcements,
    ratings,
    tickets,
    window_categories,
    windows,
)
from center.queue_types import Fairness, TicketState, Tier


def recent_calls(db: Database, since: float, limit: int = 8) -> list[dict[str, Any]]:
    """Today's last calls, newest first, as the hall display lists them."""
    query = (
        select(announcements, windows.c.name.label("window_name"))
        .join(windows, windows.c.code == announcements.c.window)
        .where(announcements.c.at >= since)
        .order_by(announcements.c.id.desc()).limit(limit)
    )
    with db.read() as conn:
        return [_call(r) for r in conn.execute(query)]


def announcement(db: Database, announcement_id: int) -> dict[str, Any] | None:
    query = (
        select(announcements, windows.c.name.label("window_name"))
        .join(windows, windows.c.code == announcements.c.window)
        .where(announcements.c.id == announcement_id)
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    return _call(row) if row is not None else None


def _call(row: Any) -> dict[str, Any]:
    return {"announcement_id": row.id, "ticket_id": row.ticket_id, "number": row.number, "category": row.category,
            "window": row.window, "window_name": row.window_name, "kind": row.kind, "at": row.at}


_TICKET = (tickets.c.id, tickets.c.number, tickets.c.category, tickets.c.tier, tickets.c.priority,
           tickets.c.item_code, tickets.c.issued_at, tickets.c.channel)


def _ticket(row: Any) -> dict[str, Any]:
    return {"id": row.id, "number": row.number, "category": row.category, "tier": row.tier,
            "priority": row.priority, "item_code": row.item_code, "issued_at": row.issued_at,
            "channel": row.channel}


def window_queue(db: Database, window: str, day: str, now: float, fairness: Fairness,
                 limit: int = 12) -> list[dict[str, Any]]:
    """The tickets waiting for this window, in the order it will call them: the due ones as
    `call_next` picks them, its fairness streak included (ordering.call_order), then the
    appointments checked in before their slot, by slot (`due_at`: called from then on)."""
    served = select(window_categories.c.category).where(window_categories.c.window == window)
    waiting = (
        select(*_TICKET, tickets.c.sort_at)
        .where(tickets.c.day == day, tickets.c.state == TicketState.WAITING.value,
               tickets.c.category.in_(served.scalar_subquery()), ordering.printed())
        .order_by(tickets.c.sort_at, tickets.c.id).limit(limit)
    )
    with db.read() as conn:
        streak = conn.execute(select(windows.c.streak).where(windows.c.code == window)).scalar_one()
        # The first `limit` calls take at most `limit` tickets of each tier.
        due = [r for tier in Tier for r in conn.execute(waiting.where(tickets.c.tier == int(tier), ordering.due(now)))]
        early = conn.execute(waiting.where(~ordering.due(now))).all()
    listed = [_ticket(r) for r in ordering.call_order(due, streak, fairness)]
    listed += [{**_ticket(r), "due_at": r.sort_at} for r in early]
    return listed[:limit]


def _rating(row: Any) -> dict[str, Any]:
    return {"id": row.id, "ticket_number": row.ticket_number, "level": row.level,
            "reasons": json.loads(row.reasons), "window": row.window, "staff": row.staff,
            "category": row.category, "item_code": row.item_code, "case_no": row.case_no,
            "channel": row.channel, "at": row.at, "real_name": row.citizen_key is not None, "void": row.void}


def ratings_since(db: Database, since: float, limit: int = 10) -> dict[str, Any]:
    """Ratings since `since`: count, satisfied (levels 4–5, voided ones left out) and the latest."""
    counted = (ratings.c.at >= since) & ratings.c.void.is_(False)
    with db.read() as conn:
        total, satisfied = conn.execute(
            select(func.count(), func.count().filter(ratings.c.level >= 4)).where(counted)).one()
        latest = conn.execute(select(ratings).where(ratings.c.at >= since).order_by(ratings.c.id.desc()).limit(limit))
        return {"count": total, "satisfied": satisfied, "rate": satisfied / total if total else None,
                "latest": [_rating(r) for r in latest]}


def ratings_by_id(db: Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    with db.read() as conn:
        return {r.id: _rating(r) for r in conn.execute(select(ratings).where(ratings.c.id.in_(ids)))}
