"""The baseline every center figure is compared with: the simplest hall app that is still honest.

One HTTP server (waitress, 4 threads, its own process), one SQLite table (WAL,
synchronous=FULL: every commit fsynced), one insert and commit per ticket answered with
the number and the people ahead, one status update per call, start and finish; clients on
keep-alive connections. No estimates, no broadcast, no history, no applied-once: what a town
office's queue app does. `measure()` runs it once per process (`make bench` shares it).

`python -m bench.simple_hall serve PORT DB` is the server; `python -m bench.simple_hall` prints its figures.
"""
from __future__ import annotations

import http.client
import json
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psutil

from bench.stats import at_once, ms, pct

WINDOWS = {"1": "AB", "2": "AB", "3": "AB", "4": "AB"}
SCHEMA = """CREATE TABLE IF NOT EXISTS tickets (id INTEGER PRIMARY KEY, category TEXT NOT NULL,
 number TEXT NOT NULL, state TEXT NOT NULL, window TEXT, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS waiting ON tickets (state, category, id);"""


# ---- the server -------------------------------------------------------------------------------
class Hall:
    """The app: a connection per server thread, BEGIN IMMEDIATE per request."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self.db().executescript(SCHEMA)

    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _write(self, fn: Callable[[sqlite3.Connection], dict[str, Any]]) -> dict[str, Any]:
        conn = self.db()
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    def take(self, category: str) -> dict[str, Any]:
        def fn(conn: sqlite3.Connection) -> dict[str, Any]:
            seq = conn.execute("SELECT COUNT(*) + 1 FROM tickets WHERE category = ?", (category,)).fetchone()[0]
            number = f"{category}{seq:03d}"
            cur = conn.execute("INSERT INTO tickets (category, number, state, at) VALUES (?, ?, 'waiting', ?)",
                               (category, number, time.time()))
            ahead = conn.execute("SELECT COUNT(*) FROM tickets WHERE state = 'waiting' AND category = ? AND id < ?",
                                 (category, cur.lastrowid)).fetchone()[0]
            return {"id": cur.lastrowid, "number": number, "ahead": ahead}
        return self._write(fn)

    def call(self, window: str) -> dict[str, Any]:
        def fn(conn: sqlite3.Connection) -> dict[str, Any]:
            marks = ",".join("?" * len(WINDOWS[window]))
            row = conn.execute(f"SELECT id, number FROM tickets WHERE state = 'waiting' AND category IN ({marks})"
                               " ORDER BY id LIMIT 1", tuple(WINDOWS[window])).fetchone()
            if row is None:
                return {"number": None}
            conn.execute("UPDATE tickets SET state = 'called', window = ?, at = ? WHERE id = ?",
                         (window, time.time(), row[0]))
            return {"number": row[1]}
        return self._write(fn)

    def step(self, window: str, frm: str, to: str) -> dict[str, Any]:
        return self._write(lambda conn: {"changed": conn.execute(
            "UPDATE tickets SET state = ?, at = ? WHERE window = ? AND state = ?",
            (to, time.time(), window, frm)).rowcount})

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        parts = environ["PATH_INFO"].strip("/").split("/")
        if parts[0] == "take":
            result = self.take(parts[1])
        elif parts[2] == "call":
            result = self.call(parts[1])
        elif parts[2] == "start":
            result = self.step(parts[1], "called", "serving")
        else:
            result = self.step(parts[1], "serving", "done")
        body = json.dumps(result).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def serve(port: int, path: str) -> None:
    import logging

    import waitress

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "task queue depth": the load is the point
    waitress.serve(Hall(path), host="127.0.0.1", port=port, threads=4, _quiet=True)


# ---- the clients ------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection (a kiosk, or a window's console)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def post(self, path: str) -> dict[str, Any]:
        self.conn.request("POST", path, body=b"", headers={"Content-Length": "0"})
        return json.loads(self.conn.getresponse().read())

    def close(self) -> None:
        self.conn.close()


@dataclass(frozen=True)
class Baseline:
    p50_s: float
    p99_s: float
    concurrent_per_s: float
    concurrent_p99_s: float
    visits_per_s: float
    cpu_per_ticket_s: float
    cpu_per_visit_s: float

    def lines(self) -> list[str]:
        return [
            "simple hall app (waitress 4 threads, one SQLite table, fsync per commit, keep-alive clients):",
            f"  one kiosk: ticket p50 {ms(self.p50_s)}  p99 {ms(self.p99_s)}; server CPU per ticket "
            f"{ms(self.cpu_per_ticket_s)}",
            f"  8 kiosks at once: {self.concurrent_per_s:,.0f} tickets/s, p99 {ms(self.concurrent_p99_s)}",
            f"  full visits (take + call + start + finish), 4 windows: {self.visits_per_s:,.0f} visits/s; "
            f"server CPU per visit {ms(self.cpu_per_visit_s)}",
        ]


def ratio(value: float, base: float, higher_is_better: bool = True) -> str:
    """`value` against the baseline's, in the words a hall comparing products reads."""
    if higher_is_better:
        return f"{value / base:.2f}× the simple app's {base:,.0f}"
    return f"{value / base:.2f}× the simple app's {ms(base)}"


