"""What the kiosk can ask the daemon for: the local API's ops (core/localapi.py).

No ghost tickets: the printer is checked before the center is asked for a number, and a
ticket that then fails to print is cancelled at the center through the outbox (so the
cancellation itself cannot be lost) while the kiosk is told why.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable

from core.clock import HallClock
from core.devstate import Reason
from core.errors import DeviceError, OneTripError, OutboxFull
from core.localapi import VERSION, BadArguments
from daemon.citizen import CitizenSlot
from daemon.config import DaemonConfig
from daemon.printing import TicketPrinter
from daemon.supervisor import Supervisor
from daemon.terminal_state import HallView, Maintenance
from drivers.idcard.driver import IdCardReader
from drivers.printer.driver import PrinterNotReady
from drivers.registry import IDCARD
from mqtt.payloads import RESULTS
from mqtt.terminal import RequestFailed, TerminalLink


class NotAllowed(OneTripError):
    """The op needs maintenance mode, or a PIN that was not given."""


class NoCard(OneTripError):
    """The op needs a card on the reader, or a code, and neither is there."""


def kiosk_queue(summary: dict[str, Any]) -> dict[str, Any]:
    """The center's `hall/queue` (a `category` per entry) in the local API's words
    (docs/localapi.md, `queue_summary`): what a kiosk shows per category, nothing more."""
    return {"categories": [{"letter": c["category"], "name": c.get("name", ""), "waiting": c.get("waiting", 0),
                            "last_called": c.get("last_called")}
                           for c in summary.get("categories") or [] if isinstance(c, dict) and "category" in c]}


class KioskOps:
    RATING_ANSWER_S = 5.0  # how long a citizen's rating waits for the center's answer on screen

    def __init__(self, config: DaemonConfig, link: TerminalLink, printing: TicketPrinter, supervisor: Supervisor,
                 citizens: CitizenSlot, hall: HallView, maintenance: Maintenance, clock: HallClock) -> None:
        self.config, self.link, self.printing, self.supervisor = config, link, printing, supervisor
        self.citizens, self.hall, self.maintenance, self.clock = citizens, hall, maintenance, clock
        self.ops: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name: getattr(self, f"op_{name}") for name in (
                "hello", "catalog", "queue_summary", "take_number", "check_in", "lookup_case",
                "print_checklist", "rate", "call_helper", "device_states", "forget_citizen", "read_card",
                "maintenance", "test_print", "paper_changed")}

    def dispatch(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        return self.ops[op](args)

    # ---- state -----------------------------------------------------------------------------
    def op_hello(self, args: dict[str, Any]) -> dict[str, Any]:
        config, citizen = self.config, self.citizens.current
        return {"version": VERSION, "terminal": config.terminal, "role": config.role,
                "hall_name": config.hall_name, "location": config.location,
                "center_reachable": self.link.center_reachable, "devices": self._devices(),
                "card": citizen.for_kiosk() if citizen else None, "maintenance": self.maintenance.on,
                "catalog_hash": (self.hall.catalog or {}).get("hash"), "queue": self.hall.queue,
                "hall_time": self.clock.time(), "clock_offset_ms": round(self.clock.offset * 1000, 1)}

    def op_catalog(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.hall.catalog is None:
            raise BadArguments("no catalog yet: the center has not published one")
        return self.hall.catalog

    def op_queue_summary(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.hall.queue or {"categories": []}

    def op_device_states(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"devices": self._devices()}

    def _devices(self) -> dict[str, dict[str, str]]:
        return {name: c.as_dict() for name, c in self.supervisor.states().items()}

    def op_forget_citizen(self, args: dict[str, Any]) -> dict[str, Any]:
        self.citizens.forget()
        return {"forgotten": True}

    def op_read_card(self, args: dict[str, Any]) -> dict[str, Any]:
        """A flow asks for a card: one lying on the reader since before is read again (a
        `card_read` follows); reading: false when none lies there."""
        reader = self.supervisor.by_family(IDCARD)
        return {"reading": isinstance(reader, IdCardReader) and reader.read_again()}

    # ---- numbers -----------------------------------------------------------------------------
    def _citizen_key(self, args: dict[str, Any]) -> str | None:
        if not args.get("use_card", True):
            return None
        citizen = self.citizens.current
        return citizen.key if citizen else None

    def _check_outbox_room(self) -> None:
        """A ticket needs one outbox row afterwards (printed or cancelled): refuse before the
        center issues a number that could not be followed up."""
        outbox = self.link.outbox
        if outbox.depth() >= outbox.max_rows:
            raise OutboxFull(f"this terminal holds {outbox.max_rows} unsent events; numbers are paused")

    def _issue_and_print(self, op: str, request: dict[str, Any]) -> dict[str, Any]:
        self.printing.check_ready()  # before the center issues anything: no ghost tickets
        self._check_outbox_room()
        ticket = self.link.request(op, request, answer=RESULTS[op])
        try:
            self.printing.print_ticket(ticket["ticket_id"], ticket)
        except DeviceError as exc:
            self.link.emit("ticket_cancelled", {"ticket_ref": ticket["ticket_ref"], "number": ticket["number"],
                                                "reason": "print_failed"})
            raise PrinterNotReady(getattr(exc, "reason", Reason.PRINTER_ERROR),
                                  f"ticket {ticket['number']} could not be printed and was cancelled: {exc}") from exc
        self.link.emit("ticket_printed", {"ticket_ref": ticket["ticket_ref"], "number": ticket["number"]})
        return {**ticket, "printed": True}

    def op_take_number(self, args: dict[str, Any]) -> dict[str, Any]:
        category = args["category"]  # the local API's border (check_args) let only a letter through
        key = self._citizen_key(args)
        citizen = self.citizens.current if key else None
        priority = args.get("priority") or ("elderly" if citizen and citizen.elderly else None)
        request = {"category": category, "item_code": args.get("item_code") or args.get("event_code"),
                   "priority": priority, "citizen_key": key, "channel": "kiosk"}
        if args.get("answers"):  # a life event's answers: the ticket lists what the screen listed
            request["answers"] = dict(args["answers"])
        return self._issue_and_print("take_number", request)

    def op_check_in(self, args: dict[str, Any]) -> dict[str, Any]:
        code, key = args.get("code"), self._citizen_key(args)
        if not code and not key:
            raise NoCard("place the ID card on the reader or scan the appointment code")
        return self._issue_and_print("check_in", {"code": code, "citizen_key": None if code else key})

    def op_lookup_case(self, args: dict[str, Any]) -> dict[str, Any]:
        case_number, key = args.get("case_number"), self._citizen_key(args)
        if not case_number and not key:
            raise NoCard("place the ID card on the reader or type the case number")
        return self.link.request("lookup_case", {"case_number": case_number,
                                                 "citizen_key": None if case_number else key},
                                 answer=RESULTS["lookup_case"])

    # ---- printing, ratings, help -----------------------------------------------------------------
    def op_print_checklist(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("service"):
            raise BadArguments("print_checklist needs a service name")
        self.printing.check_ready()
        self.printing.print_checklist(uuid.uuid4().hex, args)
        return {"printed": True}

    def op_rate(self, args: dict[str, Any]) -> dict[str, Any]:
        level, reasons = args.get("level"), list(args.get("reasons") or [])
        if level not in (1, 2, 3, 4, 5):
            raise BadArguments("level must be 1 (非常不满意) to 5 (非常满意)")
        if level <= 2 and not reasons:
            raise BadArguments("a 差评 needs at least one reason")
        if not args.get("ticket") and not args.get("ticket_token") and not args.get("case_number"):
            raise BadArguments("rate needs the ticket, its QR code or the case number of the finished service")
        rating = {"ticket": args.get("ticket") or None, "ticket_token": args.get("ticket_token") or None,
                  "case_number": args.get("case_number") or None, "level": level, "reasons": reasons,
                  "channel": "kiosk", "citizen_key": self._citizen_key(args)}
        answer = self.link.emit_answered("rating", {k: v for k, v in rating.items() if v is not None})
        try:
            refused = answer.result(self.RATING_ANSWER_S)
        except FutureTimeout:  # kept in the outbox and sent when the center answers again
            return {"recorded": True, "pending": True}
        if refused is not None:  # 已评价, 未办结…: the citizen is told why, in the center's own terms
            raise RequestFailed(refused.type, refused.message, refused.values)
        return {"recorded": True, "pending": False}

    def op_call_helper(self, args: dict[str, Any]) -> dict[str, Any]:
        self.link.emit("help_requested", {"location": self.config.location or self.config.terminal,
                                          "topic": str(args.get("topic", ""))[:60]})
        return {"queued": True}

    # ---- maintenance -------------------------------------------------------------------------------
    def op_maintenance(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("enter"):
            digest = hashlib.sha256(str(args.get("pin", "")).encode()).hexdigest()
            if not hmac.compare_digest(digest, self.config.maintenance_pin_sha256):
                raise NotAllowed("wrong PIN")
        self.maintenance.set(bool(args.get("enter")))
        return {"maintenance": self.maintenance.on}

    def _maintenance_only(self) -> None:
        if not self.maintenance.on:
            raise NotAllowed("only in maintenance mode")

    def op_test_print(self, args: dict[str, Any]) -> dict[str, Any]:
        self._maintenance_only()
        self.printing.test_page(uuid.uuid4().hex)
        return {"printed": True}

    def op_paper_changed(self, args: dict[str, Any]) -> dict[str, Any]:
        self._maintenance_only()
        self.printing.printer().mark_paper_changed()
        return {"tickets_since_paper": 0}

