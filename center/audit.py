"""The audit trail: every staff action and every refused attempt, append-only and hash-chained.

Each row's hash is SHA-256 over the previous row's hash and the row's own fields, so an
edited row breaks its own hash and a deleted one breaks the next row's link: `verify`
(`onetrip audit verify`) names the first row where the chain breaks. Rows older than
`[staff] audit_keep_days` (at least 180) may be purged from the oldest end; the oldest row
kept then anchors the chain. Appends are serialised (SQLite's write lock, a PostgreSQL
advisory lock), so two workers never chain onto the same row.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.engine import Connection

from center.db import Database, audit_log

GENESIS = "0" * 64
_LOCK_KEY = 0x0A0D17  # the PostgreSQL advisory lock of audit appends


@dataclass(frozen=True)
class AuditEntry:
    at: float
    staff_no: str | None
    roles: str | None
    window: str | None
    action: str
    target: str | None
    result: str
    client: str | None


@dataclass(frozen=True)
class AuditRow(AuditEntry):
    id: int = 0
    prev_hash: str = ""
    hash: str = ""


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    fields = [f"{entry.at:.6f}", entry.staff_no, entry.roles, entry.window, entry.action, entry.target,
              entry.result, entry.client]
    return hashlib.sha256((prev_hash + json.dumps(fields, ensure_ascii=False)).encode()).hexdigest()


def append(db: Database, entry: AuditEntry) -> None:
    """One row, durable, chained onto the newest."""
    entry = AuditEntry(entry.at, _cut(entry.staff_no, 32), _cut(entry.roles, 128), _cut(entry.window, 32),
                       entry.action[:80], _cut(entry.target, 200), entry.result[:200], _cut(entry.client, 64))

    def fn(conn: Connection) -> None:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
        prev = prev or GENESIS
        conn.execute(insert(audit_log).values(**asdict(entry), prev_hash=prev, hash=chain_hash(prev, entry)))

    db.write(fn, durable=True)


def _cut(value: str | None, n: int) -> str | None:
    return value[:n] if value else value


def _row(r: Any) -> AuditRow:
    return AuditRow(r.at, r.staff_no, r.roles, r.window, r.action, r.target, r.result, r.client,
                    r.id, r.prev_hash, r.hash)


def _rows(conn: Connection, since: float | None = None) -> Iterator[AuditRow]:
    query = select(audit_log).order_by(audit_log.c.id)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    return (_row(r) for r in conn.execute(query))


def verify(db: Database) -> tuple[int, int | None]:
    """(rows checked, id of the first broken row or None): each row's own hash, and each link
    to the row before it (the oldest kept row anchors the chain)."""
    checked, prev = 0, None
    with db.read() as conn:
        for row in _rows(conn):
            entry = AuditEntry(row.at, row.staff_no, row.roles, row.window, row.action, row.target, row.result,
                               row.client)
            if (prev is not None and row.prev_hash != prev) or chain_hash(row.prev_hash, entry) != row.hash:
                return checked, row.id
            prev, checked = row.hash, checked + 1
    return checked, None


def latest(db: Database, limit: int = 200) -> list[AuditRow]:
    """The newest rows, newest first."""
    with db.read() as conn:
        return [_row(r) for r in conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))]


def as_csv(db: Database, since: float | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "时间戳", "工号", "角色", "窗口", "操作", "对象", "结果", "客户端地址", "前序哈希", "哈希"])
    with db.read() as conn:
        for r in _rows(conn, since):
            writer.writerow([r.id, f"{r.at:.3f}", r.staff_no or "", r.roles or "", r.window or "", r.action,
                             r.target or "", r.result, r.client or "", r.prev_hash, r.hash])
    return out.getvalue()


def purge(db: Database, before: float) -> int:
    """Drop rows older than `before` from the oldest end (the retention period's job)."""
    def fn(conn: Connection) -> int:
        n = conn.execute(select(func.count()).select_from(audit_log).where(audit_log.c.at < before)).scalar_one()
        conn.execute(delete(audit_log).where(audit_log.c.at < before))
        return int(n)

    return db.write(fn, durable=True)
