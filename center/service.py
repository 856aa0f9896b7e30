"""The hall control center: the queue engine joined to the hall link and the screens.

Every window operation — from the counter console or a caller keypad — goes through
`WindowDesk`, which runs it in the engine and, when it is a call, announces it at once on
every channel (hall/calls, the window's LED, the hall display, the voice): a call that
does not reach the screens is a bug (hall.md §3).
"""
from __future__ import annotations

import dataclasses
import enum
import logging
import threading
from datetime import date, timedelta
from typing import Any, Callable, Sequence

from center import alerts, audit, help_desk, i18n, no_shows, promises
from center import cases as case_flow
from center.alerts import AlertKind
from center.appointments import Timing
from center.config import CenterConfig
from center.db import open_database
from center.hub import Hub
from center.near_turn import NearTurn
from center.queue import QueueEngine
from center.queue_errors import NotTheirsToRate, QueueError, UnknownItem, UnknownWindow
from center.queue_types import Appointment, Call, Case, CategoryRules, DayClose, TicketView
from center.staff import StaffDirectory
from center.tokens import PhoneLinks, Signer, TokenRefused, load_key
from center.catalog_load import load_catalog
from core.calendar import load_calendar
from core.catalog import Catalog, paper_materials
from core.clock import Clock
from core.errors import OneTripError
from mqtt.center import CenterLink, TerminalView
from mqtt import payloads
from mqtt.contract import ErrorInfo, Event
from mqtt.payloads import parse

log = logging.getLogger("center")


def plain(value: Any) -> Any:
    """Engine results (dataclasses, enums) as JSON-ready data for MQTT and the web."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # private fields stay inside
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.metadata.get("private")}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def category_rules(catalog: Catalog) -> list[CategoryRules]:
    return [CategoryRules(code=c.letter, letter=c.letter, daily_cap=c.daily_cap, wait_target_min=c.wait_target_min,
                          hours={wd: c.hours.periods(wd) for wd in range(7)}) for c in catalog.categories]


def check_in_note(timing: str | None, slot: str) -> str:
    """What the citizen reads after a check-in: an early one is called from its slot's start."""
    if timing == Timing.EARLY.value:
        return f"您的预约时段 {slot}，时段开始后优先叫号"
    return "已签到，请等候叫号"


class UnknownEventKind(OneTripError):
    """A terminal sent an event kind the center does not know."""