def run_clients(port: int, clients: int, n: int) -> tuple[float, list[float]]:
    """`clients` kiosks taking `n` tickets each at once: (elapsed, latencies)."""
    kiosks = [Client(port) for _ in range(clients)]
    for kiosk in kiosks:
        kiosk.post("/take/A")  # connected before the clock starts
    try:
        return at_once([lambda j, k=k: k.post(f"/take/{'AB'[j % 2]}") for k in kiosks], n)
    finally:
        for kiosk in kiosks:
            kiosk.close()


@cache
def measure(tickets: int = 400, visits: int = 400) -> Baseline:
    """The baseline's figures, once per process."""
    work = Path(tempfile.mkdtemp(prefix="onetrip-bench-simple-"))
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.simple_hall", "serve", str(port), str(work / "hall.db")])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        cpu = psutil.Process(server.pid)
        kiosk = Client(port)
        kiosk.post("/take/A")
        used = sum(cpu.cpu_times()[:2])
        one = []
        for i in range(tickets):
            started = time.perf_counter()
            kiosk.post(f"/take/{'AB'[i % 2]}")
            one.append(time.perf_counter() - started)
        per_ticket = (sum(cpu.cpu_times()[:2]) - used) / tickets
        elapsed, many = run_clients(port, 8, tickets // 4)
        consoles = {w: Client(port) for w in WINDOWS}
        for w in WINDOWS:  # the queue empties before the visits start
            while consoles[w].post(f"/window/{w}/call")["number"] is not None:
                consoles[w].post(f"/window/{w}/start")
                consoles[w].post(f"/window/{w}/finish")
        used, started = sum(cpu.cpu_times()[:2]), time.perf_counter()
        for i in range(visits):
            w = str(1 + i % 4)
            kiosk.post(f"/take/{'AB'[i % 2]}")
            consoles[w].post(f"/window/{w}/call")
            consoles[w].post(f"/window/{w}/start")
            consoles[w].post(f"/window/{w}/finish")
        visit_s = time.perf_counter() - started
        per_visit = (sum(cpu.cpu_times()[:2]) - used) / visits
        for c in (kiosk, *consoles.values()):
            c.close()
    finally:
        server.terminate()
        server.wait(10)
    return Baseline(pct(one, 50), pct(one, 99), len(many) / elapsed, pct(many, 99), visits / visit_s,
                    per_ticket, per_visit)


def run() -> list[str]:
    return measure().lines()


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve(int(sys.argv[2]), sys.argv[3])
    else:
        print("\n".join(run()))
