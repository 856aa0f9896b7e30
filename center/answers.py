"""What the center tells a citizen about a ticket or a case: the ticket's printed answer, its
item and materials from the catalog, where it is served, by when a case is promised, what it
still owes. Read by the requests, the events, the desk, the web and the phone pages alike."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from center import cases as case_flow
from center import no_shows, promises
from center.db import Database
from center.queue import QueueEngine
from center.queue_errors import NotTheirsToRate, UnknownItem
from center.queue_types import Appointment, Case, TicketView
from center.tokens import PhoneLinks, TokenRefused
from core.calendar import HallCalendar
from core.catalog import Catalog, paper_materials
from core.clock import Clock
from mqtt import payloads


class Answers:
    """Read-only: the catalog, the engine and the phone links as the citizen's words."""

    def __init__(self, engine: QueueEngine, catalog: Catalog, calendar: HallCalendar, db: Database,
                 phone: PhoneLinks, priority_groups: dict[str, str], clock: Clock) -> None:
        self.engine = engine
        self.catalog = catalog
        self.calendar = calendar
        self.db = db
        self.phone = phone
        self.priority_groups = priority_groups
        self.clock = clock

    def ticket_answer(self, ticket: Any, answers: dict[str, str] | None = None,
                       view: TicketView | None = None) -> dict[str, Any]:
        view = view or self.engine.ticket_view(ticket.id)
        category = self.catalog.category(ticket.category)
        item = self.item(ticket.item_code)
        est = view.estimate
        return {"ticket_id": str(ticket.id), "ticket_ref": ticket.ref, "number": ticket.number,
                "category": ticket.category,
                "category_name": category.name, "service": self.service_name(ticket.category, ticket.item_code),
                "ahead": view.ahead, "last_called": view.last_called,
                "wait_min": est.low_min, "wait_max": est.high_min,  # None: no open window serves it yet
                "window_area": self.window_area(ticket.category, ticket.item_code), "priority": ticket.priority,
                "priority_name": self.priority_groups.get(ticket.priority or "", ""),
                "materials": self.materials(ticket.item_code, answers or {}) if item else [],
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
        item = self.item(item_code)
        return item.name if item else self.catalog.category(category).name

    def window_area(self, category: str, item_code: str | None) -> str:
        """Where in the hall a ticket is served: its item's windows, else its category's area."""
        return getattr(self.item(item_code), "window", "") or self.catalog.category(category).window_area

    def item(self, code: str | None) -> Any:
        """The item (事项) or life event (一件事) a ticket is for; they share one code space."""
        for find in (self.catalog.item, self.catalog.life_event):
            try:
                return find(code) if code else None
            except KeyError:
                continue
        return None

    def materials(self, code: str, answers: dict[str, str]) -> list[dict[str, Any]]:
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
        if code is None or self.item(code) is None:
            return []
        return [m["name"] for m in self.materials(code, {}) if m["deferrable"]]

    def known_item(self, code: str | None) -> str | None:
        """`code` if the catalog has it (an item or a life event), else UnknownItem."""
        if code and self.item(code) is None:
            raise UnknownItem(code)
        return code

    def promised_by(self, code: str | None, received: date) -> date | None:
        """承诺办结 date of an item (or a life event: its slowest item), counted on the hall
        calendar's working days unless the item counts calendar days; None: no such item."""
        item = self.item(code)
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
        received = self.engine.local(case.created_at).date()
        promised = self.promised_by(case.item_code, received)
        return {"case_number": case.case_no, "item_code": case.item_code,
                "item": self.service_name(case.category, case.item_code), "state": case.state,
                "state_name": case_flow.LABELS.get(case.state, case.state), "received": received.isoformat(),
                "promised_by": promised.isoformat() if promised else None,
                "collect_at": self.window_area(case.category, case.item_code),
                "owed": self.owed(case.case_no)}

    def owed(self, case_no: str) -> list[dict[str, Any]]:
        """What a case still owes (容缺) and by when: the kiosk and the phone page show it."""
        return promises.owed_view(promises.of_cases(self.db, [case_no]).get(case_no, []), self.engine.local().date())
