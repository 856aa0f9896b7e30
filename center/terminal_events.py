"""Events from terminals (the EventApplier the link calls): each kind of mqtt/payloads.EVENTS
applied once, its data checked against its shape first; a refused one kept for the control room."""
from __future__ import annotations

from typing import Any, Callable

from center import alerts, help_desk, i18n
from center.alerts import AlertKind
from center.config import WindowSettings
from center.db import Database
from center.hub import Hub
from center.plain import plain
from center.queue import QueueEngine
from center.queue_errors import UnknownWindow
from core.clock import Clock
from core.errors import OneTripError
from mqtt import payloads
from mqtt.contract import ErrorInfo, Event
from mqtt.payloads import parse


class UnknownEventKind(OneTripError):
    """A terminal sent an event kind the center does not know."""


class TerminalEvents:
    """Every kind a terminal may send, as `evt_<kind>`; the link calls `apply` and `refuse`."""

    def __init__(self, engine: QueueEngine, db: Database, hub: Hub, clock: Clock, windows: dict[str, WindowSettings],
                 ticket_of_token: Callable[[str], Any], queue_changed: Callable[[], None],
                 caller_key: Callable[[str, str, str], Any]) -> None:
        self.engine = engine
        self.db = db
        self.hub = hub
        self.clock = clock
        self.windows = windows
        self.ticket_of_token = ticket_of_token
        self.queue_changed = queue_changed
        self.caller_key = caller_key  # the window desk's keypad (WindowDesk.key)

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
        if data.window not in self.windows:
            raise UnknownWindow(data.window)
        self.caller_key(data.window, data.key, event_id)

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


    def evt_outbox_overflow(self, terminal: str, data: payloads.OutboxOverflow, event_id: str) -> None:
        """A terminal refused events at a full outbox: kept as an alert until staff handle it."""
        alert = self.engine.raise_alert(AlertKind.OUTBOX_BACKLOG, f"{terminal}:refused",
                                        i18n.text("alert.outbox_refused", terminal=terminal, refused=data.refused),
                                        event_id=event_id)
        self.hub.publish("alert", plain(alert))
