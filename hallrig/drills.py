"""Fault drills on a running `Hall`: each fault under the steady load, then the audit.

Shared by tests/test_faults.py (short faults, asserted) and bench/chaos.py (full length,
printed). A drill waits for a quiet hall, marks the center's counters, runs the load, does
its fault, runs the load on, stops it, waits for every outbox and pad to empty and audits
(hallrig.audit). Recovery times are measured the way the hall would notice them: retained
`term/+/status` for terminals after the broker's return, the local API's `center_reachable`
for kiosks after the center's, the socket answering and the outbox empty for a daemon,
the device state for a printer.
"""
from __future__ import annotations

import re
import sqlite3
import time
import tomllib
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from hallrig import audit
from hallrig.apiclient import ApiClient
from hallrig.hall import BUS_WINDOWS, Hall, Terminal
from hallrig.load import Load, LoadSettings, sim_command
from hallrig.rig import write_toml
from hallrig.staff_accounts import clerk_client, staff_client

Recovery = dict[str, float | None]


@dataclass
class DrillResult:
    name: str
    audit: audit.Audit
    recovery: Recovery
    load: dict[str, object]
    settled: bool
    figures: dict[str, object] = field(default_factory=dict)

    def report(self) -> str:
        times = ", ".join(f"{k} {'never' if v is None else f'{v:.1f} s'}" for k, v in self.recovery.items())
        lines = [f"{self.name}", self.audit.table(), f"  recovery: {times or '-'}"]
        if self.figures:
            lines.append("  " + ", ".join(f"{k}: {v}" for k, v in self.figures.items()))
        lines.append(f"  load: {self.load['tickets']} tickets, refusals {self.load['refusals'] or 'none'}, "
                     f"web visits {self.load['web_visits']}")
        return "\n".join(lines)


Part = TypeVar("Part")


def running(part: Part | None, what: str) -> Part:
    """A part of the hall a drill acts on: it must have been started."""
    if part is None:
        raise RuntimeError(f"{what} is not running")
    return part


def until(check: Callable[[], object], timeout: float, step: float = 0.1) -> float | None:
    """Seconds until `check()` held, or None if it did not within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except (OSError, TimeoutError, KeyError, ValueError):
            pass
        time.sleep(step)
    return None


def hello(t: Terminal) -> dict[str, Any]:
    client = ApiClient(t.socket, timeout=0.5)
    try:
        return client.call("hello")["result"]
    finally:
        client.close()


def reaches_center(t: Terminal) -> bool:
    return bool(hello(t)["center_reachable"])


def drill(hall: Hall, name: str, fault: Callable[[Hall, Load], Recovery], *, before: float = 4.0,
          after: float = 8.0, settings: LoadSettings | None = None,
          figures: Callable[[Load], dict[str, object]] | None = None) -> DrillResult:
    if not audit.settle(hall):
        raise RuntimeError(f"{name}: the hall did not quiet down before the drill")
    mark = audit.mark(hall)
    load = Load(hall, settings)
    load.start()
    try:
        load.run_for(before)
        recovery = fault(hall, load)
        load.run_for(after)
    finally:
        load.stop()
    settled = audit.settle(hall, timeout=90)
    return DrillResult(name, audit.audit(hall, load.ledger, mark), recovery, load.summary(), settled,
                       figures(load) if figures else {})


# ---- the faults ----------------------------------------------------------------------------------
def broker_outage(down: float) -> Callable[[Hall, Load], Recovery]:
    """SIGKILL the broker, keep it down, start it again (same port, its persistence)."""
    def fault(hall: Hall, load: Load) -> Recovery:
        watch = audit.StatusWatch(hall)
        try:
            until(lambda: set(watch.sessions()) >= set(hall.terminals), 10)
            before = watch.sessions()
            running(hall.broker, "the broker").stop(kill=True)
            load.run_for(down)
            running(hall.broker, "the broker").start()
            back = time.monotonic()
            until(lambda: all(v is not None for v in watch.online_after(back, before).values()), 30)
            return {f"{t} online": v for t, v in watch.online_after(back, before).items()}
        finally:
            watch.close()
    return fault


def center_kill(down: float) -> Callable[[Hall, Load], Recovery]:
    """SIGKILL the center, start it again after `down`; kiosks must find it by themselves."""
    def fault(hall: Hall, load: Load) -> Recovery:
        old = running(hall.center, "the center")
        old.kill()
        old.log.close()
        load.run_for(down)
        hall.restart_center()
        restarted = time.monotonic()
        found: Recovery = {}
        for t in (t for t in hall.terminals.values() if t.printer_port is not None):  # timed from the restart
            reached = until(partial(reaches_center, t), 60) is not None
            found[f"{t.name} reaches the center"] = time.monotonic() - restarted if reached else None
        return found
    return fault


def daemon_kill(terminal: str, down: float) -> Callable[[Hall, Load], Recovery]:
    """SIGKILL a terminal's daemon with events in flight; restart it as systemd would."""
    def fault(hall: Hall, load: Load) -> Recovery:
        t = hall.terminals[terminal]
        daemon = running(t.daemon, f"{t.name}'s daemon")
        daemon.kill()
        daemon.log.close()
        killed = time.monotonic()
        depth = audit.outbox_depth(hall, terminal)
        load.run_for(down)
        t.daemon = hall.start_daemon(t)
        answered = until(lambda: bool(hello(t)), 30)
        drained = until(lambda: audit.outbox_depth(hall, terminal) == 0 and hello(t)["center_reachable"], 60)
        since_kill = time.monotonic() - killed
        return {"local API answers": answered, "outbox drained": drained,
                "(outbox rows at the kill)": float(depth), "(seconds since the kill)": since_kill}
    return fault


