"""A minimal `EventApplier`: an SQLite ledger of applied event ids.

The queue engine brings its own (the ledger row and the effect share one transaction);
this one serves the demo stub, tests and tools whose effect is the ledger row itself.
"""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from mqtt.contract import ErrorInfo, Event


class SqliteLedger:
    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS applied (event_id TEXT PRIMARY KEY, terminal TEXT, kind TEXT,"
            " seq INTEGER, data TEXT)"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS refused (event_id TEXT PRIMARY KEY, terminal TEXT, kind TEXT,"
            " seq INTEGER, error TEXT)"
        )
        self._lock = threading.Lock()

    def apply(self, terminal: str, kind: str, event: Event) -> bool:
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO applied VALUES (?, ?, ?, ?, ?)",
                (event.event_id, terminal, kind, event.seq, json.dumps(event.data, ensure_ascii=False)),
            )
            return cur.rowcount == 1

    def refuse(self, terminal: str, kind: str, event: Event, error: ErrorInfo) -> None:
        """Kept once, with why (the center's link acknowledges it afterwards)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO refused VALUES (?, ?, ?, ?, ?)",
                             (event.event_id, terminal, kind, event.seq, error.model_dump_json()))

    def events(self, terminal: str | None = None) -> list[tuple[str, str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT event_id, kind, seq FROM applied WHERE ?1 IS NULL OR terminal = ?1 ORDER BY rowid",
                (terminal,),
            ).fetchall()
        return [tuple(r) for r in rows]
