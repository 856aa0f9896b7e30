"""What the center applied against what the load caused: lost, duplicated, refused.

The center's SQLite database is read read-only after (or during) a drill. Events carry
daemon-made ids the load never sees, so each kind is counted by its effect since a `Mark`
taken while the hall was quiet: tickets by id (the citizen was told the id), caller keys by
the applied events of their operations, ratings by rows per channel. A duplicate that the
center refused (a second rating of one service) shows in the center log as "event refused",
which is counted too. `StatusWatch` times terminals' return after an outage from their
retained `term/+/status` messages, as any subscriber sees them.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho

from hallrig.hall import Hall
from hallrig.load import Ledger, sim_command
from mqtt.contract import Topics

KEY_OPS = ("call_next", "recall", "prompt_rating")  # what the load's caller keys apply as
REFUSED = re.compile(r"WARNING mqtt\.center: event refused .*?kind=(\S+)")


def _db(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def center_db(hall: Hall) -> Path:
    return hall.work / "center" / "center.sqlite"


def outbox_depth(hall: Hall, terminal: str) -> int:
    path = hall.work / terminal / "outbox.sqlite"
    if not path.exists():
        return 0
    with closing(_db(path)) as db:
        return db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]


@dataclass(frozen=True)
class Mark:
    """The center's counters at a quiet moment; an audit counts what came after."""

    last_ticket: int
    applied: Counter[str]
    ratings: Counter[str]
    log_offset: int


def mark(hall: Hall) -> Mark:
    with closing(_db(center_db(hall))) as db:
        last_ticket = db.execute("SELECT COALESCE(MAX(id), 0) FROM tickets").fetchone()[0]
        applied = Counter(dict(db.execute("SELECT op, COUNT(*) FROM applied_events GROUP BY op").fetchall()))
        ratings = Counter(dict(db.execute("SELECT channel, COUNT(*) FROM ratings GROUP BY channel").fetchall()))
    log = hall.logs / "center.log"
    return Mark(last_ticket, applied, ratings, log.stat().st_size if log.exists() else 0)


@dataclass
class Row:
    kind: str
    sent: int
    received: int
    note: str = ""

    @property
    def lost(self) -> int:
        return max(0, self.sent - self.received)

    @property
    def duplicated(self) -> int:
        return max(0, self.received - self.sent)


@dataclass
class Audit:
    rows: list[Row]
    ghosts: int           # tickets issued at the load's kiosks that no citizen was told of (not cancelled, not 未出票)
    refused: Counter[str] = field(default_factory=Counter)

    @property
    def lost(self) -> int:
        return sum(r.lost for r in self.rows)

    @property
    def duplicated(self) -> int:
        return sum(r.duplicated for r in self.rows) + sum(self.refused.values())

    def table(self) -> str:
        lines = [f"  {'events':<16}{'sent':>7}{'received':>10}{'lost':>6}{'duplicated':>12}"]
        lines += [f"  {r.kind:<16}{r.sent:>7}{r.received:>10}{r.lost:>6}{r.duplicated:>12}"
                  f"{'  ' + r.note if r.note else ''}" for r in self.rows]
        lines.append(f"  refused by the center (a second delivery it caught, or a load error): "
                     f"{dict(self.refused) or 'none'}; tickets issued that no citizen was told of: {self.ghosts}")
        return "\n".join(lines)


def audit(hall: Hall, ledger: Ledger, since: Mark) -> Audit:
    """Compare the ledger with the center's tables; run it after `settle()`."""
    now = mark(hall)
    with closing(_db(center_db(hall))) as db:
        kiosks = [t for t, term in hall.terminals.items() if term.printer_port is not None]
        marks = ",".join("?" * len(kiosks))
        issued = dict(db.execute(f"SELECT id, state FROM tickets WHERE id > ? AND terminal IN ({marks})",
                                 (since.last_ticket, *kiosks)).fetchall())
    with ledger.lock:
        told = dict(ledger.tickets)
        presses, kiosk_ratings, told_twice = Counter(ledger.presses), ledger.kiosk_ratings, ledger.told_twice
    refused = refusals(hall, since.log_offset)
    applied = now.applied - since.applied
    ratings = now.ratings - since.ratings
    found = sum(1 for t in told if t in issued)
    rows = [
        Row("ticket (told)", len(told), found + told_twice, note=f"{told_twice} told twice" if told_twice else ""),
        Row("ticket_printed", len(told), applied["ticket_printed"]),
        Row("caller_key", presses["call"] + presses["recall"] + presses["evaluate"],
            sum(applied[op] for op in KEY_OPS)),
        Row("rating (pad)", presses["rate"], ratings["pad"]),
        Row("rating (kiosk)", kiosk_ratings, ratings["kiosk"]),
    ]
    ghosts = sum(1 for t, state in issued.items() if t not in told and state not in ("cancelled", "unprinted"))
    return Audit(rows, ghosts, refused)


def refusals(hall: Hall, offset: int) -> Counter[str]:
    """Events the center refused since `offset` of its log, by kind."""
    log = hall.logs / "center.log"
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", errors="replace")
    return Counter(m.group(1) for m in REFUSED.finditer(text))


def settle(hall: Hall, timeout: float = 60.0) -> bool:
    """Wait until every outbox is empty and no press waits on a pad: the hall is quiet."""
    bus = next(t for t in hall.terminals.values() if t.printer_port is None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        quiet = all(outbox_depth(hall, name) == 0 for name in hall.terminals)
        if quiet and "queued=" not in sim_command(bus.control, "bus status"):
            time.sleep(0.5)  # the last acked events' effects are committed before their ack
            return True
        time.sleep(0.2)
    return False


class StatusWatch:
    """A bare subscriber to `term/+/status`: when each terminal said `online`, and with which session."""

    def __init__(self, hall: Hall, hall_name: str = "demo") -> None:
        self.topics = Topics(hall_name)
        self.seen: list[tuple[float, str, str, int]] = []  # (monotonic, terminal, state, session)
        self._lock = threading.Lock()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"status-watch-{time.monotonic_ns()}",
                                  protocol=paho.MQTTv5)
        self.client.on_connect = lambda c, *_: c.subscribe(self.topics.all_terminals("status"), qos=1)
        self.client.on_message = self._message
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]  # paho takes float seconds
        self.client.connect_async("127.0.0.1", hall.broker_port)
        self.client.loop_start()

    def _message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        import json

        if not msg.payload:
            return
        data = json.loads(msg.payload)
        with self._lock:
            self.seen.append((time.monotonic(), self.topics.parse(msg.topic).terminal, data["state"], data["session"]))

    def sessions(self) -> dict[str, int]:
        """Each terminal's latest session counter seen."""
        with self._lock:
            return {name: session for _, name, _, session in self.seen}

    def online_after(self, since: float, before: dict[str, int]) -> dict[str, float | None]:
        """Seconds from `since` (monotonic) to each terminal's first `online` in a session newer
        than `before[terminal]` (a retained message the broker kept from before is not a return)."""
        with self._lock:
            seen = list(self.seen)
        return {t: next((max(0.0, at - since) for at, name, state, session in seen
                         if name == t and state == "online" and session > old), None)
                for t, old in before.items()}

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
