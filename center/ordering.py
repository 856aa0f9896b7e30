"""The order in which a window calls tickets, written once and the same on every database.

Order: appointments whose slot has started, then the tier the fairness rule puts first
(priority groups 绿色通道, or everyone else), then the other, each by arrival. After
`Fairness.run` calls of the first tier in a row, a window takes the oldest ticket of the other
tier if one waits, so neither starves (docs/queue.md, "Order"). An appointment checked in
before its slot waits for the slot's start: until then walk-ins are called.

A window's streak is one signed integer: k > 0 after k priority calls in a row, −n after n
normal calls in a row; appointments leave it be. So it means the same under either form.

Every sort key is NOT NULL (tier, sort_at, id), and the tiers are ranked with a CASE over
an integer — no ORDER BY over a nullable column, whose NULLs PostgreSQL sorts last and
SQLite first. `call_order` is the same rule in Python, for lists (the console's queue).
A kiosk's ticket whose print is not confirmed yet is neither called nor listed (`printed`).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, bindparam, case, func, or_, select
from sqlalchemy.engine import Connection

from center.db import Prepared, tickets, window_categories
from center.queue_types import Fairness, Tier, TicketState


class _Tiered(Protocol):
    @property
    def tier(self) -> int: ...


T = TypeVar("T", bound=_Tiered)


def tier_order(first: Tier) -> tuple[Tier, Tier, Tier]:
    """Appointments, then `first`, then the other tier."""
    other = Tier.NORMAL if first is Tier.PRIORITY else Tier.PRIORITY
    return Tier.APPOINTMENT, first, other


def owed(streak: int, fairness: Fairness) -> Tier:
    """The tier a window with this streak calls first now: the form's first tier, or the other
    once the first has had `fairness.run` calls in a row."""
    run = streak if fairness.first is Tier.PRIORITY else -streak
    return fairness.other if run >= fairness.run else fairness.first


def next_streak(streak: int, tier: Tier) -> int:
    """A priority call lengthens a priority run (or starts one), a normal call a normal run;
    appointments leave the streak be."""
    if tier is Tier.PRIORITY:
        return max(streak, 0) + 1
    if tier is Tier.NORMAL:
        return min(streak, 0) - 1
    return streak


def call_order(waiting: Iterable[T], streak: int, fairness: Fairness) -> list[T]:
    """The order a window with `streak` calls `waiting` (due tickets, in base order: tier,
    sort_at, id) if nobody else comes: `call_next`'s pick, again and again."""
    lines = {tier: deque[T]() for tier in Tier}
    for ticket in waiting:
        lines[Tier(ticket.tier)].append(ticket)
    order: list[T] = []
    while any(lines.values()):
        tier = next(t for t in tier_order(owed(streak, fairness)) if lines[t])
        order.append(lines[tier].popleft())
        streak = next_streak(streak, tier)
    return order


def _rank(first: Tier) -> ColumnElement[int]:
    """A ticket's place in `tier_order(first)`, as SQL over the integer tier."""
    return case({int(t): rank for rank, t in enumerate(tier_order(first))}, value=tickets.c.tier)


def due(now: float | ColumnElement[float]) -> ColumnElement[bool]:
    """Callable at `now`: every walk-in, and an appointment once its slot (sort_at) has started."""
    return or_(tickets.c.tier != int(Tier.APPOINTMENT), tickets.c.sort_at <= now)


def printed() -> ColumnElement[bool]:
    """Its print confirmed by its kiosk, or nothing to print: only such a ticket is ever
    called or listed at a window (no ghost tickets); it keeps its place meanwhile."""
    return tickets.c.print_due.is_(None)


@lru_cache(maxsize=4)
def next_for_window(first: Tier, skip_locked: bool) -> Prepared:
    """The best due ticket among a window's categories, `first` tier before the other (one
    row; binds `window`, `day`, `now`)."""
    served = select(window_categories.c.category).where(window_categories.c.window == bindparam("window"))
    query = (
        select(tickets.c.id, tickets.c.tier, tickets.c.number, tickets.c.category, tickets.c.item_code)
        .where(tickets.c.day == bindparam("day"), tickets.c.state == TicketState.WAITING.value,
               tickets.c.category.in_(served.scalar_subquery()), due(bindparam("now")), printed())
        .order_by(_rank(first), tickets.c.sort_at, tickets.c.id)
        .limit(1)
    )
    # On PostgreSQL two windows calling at once take different tickets instead of colliding.
    return Prepared(query.with_for_update(skip_locked=True) if skip_locked else query)


@lru_cache(maxsize=4)
def _ahead(first: Tier) -> Prepared:
    """Tickets of a category waiting before a place in the base order of the form putting
    `first` first (binds `category`, `day`, `rank`, `tier`, `sort_at`, `ticket_id`, `due_by`)."""
    before = or_(
        _rank(first) < bindparam("rank"),
        and_(tickets.c.tier == bindparam("tier"), or_(
            tickets.c.sort_at < bindparam("sort_at"),
            and_(tickets.c.sort_at == bindparam("sort_at"), tickets.c.id < bindparam("ticket_id")),
        )),
    )
    return Prepared(select(func.count()).select_from(tickets).where(
        tickets.c.day == bindparam("day"), tickets.c.state == TicketState.WAITING.value,
        tickets.c.category == bindparam("category"), due(bindparam("due_by")), before,
    ))


def count_ahead(conn: Connection, category: str, day: str, tier: int, sort_at: float, ticket_id: int, first: Tier,
                due_by: float) -> int:
    """How many tickets of `category` wait before the given place in the base order of the
    form putting `first` first, counting appointments due by `due_by` (when the ticket can
    first be called: now, or an early appointment's own slot start)."""
    return _ahead(first)(conn, {
        "category": category, "day": day, "rank": tier_order(first).index(Tier(tier)), "tier": tier,
        "sort_at": sort_at, "ticket_id": ticket_id, "due_by": due_by,
    }).scalar()
