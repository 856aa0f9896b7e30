"""The disk outbox: nothing a citizen was told is lost (DESIGN.md §4.2).

`emit()` returns only after the event's row is committed (WAL, synchronous=FULL). Rows
leave only when the center's end-to-end ack names their `event_id`; a PUBACK from the
broker proves nothing. `seq` comes from AUTOINCREMENT, so it keeps rising across restarts
and deletions.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.clock import SYSTEM_CLOCK, Clock
from core.errors import OutboxFull


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    event_id: str
    kind: str
    data: dict[str, Any]
    ts: float


class Outbox:
    def __init__(self, path: str | Path, max_rows: int = 50_000, clock: Clock = SYSTEM_CLOCK) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_rows = max_rows
        self.clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                data TEXT NOT NULL,
                ts REAL NOT NULL
            );
            CREATE TABLE IF NOT EXISTS command_answers (
                command_id TEXT PRIMARY KEY,
                answer BLOB NOT NULL,
                ts REAL NOT NULL
            );
            """
        )
        self.full = False
        self.refused = 0

    def emit(self, kind: str, data: dict[str, Any], event_id: str | None = None) -> OutboxRow:
        """Commit one event; raises OutboxFull (loudly, never silently dropping) at the bound."""
        event_id = event_id or uuid.uuid4().hex
        ts = self.clock.time()
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            depth = self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
            if depth >= self.max_rows:
                self.full = True
                self.refused += 1
                raise OutboxFull(f"outbox {self.path} holds {depth} unacknowledged events (bound {self.max_rows})")
            self.full = False
            existing = self._db.execute("SELECT seq, ts FROM outbox WHERE event_id=?", (event_id,)).fetchone()
            if existing:  # idempotent by event_id: the same business event is queued once
                return OutboxRow(existing[0], event_id, kind, data, existing[1])
            cur = self._db.execute(
                "INSERT INTO outbox (event_id, kind, data, ts) VALUES (?, ?, ?, ?)",
                (event_id, kind, payload, ts),
            )
            assert cur.lastrowid is not None  # an INSERT always sets it
            return OutboxRow(cur.lastrowid, event_id, kind, data, ts)

    def after(self, seq: int, limit: int) -> list[OutboxRow]:
        """Rows with a higher seq than `seq`, oldest first: the pump's cursor read."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, event_id, kind, data, ts FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            ).fetchall()
        return [OutboxRow(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def ack(self, event_ids: list[str]) -> int:
        with self._lock:
            cur = self._db.executemany("DELETE FROM outbox WHERE event_id=?", [(e,) for e in event_ids])
            if cur.rowcount:
                self.full = False
            return cur.rowcount

    def depth(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def oldest_age(self) -> float:
        with self._lock:
            row = self._db.execute("SELECT MIN(ts) FROM outbox").fetchone()
        return max(0.0, self.clock.time() - row[0]) if row and row[0] is not None else 0.0

    def get_status(self) -> dict[str, Any]:
        return {"outbox_depth": self.depth(), "outbox_oldest_age": round(self.oldest_age(), 1),
                "outbox_full": self.full, "outbox_refused": self.refused}

    # ---- command answers: a repeated command id gets its first answer ------------------
    def answer_for(self, command_id: str) -> bytes | None:
        with self._lock:
            row = self._db.execute("SELECT answer FROM command_answers WHERE command_id=?",
                                   (command_id,)).fetchone()
        return row[0] if row else None

    def keep_answer(self, command_id: str, answer: bytes, keep_for: float = 86_400) -> None:
        now = self.clock.time()
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO command_answers VALUES (?, ?, ?)", (command_id, answer, now))
            self._db.execute("DELETE FROM command_answers WHERE ts < ?", (now - keep_for,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