def printer_unplug(terminal: str, down: float) -> Callable[[Hall, Load], Recovery]:
    """Pull the printer's cable (the simulator closes its port) and put it back."""
    def fault(hall: Hall, load: Load) -> Recovery:
        t = hall.terminals[terminal]

        def printer() -> str:
            return hello(t)["devices"]["printer"]["state"]

        sim_command(t.control, "unplug printer")
        offline = until(lambda: printer() == "offline", 30)
        load.run_for(down)
        sim_command(t.control, "plug printer")
        online = until(lambda: printer() == "online", 30)
        return {"offline reported": offline, "online again": online}
    return fault


def printed_tickets(t: Terminal) -> int:
    """Tickets the simulated printer has cut since it started."""
    answer = sim_command(t.control, "printer tickets")
    if (counted := re.match(r"(\d+) tickets", answer)) is None:
        raise RuntimeError(f"the printer simulator answered {answer!r}")
    return int(counted.group(1))


def told_at(hall: Hall, load: Load, terminal: str, since: int) -> tuple[int, int]:
    """(tickets told, tickets cancelled) at one kiosk among tickets issued after id `since`."""
    with closing(sqlite3.connect(f"file:{audit.center_db(hall)}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT id, state FROM tickets WHERE id > ? AND terminal = ?", (since, terminal)).fetchall()
    with load.ledger.lock:
        told = sum(1 for ticket_id, _ in rows if ticket_id in load.ledger.tickets)
    return told, sum(1 for _, state in rows if state == "cancelled")


# ---- the outbox at its bound ---------------------------------------------------------------------
def with_outbox_bound(hall: Hall, terminal: str, rows: int | None) -> None:
    """Restart a daemon with `outbox_max_rows = rows` (None: as configured by the hall)."""
    t = hall.terminals[terminal]
    original = t.config.with_name(f"{terminal}.toml")
    config = original
    if rows is not None:
        data = tomllib.loads(original.read_text(encoding="utf-8"))
        config = write_toml(original.with_name(f"{terminal}-bound.toml"), {**data, "outbox_max_rows": rows})
    running(t.daemon, f"{t.name}'s daemon").stop()
    t.config = config
    t.daemon = hall.start_daemon(t)
    t.config = original
    until(partial(reaches_center, t), 30)


def outbox_full(hall: Hall, bound: int = 2) -> DrillResult:
    """Ratings on four pads while the center is away and the bus daemon's outbox holds `bound`.

    What the hall must do: the ratings beyond the bound stay on their pads, unacknowledged,
    and are delivered once there is room (none lost); a caller key at the full outbox is
    refused with an error line (a keypad forgets a key once polled); the daemon's telemetry
    says `outbox_full` and, once it has room, an `outbox_overflow` event makes the center
    raise an OUTBOX_BACKLOG alert that stays until staff deal with it.
    """
    bus = next(t for t in hall.terminals.values() if t.printer_port is None)
    kiosk = next(t for t in hall.terminals.values() if t.printer_port is not None)
    assert audit.settle(hall)
    web = staff_client(hall.web, "m001")  # the hall manager watches the control room
    for window in BUS_WINDOWS:
        if web.get(f"/api/windows/{window}").json()["window"]["state"] == "closed":
            with closing(clerk_client(hall.web, window)) as clerk:
                clerk.post(f"/api/windows/{window}/sign_in").raise_for_status()
    setup = Load(hall)
    client = ApiClient(kiosk.socket)
    for category in ("A", "A", "C", "D"):  # one waiting ticket for each bus window
        assert client.call("take_number", category=category, use_card=False)["ok"]
    client.close()
    for address in BUS_WINDOWS.values():  # a finished, unrated service at every window
        setup.press(address, "call", "call")
        setup.press(address, "evaluate", "evaluate")
    assert audit.settle(hall)
    with_outbox_bound(hall, bus.name, bound)
    log_offset = (hall.logs / f"daemon-{bus.name}.log").stat().st_size
    load = Load(hall)
    try:
        assert audit.settle(hall)
        mark = audit.mark(hall)
        running(hall.center, "the center").stop()
        for address in BUS_WINDOWS.values():
            load.press(address, "rate 5", "rate")
        held = until(lambda: audit.outbox_depth(hall, bus.name) == bound
                     and sim_command(bus.control, "bus status").count("queued=") == len(BUS_WINDOWS) - bound, 15)
        load.press(BUS_WINDOWS[1], "recall", "recall")  # a caller key at the full outbox
        refused_key = until(lambda: "the key press is lost" in _log_since(hall, bus.name, log_offset), 10)
        time.sleep(2.0)  # the held ratings are offered again at every poll meanwhile
        pads_holding = sim_command(bus.control, "bus status").count("queued=")
        hall.restart_center()
        drained = until(lambda: audit.outbox_depth(hall, bus.name) == 0
                        and "queued=" not in sim_command(bus.control, "bus status"), 60)
        assert audit.settle(hall)
        alerted = until(lambda: any(a["kind"] == "outbox_backlog" and a["key"] == f"{bus.name}:refused"
                                    for a in web.get("/api/control").json()["alerts"]), 30)
        result = audit.audit(hall, load.ledger, mark)
        errors = [line for line in _log_since(hall, bus.name, log_offset).splitlines() if " ERROR " in line]
    finally:
        with_outbox_bound(hall, bus.name, None)
        web.close()
    # the recall was refused on purpose: count it as refused loudly, not as sent
    key_row = next(r for r in result.rows if r.kind == "caller_key")
    key_row.sent -= 1
    key_row.note = "1 more refused at the full outbox, with an error line"
    return DrillResult(f"outbox at its bound ({bound} rows)", result,
                       {"ratings held on the pads": held, "key refusal logged": refused_key,
                        "drained after the center's return": drained, "alert raised": alerted},
                       load.summary(), True,
                       {"pads holding a rating during the spell": pads_holding, "error lines": len(errors),
                        "first error": errors[0].split(" ", 1)[1][:140] if errors else "-"})


def _log_since(hall: Hall, terminal: str, offset: int) -> str:
    with open(hall.logs / f"daemon-{terminal}.log", "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", errors="replace")


def figures_for_printer(hall: Hall, terminal: str) -> Callable[[Load], dict[str, object]]:
    """Call before a printer drill; the returned function gives printed vs told afterwards."""
    t = hall.terminals[terminal]
    printed_before = printed_tickets(t)
    since = audit.mark(hall).last_ticket

    def figures(load: Load) -> dict[str, object]:
        told, cancelled = told_at(hall, load, terminal, since)
        return {"printed": printed_tickets(t) - printed_before, "told": told, "cancelled after print failure": cancelled}
    return figures

