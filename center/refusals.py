"""Events the center refused: each is acknowledged (the terminal's outbox moves on) and kept
here with its reason, so staff see what a terminal tried and why it did not count.

Personal fields are masked before they are stored: the citizen's key is dropped and
anything shaped like an ID number is starred (DESIGN.md §3).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from center.db import Database, refused_events
from core.privacy import mask_text

PERSONAL = ("citizen_key", "ticket_token")  # the token opens the ticket's phone page


@dataclass(frozen=True)
class RefusedEvent:
    id: int
    event_id: str
    terminal: str
    kind: str
    error: str
    message: str
    payload: dict[str, Any]
    at: float


def masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("***" if k in PERSONAL and v else masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return mask_text(value) if isinstance(value, str) else value


def record(db: Database, conn: Connection, now: float, terminal: str, kind: str, event_id: str, error: str,
           message: str, payload: dict[str, Any]) -> None:
    """Keep a refused event once (a resent one is the same refusal)."""
    conn.execute(db.insert_ignore(refused_events).values(
        event_id=event_id[:64], terminal=terminal[:64], kind=kind[:64], error=error[:64], message=message[:500],
        payload=json.dumps(masked(payload), ensure_ascii=False)[:4000], at=now,
    ))


def latest(conn: Connection, limit: int = 50) -> list[RefusedEvent]:
    rows = conn.execute(select(refused_events).order_by(refused_events.c.id.desc()).limit(limit))
    return [RefusedEvent(r.id, r.event_id, r.terminal, r.kind, r.error, r.message, json.loads(r.payload), r.at)
            for r in rows]
