"""过号 back in line: a window's no-shows of today, the place a reactivated one takes, and the
hall's rule in words — the one text the ticket, the kiosk and the phone page print.

A hall either lets a no-show back within `[queue] reactivate_within_min` (0: never, 过号需重新
取号) at its original place, or — `reactivate_after_tickets` N > 0 — behind the next N
tickets waiting in its category and tier, so those already waiting are not pushed back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from center.db import Database, services, tickets
from center.queue_errors import QueueError
from center.queue_types import QueueSettings, TicketState

# The hall's words, as the ticket prints them; the kiosk, the phone and the console show this same text
# (answers.no_show_rule), in Chinese whatever `[web] language` says.
TEXTS = {
    "open": "过号{minutes}分钟内可到窗口恢复",
    "original": "，恢复后按原顺序叫号",
    "after": "，恢复后排在{n}位等候者之后",
    "closed": "过号需重新取号",
}


def rule_text(settings: QueueSettings) -> str:
    """The hall's 过号 rule as printed on the ticket and shown on the kiosk and the phone."""
    minutes = settings.reactivate_within_min
    if minutes <= 0:
        return TEXTS["closed"]
    n = settings.reactivate_after_tickets
    return TEXTS["open"].format(minutes=f"{minutes:g}") + (
        TEXTS["after"].format(n=n) if n else TEXTS["original"])


class NotMissedHere(QueueError):
    """A window reactivates only a ticket that was a no-show at its own counter today."""

    def __init__(self, ticket_id: int, window: str) -> None:
        super().__init__(f"ticket {ticket_id} is not a no-show of window {window} today")


@dataclass(frozen=True)
class NoShow:
    """One of a window's no-shows today, and until when it may come back (None: it may not)."""

    ticket_id: int
    number: str
    category: str
    missed_at: float
    reactivate_until: float | None


def of_window(db: Database, window: str, day: str, settings: QueueSettings) -> list[NoShow]:
    """Today's tickets whose last call at `window` ended as a no-show and that are no-shows still."""
    minutes = settings.reactivate_within_min
    query = (
        select(tickets.c.id, tickets.c.number, tickets.c.category, tickets.c.state_at)
        .join(services, services.c.id == tickets.c.service_id)
        .where(tickets.c.day == day, tickets.c.state == TicketState.NO_SHOW.value,
               services.c.window == window, services.c.outcome == TicketState.NO_SHOW.value)
        .order_by(tickets.c.state_at.desc())
    )
    with db.read() as conn:
        return [NoShow(r.id, r.number, r.category, r.state_at, r.state_at + minutes * 60 if minutes > 0 else None)
                for r in conn.execute(query)]


def place_behind(conn: Connection, row: Row[Any], n: int, now: float) -> float:
    """The sort key putting a reactivated ticket behind the next `n` waiting in its category
    and tier (at the end when fewer wait): between the n-th and the one after it."""
    ahead = conn.execute(
        select(tickets.c.sort_at)
        .where(tickets.c.day == row.day, tickets.c.category == row.category, tickets.c.tier == row.tier,
               tickets.c.state == TicketState.WAITING.value, tickets.c.id != row.id)
        .order_by(tickets.c.sort_at, tickets.c.id).limit(n + 1)
    ).scalars().all()
    if len(ahead) <= n:
        return max([*ahead, min(row.sort_at, now)]) + 1e-3
    return (ahead[n - 1] + ahead[n]) / 2
