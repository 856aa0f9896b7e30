"""The order in which a window calls tickets, written once and the same on every database.

Order: appointments checked in within their slot, then priority groups (绿色通道), then
everyone else by arrival. After `ratio` priority calls in a row a window takes the oldest
normal ticket if one waits, so normal tickets never starve.

Every sort key is NOT NULL (tier, sort_at, id), and the fairness turn reorders tiers with a
CASE over an integer — no ORDER BY over a nullable column, whose NULLs PostgreSQL sorts last
and SQLite first.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Select, and_, bindparam, case, func, or_, select

from center.db import Prepared, tickets, window_categories
from center.queue_types import Tier, TicketState

_NORMAL_TURN = tickets.c.tier
_FAIR_TURN = case(
    {int(Tier.APPOINTMENT): 0, int(Tier.NORMAL): 1, int(Tier.PRIORITY): 2}, value=tickets.c.tier,
)


def fair_turn(streak: int, ratio: int) -> bool:
    """Has this window called `ratio` priority tickets in a row, so a normal one is owed?"""
    return streak >= ratio


def next_streak(streak: int, tier: Tier) -> int:
    """Priority calls lengthen the streak, a normal call ends it, appointments leave it be."""
    if tier is Tier.PRIORITY:
        return streak + 1
    if tier is Tier.NORMAL:
        return 0
    return streak


@lru_cache(maxsize=4)
def next_for_window(fair: bool, skip_locked: bool) -> Prepared:
    """The best waiting ticket among a window's categories (one row; binds `window`, `day`)."""
    served = select(window_categories.c.category).where(window_categories.c.window == bindparam("window"))
    query = (
        select(tickets.c.id, tickets.c.tier, tickets.c.number, tickets.c.category, tickets.c.item_code)
        .where(tickets.c.day == bindparam("day"), tickets.c.state == TicketState.WAITING.value,
               tickets.c.category.in_(served.scalar_subquery()))
        .order_by(_FAIR_TURN if fair else _NORMAL_TURN, tickets.c.sort_at, tickets.c.id)
        .limit(1)
    )
    # On PostgreSQL two windows calling at once take different tickets instead of colliding.
    return Prepared(query.with_for_update(skip_locked=True) if skip_locked else query)


def ahead_of(category: str, day: str, tier: int, sort_at: float, ticket_id: int) -> Select:
    """How many tickets of `category` wait before the given place in the normal order."""
    before = or_(
        tickets.c.tier < tier,
        and_(tickets.c.tier == tier, or_(
            tickets.c.sort_at < sort_at,
            and_(tickets.c.sort_at == sort_at, tickets.c.id < ticket_id),
        )),
    )
    return select(func.count()).select_from(tickets).where(
        tickets.c.day == day, tickets.c.state == TicketState.WAITING.value,
        tickets.c.category == category, before,
    )