class CenterService:
    def __init__(self, config: CenterConfig, *, clock: Clock | None = None, link: CenterLink | None = None) -> None:
        self.config = config
        i18n.use(config.web.language)  # the language of what the center words for its screens
        self.clock = clock = clock or config.clock.clock()
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.calendar = load_calendar(config.calendar)
        for year in self.calendar.provisional_years:
            log.warning("provisional hall calendar: replace it with the State Council's notice (docs/calendar.md)",
                        extra={"year": year})
        self.catalog = load_catalog(config.catalog, self.calendar)
        self.db = open_database(config.database)
        self.engine = QueueEngine(self.db, clock, category_rules(self.catalog), config.queue, self.calendar)
        for code, window in config.windows.items():
            self.engine.configure_window(code, window.categories, window.name, window.department)
        self.hub = Hub()
        self.staff = StaffDirectory(self.db, clock, config.staff)  # accounts and sessions of the web
        self._retained_at = float("-inf")
        phone = config.citizen_web
        key = load_key(phone.key_file or config.state_dir / "citizen-web.key")
        self.phone = PhoneLinks(phone.base_url, Signer(key), self.engine.close_moment)
        self.link = link or CenterLink(config.mqtt, self, clock=clock)
        self.announcers: list[Callable[[Call], None]] = []  # the voice queue joins here
        self.near_turn = NearTurn(self)
        self.desk = WindowDesk(self)
        self._stop = threading.Event()
        self._queue_dirty = threading.Event()
        self._threads: list[threading.Thread] = []
        for op, answer in payloads.RESULTS.items():
            self.link.on_request(op, getattr(self, f"req_{op}"), answer)
        self.link.listeners.append(self._terminal_changed)
        self.link.add_connect_hook(self.publish_catalog)

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self.link.start()
        self.close_day()  # a center that was down over midnight closes the days it missed first
        self.near_turn.start()
        for target in (self._housekeeping, self._queue_publisher):
            thread = threading.Thread(target=target, name=f"center{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._queue_dirty.set()
        self.link.stop()
        self.near_turn.stop()
        for thread in self._threads:
            thread.join(3)
        self.db.dispose()

    def queue_changed(self) -> None:
        """The queue moved: its summary goes out shortly, off the request's path (coalesced)."""
        self._queue_dirty.set()

    def _queue_publisher(self) -> None:
        while not self._stop.is_set():
            self._queue_dirty.wait()
            if self._stop.is_set():
                return
            self._queue_dirty.clear()
            try:
                self.publish_queue()
            except Exception:
                log.exception("queue summary failed")
            self._stop.wait(0.2)  # at most five summaries a second, however busy the hall

    def _housekeeping(self) -> None:
        while not self._stop.wait(self.config.housekeeping_period):
            try:
                self.housekeeping()
            except Exception:
                log.exception("housekeeping failed")

    def housekeeping(self) -> None:
        """The day close when it is due, alerts that depend on time passing, retention, and the
        queue summary for every screen."""
        self.close_day()
        self.close_unprinted()
        self.retention()
        self.promise_alerts()
        self.help_escalations()
        for alert in self.engine.check_alerts():
            self.hub.publish("alert", plain(alert))
        for view in list(self.link.terminals.values()):
            system = view.telemetry["system"].values if "system" in view.telemetry else {}
            depth, full = system.get("outbox_depth", 0), bool(system.get("outbox_full"))
            self._alert(full or bool(depth and depth >= self.config.outbox_backlog_alert), AlertKind.OUTBOX_BACKLOG,
                        view.terminal, i18n.text("alert.outbox_full" if full else "alert.outbox_backlog",
                                                 terminal=view.terminal, depth=depth))
            self._clock_alert(view.terminal, system)
        self.queue_changed()

    def close_unprinted(self) -> None:
        """Tickets whose kiosk never confirmed the print are closed 未出票, and the control room told."""
        for ticket in self.engine.close_unprinted():
            log.warning("ticket never printed: closed 未出票", extra={"number": ticket.number, "terminal": ticket.terminal})
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
        purged = audit.purge(self.db, now - self.config.staff.audit_keep_days * 86400)
        ended = self.staff.end_idle_sessions()
        if purged or ended or counted:
            log.info("retention", extra={"audit_rows_purged": purged, "sessions_ended": ended,
                                         "unrated_counted": len(counted)})

    def _clock_alert(self, terminal: str, system: dict[str, Any]) -> None:
        """A terminal's wall clock off hall time: it keeps working (it shows and stamps hall time),
        but its machine needs its clock set, so maintenance is told which one and by how much."""
        offset = system.get("clock_offset_ms")
        if not system.get("clock_synced") or not isinstance(offset, (int, float)):
            return
        limit = self.config.clock_offset_alert_ms
        self._alert(abs(offset) > limit, AlertKind.CLOCK_OFFSET, terminal,
                    i18n.text("alert.clock_offset", terminal=terminal, offset=f"{offset / 1000:+.1f}",
                              limit=f"{limit / 1000:g}"))

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
            self.publish_queue()
        return closed

    # ---- hall channels -----------------------------------------------------------------------
    def publish_catalog(self) -> None:
        self.link.publish_hall("catalog", self.catalog.to_snapshot(), retain=True)

    def queue_summary(self) -> list[dict[str, Any]]:
        names = {c.letter: c.name for c in self.catalog.categories}
        return [{**plain(s), "name": names.get(s.category, s.category)} for s in self.engine.queue_summary()]

    def publish_queue(self) -> None:
        summary = {"categories": self.queue_summary(), "windows": plain(self.engine.window_states())}
        self.link.publish_hall("queue", summary, retain=True, qos=0)
        self.hub.publish("queue", summary)
        self.near_turn.changed()

    def announce(self, call: Call) -> None:
        data = plain(call)
        self.link.publish_hall("calls", data)
        self.hub.publish("call", data)
        self.near_turn.changed(data)
        window = self.config.windows.get(call.window)
        if window and window.bus and call.window.isdigit():
            waiting = self.engine.estimate(call.category).ahead  # the category's waiting count, not the whole summary
            self.link.send_command(window.bus, "display", {"window": int(call.window), "number": call.number,
                                                           "waiting": waiting}, ttl=30)
        for announcer in self.announcers:
            try:
                announcer(call)
            except Exception:
                log.exception("announcer failed")

    # ---- requests from kiosks -------------------------------------------------------------------
    def _ticket_answer(self, ticket: Any, answers: dict[str, str] | None = None,
                       view: TicketView | None = None) -> dict[str, Any]:
        view = view or self.engine.ticket_view(ticket.id)
        category = self.catalog.category(ticket.category)
        item = self._item(ticket.item_code)
        est = view.estimate
        return {"ticket_id": str(ticket.id), "ticket_ref": ticket.ref, "number": ticket.number,
                "category": ticket.category,
                "category_name": category.name, "service": item.name if item else category.name,
                "ahead": view.ahead, "last_called": view.last_called,
                "wait_min": est.low_min, "wait_max": est.high_min,  # None: no open window serves it yet
                "window_area": self.window_area(ticket.category, ticket.item_code), "priority": ticket.priority,
                "priority_name": self.config.queue.priority_groups.get(ticket.priority or "", ""),
                "materials": self._materials(ticket.item_code, answers or {}) if item else [],
                "no_show_rule": self.no_show_rule,  # printed and shown as the hall configured it
                "qr": self.phone.ticket(ticket.ref, ticket.day)}  # the citizen's phone page (docs/phone.md)

    def ticket_of_token(self, token: str) -> Any:
        """The ticket whose printed QR code carried `token` (signed by this hall, not expired)."""
        try:
            claim = self.phone.signer.verify(token, self.clock.time(), "t")
        except TokenRefused as exc:
            raise NotTheirsToRate("(QR)") from exc
        return self.engine.ticket_by_ref(claim.subject)

    @property
    def no_show_rule(self) -> str:
        """The hall's 过号 rule in words: the one text the ticket, the kiosk and the phone show."""
        return no_shows.rule_text(self.engine.settings)

    def booking_page(self, appointment: Appointment) -> str:
        """The booking's phone page (see, cancel, move), valid until its day's close."""
        return self.phone.booking(appointment.code, self.engine.local(appointment.slot_start).date().isoformat())

    def service_name(self, category: str, item_code: str | None) -> str:
        """A ticket's item (事项) or life event (一件事) by name, else its category's."""
        item = self._item(item_code)
        return item.name if item else self.catalog.category(category).name

    def window_area(self, category: str, item_code: str | None) -> str:
        """Where in the hall a ticket is served: its item's windows, else its category's area."""
        return getattr(self._item(item_code), "window", "") or self.catalog.category(category).window_area

    def _item(self, code: str | None) -> Any:
        """The item (事项) or life event (一件事) a ticket is for; they share one code space."""
        for find in (self.catalog.item, self.catalog.life_event):
            try:
                return find(code) if code else None
            except KeyError:
                continue
        return None

    def _materials(self, code: str, answers: dict[str, str]) -> list[dict[str, Any]]:
        """The complete list to print on the ticket: an item's, or a life event's merged for the
        citizen's answers: the same composer as the kiosk's screen and notice."""
        if code in {e.code for e in self.catalog.life_events}:
            try:
                checklist = self.catalog.merge(code, answers)
            except ValueError as exc:  # an answer the event does not have
                raise payloads.InvalidArgs(f"参数有误：情形选择（answers）不符合要求：{exc}") from None
        else:
            checklist = self.catalog.notice(code)
        return paper_materials(checklist)

    def deferrable_materials(self, code: str | None) -> list[str]:
        """The materials the catalog marks 可容缺 for an item (or a life event)."""
        if code is None or self._item(code) is None:
            return []
        return [m["name"] for m in self._materials(code, {}) if m["deferrable"]]

    # ---- 容缺 promises ---------------------------------------------------------------------------
    def promise(self, case_no: str, materials: Sequence[str], window: str) -> list[promises.Promise]:
        """Record what a case owes, due `[floor] promise_working_days` business days from today."""
        today = self.engine.local().date()
        due = self.calendar.add_working_days(today, self.config.floor.promise_working_days)
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
            self._alert(True, AlertKind.PROMISE_OVERDUE, str(p.id),
                        i18n.text("alert.promise_overdue", case_no=p.case_no, material=p.material, due=p.due))

    def known_item(self, code: str | None) -> str | None:
        """`code` if the catalog has it (an item or a life event), else UnknownItem."""
        if code and self._item(code) is None:
            raise UnknownItem(code)
        return code

    def req_take_number(self, terminal: str, args: dict[str, Any]) -> dict[str, Any]:
        a = parse(payloads.TakeNumber, args)
        if a.answers and a.item_code:
            self._materials(a.item_code, a.answers)  # answers the event does not have: refused before issuing
        # A kiosk prints the ticket and confirms it (ticket_printed); the other channels print nothing.
        view = self.engine.take_number(a.category, a.channel, citizen_key=a.citizen_key, priority=a.priority,
                                       item_code=self.known_item(a.item_code), terminal=terminal,
                                       awaits_print=a.channel == "kiosk")
        self.queue_changed()
        return self._ticket_answer(view.ticket, a.answers, view)

    def req_check_in(self, terminal: str, args: dict[str, Any]) -> dict[str, Any]:
        a = parse(payloads.CheckIn, args)
        appointment = self.engine.check_in(citizen_key=a.citizen_key, code=a.code, terminal=terminal,
                                           awaits_print=True)  # the kiosk prints the check-in's ticket
        self.queue_changed()
        slot = f"{self.engine.local(appointment.slot_start):%H:%M}-{self.engine.local(appointment.slot_end):%H:%M}"
        return {**self._ticket_answer(appointment.ticket), "slot": slot, "appointment": appointment.code,
                "timing": appointment.timing, "note": check_in_note(appointment.timing, slot)}

    def req_lookup_case(self, terminal: str, args: dict[str, Any]) -> dict[str, Any]:
        a = parse(payloads.LookupCase, args)
        if a.case_number:
            cases = [self.engine.case(a.case_number)]
        else:
            cases = self.engine.cases_of(str(a.citizen_key))
        return {"cases": [self.case_answer(c) for c in cases]}

    def promised_by(self, code: str | None, received: date) -> date | None:
        """承诺办结 date of an item (or a life event: its slowest item), counted on the hall
        calendar's working days unless the item counts calendar days; None: no such item."""
        item = self._item(code)
        if item is None:
            return None
        items = [item] if hasattr(item, "promised_days") else [self.catalog.item(c) for c in item.items]
        days = max(i.promised_days for i in items)
        if all(i.calendar_days for i in items):
            return received + timedelta(days)
        return self.calendar.add_working_days(received, days)

    def case_answer(self, case: Case) -> dict[str, Any]:
        """What a citizen asking after a case (查) is told: which case and item, where it
        stands (the code, and the hall's word for it), when it was received, by when it is
        promised, and where the result is collected."""
        item = self._item(case.item_code)
        category = self.catalog.category(case.category)
        received = self.engine.local(case.created_at).date()
        promised = self.promised_by(case.item_code, received)
        return {"case_number": case.case_no, "item_code": case.item_code,
                "item": item.name if item else category.name, "state": case.state,
                "state_name": case_flow.LABELS.get(case.state, case.state), "received": received.isoformat(),
                "promised_by": promised.isoformat() if promised else None,
                "collect_at": getattr(item, "window", "") or category.window_area,
                "owed": self.owed(case.case_no)}

    def owed(self, case_no: str) -> list[dict[str, Any]]:
        """What a case still owes (容缺) and by when: the kiosk and the phone page show it."""
        return promises.owed_view(promises.of_cases(self.db, [case_no]).get(case_no, []), self.engine.local().date())

    # ---- events from terminals (the EventApplier the link calls) ----------------------------------
    def apply(self, terminal: str, kind: str, event: Event) -> bool:
        """Apply a terminal's event once; its data is checked against its shape first, so a
        misfit is refused (InvalidArgs) before any handler runs."""
        handler = getattr(self, f"evt_{kind}", None)
        if handler is None:
            raise UnknownEventKind(f"event kind {kind!r} from {terminal}")
        data = parse(payloads.EVENTS[kind], event.data)
        if self.engine.already_applied(event.event_id):
            return False
        handler(terminal, data, event.event_id)
        return True

    def refuse(self, terminal: str, kind: str, event: Event, error: ErrorInfo) -> None:
        """Keep a refused event for the control room (the link then acks it with the reason)."""
        self.engine.refuse_event(terminal, kind, event.event_id, error.type, error.message, event.data)
        self.hub.publish("refused_event", {"terminal": terminal, "kind": kind, "error": error.type,
                                           "message": error.message})

    def evt_ticket_printed(self, terminal: str, data: payloads.TicketPrinted, event_id: str) -> None:
        """The kiosk cut the ticket: only now may it be called (no ghost tickets)."""
        ticket = self.engine.ticket_by_ref(data.ticket_ref)
        self.engine.confirm_printed(ticket.id, issued_by=terminal, event_id=event_id)
        self.queue_changed()

    def evt_ticket_cancelled(self, terminal: str, data: payloads.TicketCancelled, event_id: str) -> None:
        ticket = self.engine.ticket_by_ref(data.ticket_ref)
        self.engine.cancel(ticket.id, data.reason, issued_by=terminal, event_id=event_id)
        self.queue_changed()

    def evt_rating(self, terminal: str, data: payloads.RatingGiven, event_id: str) -> None:
        """One rating of one service: the pad's window, the case number, the ticket's QR or today's
        ticket number typed with the card that took it (ratings belong to the person served)."""
        common: dict[str, Any] = {"reasons": data.reasons, "channel": data.channel, "event_id": event_id}
        if data.window is not None:
            rating = self.engine.rate(data.level, window=data.window, **common)
        elif data.case_number is not None:
            rating = self.engine.rate(data.level, case_no=data.case_number, **common)
        else:  # the ticket's QR, or a typed number with the card that took it
            ticket = self.ticket_of_token(data.ticket_token) if data.ticket_token is not None else \
                self.engine.citizens_ticket(str(data.ticket), data.citizen_key)
            rating = self.engine.rate(data.level, ticket_id=ticket.id, **common)
        self.hub.publish("rating", plain(rating))

    def evt_caller_key(self, terminal: str, data: payloads.CallerKey, event_id: str) -> None:
        if data.window not in self.config.windows:
            raise UnknownWindow(data.window)
        self.desk.key(data.window, data.key, event_id)

    def evt_help_requested(self, terminal: str, data: payloads.HelpRequested, event_id: str) -> None:
        """帮办: a case opens (asked) with its alert, in the transaction that applies the event."""
        now = self.clock.time()
        location = data.location or terminal

        def fn(conn: Any) -> dict[str, Any]:
            case = help_desk.open_case(conn, event_id, terminal, location, data.topic, self.engine.local(now).date()
                                       .isoformat(), now)
            alert = alerts.raise_alert(self.db, conn, now, AlertKind.HELP, f"help:{case.id}",
                                       i18n.text("alert.help_requested", place=location, topic=data.topic).strip())
            return {"case": plain(case), "alert": plain(alert)}

        applied, result = self.engine.apply_event(event_id, "help_requested", fn)
        if applied:
            self.hub.publish("alert", result["alert"])
            self.hub.publish("help", result["case"])

    # ---- 帮办 cases ---------------------------------------------------------------------------------
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
            self.link.send_command(case.terminal, "help_coming", {"case_id": case.id, "helper_name": name}, ttl=60)
        cleared = {"assign": (AlertKind.HELP_ESCALATED,), "close": (AlertKind.HELP, AlertKind.HELP_ESCALATED)}
        for kind in cleared.get(action, ()):
            self._alert(False, kind, f"help:{case.id}", "")
        self.hub.publish("help", plain(case))
        return case

    def help_escalations(self) -> None:
        """帮办 asked and not acknowledged within `[floor] help_escalate_min` (hall clock): an alert."""
        now = self.clock.time()
        for case in help_desk.escalate(self.db, now - self.config.floor.help_escalate_min * 60, now):
            self._alert(True, AlertKind.HELP_ESCALATED, f"help:{case.id}", i18n.text(
                "alert.help_escalated", place=case.location, topic=case.topic,
                minutes=f"{(now - case.asked_at) / 60:.0f}"))
            self.hub.publish("help", plain(case))

    def evt_outbox_overflow(self, terminal: str, data: payloads.OutboxOverflow, event_id: str) -> None:
        """A terminal refused events at a full outbox: kept as an alert until staff handle it."""
        alert = self.engine.raise_alert(AlertKind.OUTBOX_BACKLOG, f"{terminal}:refused",
                                        i18n.text("alert.outbox_refused", terminal=terminal, refused=data.refused),
                                        event_id=event_id)
        self.hub.publish("alert", plain(alert))

    # ---- terminals and devices ------------------------------------------------------------------------
    def _alert(self, active: bool, kind: AlertKind, key: str, text: str) -> None:
        if active:
            self.hub.publish("alert", plain(self.engine.raise_alert(kind, key, text)))
        elif self.engine.clear_alert(kind, key):
            self.hub.publish("alert_cleared", {"kind": kind.value, "key": key})

    def _terminal_changed(self, terminal: str, view: TerminalView) -> None:
        for device, state in view.devices.items():
            key = f"{terminal}/{device}"
            offline = state.state == "offline" or not view.online
            reason = "terminal_offline" if not view.online else state.reason or "offline"
            self._alert(offline and state.reason != "paper_out", AlertKind.DEVICE_OFFLINE, key,
                        i18n.text("alert.device_offline", device=key, reason=i18n.text(f"device_reason.{reason}")))
            self._alert(view.online and state.reason == "paper_out", AlertKind.PAPER_OUT, key,
                        i18n.text("alert.paper_out", device=key))
        self.hub.publish("terminal", self.terminal_summary(view))

    def terminal_summary(self, view: TerminalView) -> dict[str, Any]:
        return {"terminal": view.terminal, "online": view.online, "session": view.session,
                "role": view.birth.role if view.birth else None,
                "devices": {d: {**s.model_dump(), "stale": view.stale} for d, s in view.devices.items()},
                "telemetry": {d: t.values for d, t in view.telemetry.items()}}


class WindowDesk:
    """The window actions of hall.md §3, for the console and the caller keypads alike."""

    KEYS = {"recall": "recall", "give-up": "no_show", "hold": "hold", "call-back": "call_back_held",
            "pause": "toggle_pause"}

    def __init__(self, service: CenterService) -> None:
        self.s = service

    def _done(self, result: Any) -> Any:
        if isinstance(result, Call):
            self.s.announce(result)
        self.s.hub.publish("windows", plain(self.s.engine.window_states()))
        self.s.queue_changed()
        return result

    def _state(self, window: str) -> str:
        return next(w.state.value for w in self.s.engine.window_states() if w.code == window)

    def _complete(self, window: str, event_id: str) -> None:
        """Keypads have no start/finish keys: the next call or an evaluation ends the service."""
        state = self._state(window)
        if state == "calling":
            self.s.engine.start(window, from_call=True, event_id=f"{event_id}:start")
            state = "serving"
        if state == "serving":
            self._done(self.s.engine.finish(window, event_id=f"{event_id}:finish"))

    def key(self, window: str, key: str, event_id: str) -> Any:
        """A caller keypad's key, applied once per event (the last step carries the event's id)."""
        if key == "call":
            self._complete(window, event_id)
            return self.call_next(window, event_id=event_id)
        if key == "evaluate":
            self._complete(window, event_id)
            self.s.engine.apply_event(event_id, "prompt_rating", lambda conn: None)
            return self.prompt_rating(window)
        action = self.KEYS.get(key)
        if action is None:
            log.info("caller key without an action", extra={"window": window, "key": key})
            self.s.engine.apply_event(event_id, f"key:{key}", lambda conn: None)
            return None
        return getattr(self, action)(window, event_id=event_id)

    def call_next(self, window: str, event_id: str | None = None) -> Call:
        return self._done(self.s.engine.call_next(window, event_id=event_id))

    def recall(self, window: str, event_id: str | None = None) -> Call:
        return self._done(self.s.engine.recall(window, event_id=event_id))

    def start(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.s.engine.start(window, event_id=event_id))

    def finish(self, window: str, create_case: bool = False, item_code: str | None = None,
               event_id: str | None = None, deferred: Sequence[str] = (), pledge_signed: bool = False) -> Any:
        """办结; with `deferred` (容缺受理) the case is accepted on the citizen's signed 承诺书 and
        each material becomes a promise due in the hall's business days (center/promises.py)."""
        item_code = self.s.known_item(item_code)
        if deferred:
            current = next(w.ticket_id for w in self.s.engine.window_states() if w.code == window)
            code = item_code or (self.s.engine.ticket(current).item_code if current else None)
            promises.check(deferred, self.s.deferrable_materials(code), code, pledge_signed)
            if not create_case:
                raise promises.PledgeRequired()  # a promise belongs to a case
        finished = self._done(self.s.engine.finish(window, create_case=create_case, item_code=item_code,
                                                   event_id=event_id))
        if deferred and finished.case is not None:
            self.s.promise(finished.case.case_no, deferred, window)
        return finished

    def no_show(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.s.engine.no_show(window, event_id=event_id))

    def hold(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.s.engine.hold(window, event_id=event_id))

    def call_back(self, window: str, ticket_id: int, event_id: str | None = None) -> Call:
        return self._done(self.s.engine.call_back(window, ticket_id, event_id=event_id))

    def call_back_held(self, window: str, event_id: str | None = None) -> Call:
        held = self.s.engine.held_at(window)
        if not held:
            raise QueueError(f"window {window} holds no ticket")
        return self.call_back(window, held[0].id, event_id=event_id)

    def reactivate(self, window: str, ticket_id: int, event_id: str | None = None) -> Any:
        """过号恢复 at the counter: only a no-show of this window today, by the hall's rule."""
        day = self.s.engine.local().date().isoformat()
        if all(n.ticket_id != ticket_id for n in no_shows.of_window(self.s.db, window, day, self.s.engine.settings)):
            raise no_shows.NotMissedHere(ticket_id, window)
        return self._done(self.s.engine.reactivate(ticket_id, event_id=event_id))

    def transfer(self, ticket_id: int, category: str, event_id: str | None = None) -> Any:
        return self._done(self.s.engine.transfer(ticket_id, category, event_id=event_id))

    def pause(self, window: str, reason: str, event_id: str | None = None) -> Any:
        return self._done(self.s.engine.pause(window, reason, event_id=event_id))

    def resume(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.s.engine.resume(window, event_id=event_id))

    def toggle_pause(self, window: str, event_id: str | None = None) -> Any:
        if self._state(window) == "paused":
            return self.resume(window, event_id=event_id)
        return self.pause(window, "窗口暂停", event_id=event_id)

    def sign_in(self, window: str, staff: str) -> Any:
        return self._done(self.s.engine.sign_in(window, staff))

    def sign_out(self, window: str) -> Any:
        return self._done(self.s.engine.sign_out(window))

    def prompt_rating(self, window: str, event_id: str | None = None) -> dict[str, Any]:
        """Light the window's rating pad (一次一评: the service just finished is the one rated)."""
        bus = self.s.config.windows[window].bus
        if bus and window.isdigit():
            self.s.link.send_command(bus, "start_rating", {"window": int(window)}, ttl=30)
        self.s.hub.publish("rating_prompt", {"window": window})
        return {"prompted": window}
