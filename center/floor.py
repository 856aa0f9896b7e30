"""The hall floor's own cases: 帮办 (a helper asked for at a kiosk, assigned, arriving, closed;
escalated when nobody acknowledges it) and 容缺 promises (what a case owes, 补交, overdue)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from center import help_desk, i18n, promises
from center.alerts import AlertKind
from center.config import FloorSettings
from center.db import Database
from center.hub import Hub
from center.plain import plain
from center.queue import QueueEngine
from center.staff import StaffDirectory
from core.calendar import HallCalendar
from core.clock import Clock

Alert = Callable[[bool, AlertKind, str, str], None]
Command = Callable[..., Any]


class Floor:
    """The cases staff on the floor follow up, apart from the queue's tickets."""

    def __init__(self, engine: QueueEngine, db: Database, hub: Hub, clock: Clock, calendar: HallCalendar,
                 staff: StaffDirectory, settings: FloorSettings, alert: Alert, send_command: Command) -> None:
        self.engine = engine
        self.db = db
        self.hub = hub
        self.clock = clock
        self.calendar = calendar
        self.staff = staff
        self.settings = settings
        self.alert = alert
        self.send_command = send_command

    def help_step(self, case_id: int, action: str, by: str, *, helper: str | None = None,
                  outcome: str | None = None) -> help_desk.HelpCase:
        """assign a named helper (the kiosk is told at once who is coming), arrive, close."""
        if action not in help_desk.STEPS:
            raise ValueError(f"no help action {action!r}")
        name = None
        if action == "assign":
            if not helper:
                raise ValueError("helper is required")
            name = self.staff.get(helper).name  # UnknownStaff: not one of the hall's staff
        case = help_desk.step(self.db, case_id, action, self.clock.time(), by, helper=helper, helper_name=name,
                              outcome=outcome)
        if action == "assign":
            self.engine.ack_alert(AlertKind.HELP, f"help:{case.id}", by)
            self.send_command(case.terminal, "help_coming", {"case_id": case.id, "helper_name": name}, ttl=60)
        cleared = {"assign": (AlertKind.HELP_ESCALATED,), "close": (AlertKind.HELP, AlertKind.HELP_ESCALATED)}
        for kind in cleared.get(action, ()):
            self.alert(False, kind, f"help:{case.id}", "")
        self.hub.publish("help", plain(case))
        return case

    def help_escalations(self) -> None:
        """帮办 asked and not acknowledged within `[floor] help_escalate_min` (hall clock): an alert."""
        now = self.clock.time()
        for case in help_desk.escalate(self.db, now - self.settings.help_escalate_min * 60, now):
            self.alert(True, AlertKind.HELP_ESCALATED, f"help:{case.id}", i18n.text(
                "alert.help_escalated", place=case.location, topic=case.topic,
                minutes=f"{(now - case.asked_at) / 60:.0f}"))
            self.hub.publish("help", plain(case))

    def promise(self, case_no: str, materials: Sequence[str], window: str) -> list[promises.Promise]:
        """Record what a case owes, due `[floor] promise_working_days` business days from today."""
        today = self.engine.local().date()
        due = self.calendar.add_working_days(today, self.settings.promise_working_days)
        staff = next((w.staff for w in self.engine.window_states() if w.code == window), None)
        made = promises.record(self.db, case_no, materials, due, self.clock.time(), window, staff)
        self.hub.publish("promises", {"case_no": case_no, "promises": plain(made)})
        return made

    def fulfil_promise(self, promise_id: int, by: str) -> promises.Promise:
        """补交: the material is handed in; its overdue alert, if any, clears."""
        kept = promises.fulfil(self.db, promise_id, by, self.clock.time())
        if self.engine.clear_alert(AlertKind.PROMISE_OVERDUE, str(promise_id)):
            self.hub.publish("alert_cleared", {"kind": AlertKind.PROMISE_OVERDUE.value, "key": str(promise_id)})
        self.hub.publish("promises", {"case_no": kept.case_no, "promises": [plain(kept)]})
        return kept

    def promise_alerts(self) -> None:
        """Every owed promise past its day is an alert (raised once, refreshed while it lasts)."""
        for p in promises.overdue(self.db, self.engine.local().date()):
            self.alert(True, AlertKind.PROMISE_OVERDUE, str(p.id),
                        i18n.text("alert.promise_overdue", case_no=p.case_no, material=p.material, due=p.due))

