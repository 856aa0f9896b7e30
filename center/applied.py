"""Apply each terminal event once (DESIGN.md §4.2: the center applies each `event_id` once).

The event id is inserted into `applied_events` *first*, in the same transaction as the
operation, and the operation's result is stored with it. A second delivery of the same id
fails on the primary key (on PostgreSQL it waits for the first to commit), rolls back, and
gets the stored result back — the same ticket, the same call — instead of a second effect.
A refused operation rolls its event id back with it, so a retry is judged afresh.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import TypeAdapter
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from center.db import Database, applied_events

R = TypeVar("R")


@lru_cache(maxsize=64)
def _adapter(result_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(result_type)


def apply_once(
    db: Database, event_id: str, op: str, fn: Callable[[Connection], R], result_type: Any, at: float,
) -> tuple[bool, R]:
    """(True, result) when this call applied `fn`; (False, stored result) for a repeat."""
    adapter = _adapter(result_type)

    def once(conn: Connection) -> R:
        conn.execute(insert(applied_events).values(event_id=event_id, op=op, result="", at=at))
        result = fn(conn)
        conn.execute(
            update(applied_events).where(applied_events.c.event_id == event_id)
            .values(result=adapter.dump_json(result).decode())
        )
        return result

    try:
        return True, db.write(once, durable=True)  # the terminal forgets the event once acked
    except IntegrityError:
        with db.read() as conn:
            stored = conn.execute(
                select(applied_events.c.result).where(applied_events.c.event_id == event_id)
            ).scalar()
        if stored is None:  # the conflict was not about the event id
            raise
        return False, adapter.validate_json(stored)


def applied(conn: Connection, event_id: str) -> bool:
    query = select(applied_events.c.event_id).where(applied_events.c.event_id == event_id)
    return conn.execute(query).first() is not None
