"""Housekeeping: what depends on time passing rather than on a request — the day close when it
is due, tickets never printed, retention, overdue promises, unanswered 帮办, the engine's own
alerts and the terminals' — run every `housekeeping_period` seconds by one thread."""
from __future__ import annotations

import logging
import threading
from typing import Callable, Iterable

from center import audit
from center.availability import Availability
from center.db import Database
from center.floor import Floor
from center.hub import Hub
from center.plain import plain
from center.publishing import HallPublishing
from center.queue import QueueEngine
from center.queue_types import DayClose
from center.staff import StaffDirectory
from core.clock import Clock
from mqtt.center import TerminalView

log = logging.getLogger("center")


class Housekeeping:
    """The center's clock-driven round; each step also callable on its own (tests, benches)."""

    def __init__(self, engine: QueueEngine, db: Database, hub: Hub, clock: Clock, staff: StaffDirectory,
                 floor: Floor, availability: Availability, publishing: HallPublishing,
                 terminals: Callable[[], Iterable[TerminalView]], period: float, audit_keep_days: int) -> None:
        self.engine = engine
        self.db = db
        self.hub = hub
        self.clock = clock
        self.staff = staff
        self.floor = floor
        self.availability = availability
        self.publishing = publishing
        self.terminals = terminals
        self.period = period
        self.audit_keep_days = audit_keep_days
        self._retained_at = float("-inf")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._housekeeping, name="center_housekeeping", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3)

    def _housekeeping(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.run()
            except Exception:
                log.exception("housekeeping failed")

    def run(self) -> None:
        """The day close when it is due, alerts that depend on time passing, retention, and the
        queue summary for every screen."""
        self.close_day()
        self.close_unprinted()
        self.retention()
        self.floor.promise_alerts()
        self.floor.help_escalations()
        for alert in self.engine.check_alerts():
            self.hub.publish("alert", plain(alert))
        self.availability.check_terminals(list(self.terminals()))
        self.publishing.queue_changed()

    def close_unprinted(self) -> None:
        """Tickets whose kiosk never confirmed the print are closed 未出票, and the control room told."""
        for ticket in self.engine.close_unprinted():
            log.warning("ticket never printed: closed 未出票",
                        extra={"number": ticket.number, "terminal": ticket.terminal})
            self.hub.publish("unprinted", plain(ticket))

    def retention(self) -> None:
        """At most once an hour (hall time): services left unrated are counted by the province's
        rule (`[queue] unrated_counts_as`), audit rows past `[staff] audit_keep_days` (at least
        180) are purged from the oldest end, and sign-in sessions idle past their timeout end."""
        now = self.clock.time()
        if now - self._retained_at < 3600:
            return
        self._retained_at = now
        counted = self.engine.rate_unrated()  # the province's rule for services left unrated, if it has one
        purged = audit.purge(self.db, now - self.audit_keep_days * 86400)
        ended = self.staff.end_idle_sessions()
        if purged or ended or counted:
            log.info("retention", extra={"audit_rows_purged": purged, "sessions_ended": ended,
                                         "unrated_counted": len(counted)})

    def close_day(self) -> DayClose:
        """日终清场 when due (engine.close_day); when it changed anything, every screen is told."""
        closed = self.engine.close_day()
        if closed.tickets or closed.windows:
            log.info("day closed", extra={"day": closed.day, "tickets": len(closed.tickets),
                                          "windows": len(closed.windows)})
            self.hub.publish("day_close", {"day": closed.day, "windows": list(closed.windows),
                                           "tickets": [{"id": t.id, "number": t.number, "day": t.day,
                                                        "window": t.window} for t in closed.tickets]})
            self.hub.publish("windows", plain(self.engine.window_states()))
            self.publishing.publish_queue()
        return closed
