"""Number series: one per category per local day, drawn by a guarded update.

Two kiosks asking at once must never get the same number (the trap of counters read then
written). The draw is one `UPDATE counters SET last = last + 1 … WHERE last < cap RETURNING
last`: PostgreSQL row-locks it, SQLite runs it under the write lock taken at BEGIN; the
unique (day, series, seq) constraint on tickets is the second guard.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection

from center.db import Database, Prepared, counters

MAX_SEQ = 999  # three digits


def day_of(local: datetime) -> str:
    return local.date().isoformat()


def format_number(letter: str, seq: int) -> str:
    return f"{letter}{seq:03d}"


_DRAW = Prepared(
    update(counters)
    .where(counters.c.series == bindparam("_series"), counters.c.day == bindparam("_day"),
           counters.c.last < bindparam("_cap"))
    .values(last=counters.c.last + 1)
    .returning(counters.c.last)
)


def draw(db: Database, conn: Connection, series: str, day: str, cap: int) -> int | None:
    """The next number of `series` on `day`, or None when `cap` numbers are out."""
    params = {"_series": series, "_day": day, "_cap": cap}
    seq = _DRAW(conn, params).scalar()
    if seq is not None:
        return seq
    # First draw of the day (or the cap is reached): create the row if missing, then retry.
    conn.execute(db.insert_ignore(counters).values(series=series, day=day, last=0))
    return _DRAW(conn, params).scalar()
