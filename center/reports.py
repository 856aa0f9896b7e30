"""Hall reports: visits, waits, service times, no-shows and 满意率, by day, hour, category,
window or staff member.

Every figure comes from the engine's four timestamps (hall.md §3): a ticket's arrival
(`tickets.issued_at`), and each time it stood at a window (`services`: called, started,
ended, outcome). Rows are fetched once and grouped and ranked in Python, so percentiles are
the same on SQLite and PostgreSQL (neither offers the other's percentile functions).

- calls: times a ticket was called to a window (a call back counts again);
- visits: services finished (办结), no-shows: calls nobody answered (过号);
- day closed: tickets still open when the day was closed (闭馆未办结), each counted once —
  at its window when it was called or served then, else where it was held (or "—");
- wait: arrival → first call of the ticket; service: start → end of a finished service;
- 满意率 = ratings of level 4–5 over all ratings (voided ones left out).
"""
from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select

from center import i18n
from center.db import Database, ratings, services, tickets
from center.queue_types import TicketState

GROUPS = ("day", "hour", "category", "window", "staff")
SATISFIED = 4
DAY_CLOSED = TicketState.DAY_CLOSED.value


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass(frozen=True)
class Visit:
    """One service row with what the reports group and measure."""

    day: str
    hour: int
    category: str
    window: str
    staff: str
    outcome: str | None
    called: bool               # a call to a window; False: a ticket closed at day end without one
    wait_s: float | None       # set on the ticket's first call only
    service_s: float | None    # set on finished services only
    level: int | None


@dataclass(frozen=True)
class ReportRow:
    key: str
    label: str
    calls: int
    visits: int
    no_shows: int
    day_closed: int              # 闭馆未办结
    wait_p50_min: float | None
    wait_p90_min: float | None
    service_p50_min: float | None
    service_p90_min: float | None
    ratings: int
    satisfied: int
    satisfaction: float | None   # 满意率, 0–1


def visits(db: Database, tz: ZoneInfo, first_day: str, last_day: str) -> list[Visit]:
    """Every service of tickets issued from `first_day` to `last_day` (local dates, inclusive)."""
    query = (
        select(services.c.ticket_id, services.c.category, services.c.window, services.c.staff,
               services.c.called_at, services.c.started_at, services.c.ended_at, services.c.outcome,
               tickets.c.issued_at, tickets.c.day, ratings.c.level)
        .join(tickets, tickets.c.id == services.c.ticket_id)
        .outerjoin(ratings, and_(ratings.c.service_id == services.c.id, ratings.c.void.is_(False)))
        .where(tickets.c.day >= first_day, tickets.c.day <= last_day)
        .order_by(services.c.id)
    )
    seen: set[int] = set()
    closed_at_window: set[int] = set()
    out = []
    with db.read() as conn:
        for r in conn.execute(query):
            first = r.ticket_id not in seen
            seen.add(r.ticket_id)
            if r.outcome == DAY_CLOSED:
                closed_at_window.add(r.ticket_id)
            done = r.outcome == "done" and r.started_at is not None and r.ended_at is not None
            out.append(Visit(
                day=r.day, hour=datetime.fromtimestamp(r.called_at, tz).hour, category=r.category,
                window=r.window, staff=r.staff or "—", outcome=r.outcome, called=True,
                wait_s=r.called_at - r.issued_at if first else None,
                service_s=r.ended_at - r.started_at if done else None, level=r.level,
            ))
        for t in conn.execute(select(tickets).where(tickets.c.day >= first_day, tickets.c.day <= last_day,
                                                    tickets.c.state == DAY_CLOSED).order_by(tickets.c.id)):
            if t.id not in closed_at_window:
                out.append(Visit(day=t.day, hour=datetime.fromtimestamp(t.state_at, tz).hour, category=t.category,
                                 window=t.window or "—", staff="—", outcome=DAY_CLOSED, called=False, wait_s=None,
                                 service_s=None, level=None))
    return out


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def summarise(key: str, label: str, group: Iterable[Visit]) -> ReportRow:
    group = list(group)
    waits = [v.wait_s for v in group if v.wait_s is not None]
    served = [v.service_s for v in group if v.service_s is not None]
    levels = [v.level for v in group if v.level is not None]
    satisfied = sum(level >= SATISFIED for level in levels)
    return ReportRow(
        key=key, label=label, calls=sum(v.called for v in group),
        visits=sum(v.outcome == "done" for v in group), no_shows=sum(v.outcome == "no_show" for v in group),
        day_closed=sum(v.outcome == DAY_CLOSED for v in group),
        wait_p50_min=_minutes(percentile(waits, 0.5)), wait_p90_min=_minutes(percentile(waits, 0.9)),
        service_p50_min=_minutes(percentile(served, 0.5)), service_p90_min=_minutes(percentile(served, 0.9)),
        ratings=len(levels), satisfied=satisfied, satisfaction=satisfied / len(levels) if levels else None,
    )


def group_key(by: str) -> Callable[[Visit], str]:
    if by not in GROUPS:
        raise ValueError(f"report by one of {', '.join(GROUPS)}, not {by!r}")
    if by == "hour":
        return lambda v: f"{v.hour:02d}"
    return lambda v: str(getattr(v, by))


def report(rows: Sequence[Visit], by: str, labels: dict[str, str] | None = None) -> list[ReportRow]:
    """One row per group, sorted by key, then the total as the last row (key "total")."""
    key = group_key(by)
    groups: dict[str, list[Visit]] = {}
    for v in rows:
        groups.setdefault(key(v), []).append(v)
    labels = labels or {}
    if by == "hour":
        labels = {k: f"{k}:00–{int(k) + 1:02d}:00" for k in groups}
    out = [summarise(k, labels.get(k, k), groups[k]) for k in sorted(groups)]
    return out + [summarise("total", i18n.text("reports.total"), rows)]


def to_csv(rows: Sequence[ReportRow]) -> str:
    """CSV with headings in the hall's language (`csv.*` in center/i18n.py) and a BOM, so
    spreadsheet programs in the hall open it right."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    names = [f.name for f in fields(ReportRow)]
    writer.writerow([i18n.text(f"csv.{n}") for n in names])
    for row in rows:
        values: dict[str, Any] = asdict(row)
        if row.satisfaction is not None:
            values["satisfaction"] = f"{row.satisfaction * 100:.1f}%"
        writer.writerow(["" if values[n] is None else values[n] for n in names])
    return "\ufeff" + buf.getvalue()
