"""The local API between the daemon and the kiosk: one contract, served and spoken here.

Newline-delimited JSON over a Unix socket (DESIGN.md §3):
  request  {"id": 7, "op": "take_number", "args": {...}}
  reply    {"id": 7, "ok": true, "result": {...}}  |  {"id": 7, "ok": false, "error": {"type", "message"}}
  event    {"event": "card_read", "data": {...}}
`LineCodec` is sans-I/O (bytes in any chunking → messages); the daemon's server and the
kiosk's client both use it. Bump `VERSION` on any incompatible change; `hello` returns it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Final, Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.answers import LETTER, CasesAnswer, CheckInAnswer, PrintedMaterial, TicketAnswer
from core.errors import OneTripError, ProtocolError
from core.sansio import NEED_DATA, NeedData

VERSION: Final = 1
MAX_LINE: Final = 1 << 20  # a catalog snapshot fits; anything longer is a broken peer


class LocalApiError(ProtocolError):
    """A line that is not a valid local-API message."""




class LineCodec:
    """Splits a byte stream into JSON objects, one per line; bad lines raise and are skipped."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> dict[str, Any] | NeedData:
        end = self._buf.find(b"\n")
        if end < 0:
            if len(self._buf) > MAX_LINE:
                self._buf.clear()
                raise LocalApiError(f"line longer than {MAX_LINE} bytes")
            return NEED_DATA
        line = bytes(self._buf[:end])
        del self._buf[: end + 1]
        try:
            obj = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LocalApiError(f"not JSON ({type(exc).__name__})") from None
        if not isinstance(obj, dict):
            raise LocalApiError("not a JSON object")
        return obj

    @staticmethod
    def send(message: dict[str, Any]) -> bytes:
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def messages(recv: Callable[[int], bytes]) -> Iterator[dict[str, Any] | LocalApiError]:
    """Every message arriving on a stream socket until it closes; a bad line comes as its error."""
    codec = LineCodec()
    while True:
        try:
            data = recv(65536)
        except OSError:
            return
        if not data:
            return
        codec.receive_data(data)
        while True:
            try:
                msg = codec.next_event()
            except LocalApiError as exc:
                yield exc
                continue
            if msg is NEED_DATA:
                break
            yield msg


# ---- messages -----------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Request(_Model):
    id: int | str
    op: str = Field(pattern=r"^[a-z_]{1,40}$")
    args: dict[str, Any] = {}


class ErrorBody(_Model):
    type: str
    message: str
    values: dict[str, str] = {}


def reply_ok(request_id: int | str, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": request_id, "ok": True, "result": result or {}}


def reply_error(request_id: int | str | None, type_: str, message: str,
                values: dict[str, str] | None = None) -> dict[str, Any]:
    """`values`: what the kiosk needs to word the error itself (a come-back time, a number held)."""
    error: dict[str, Any] = {"type": type_, "message": message}
    if values:
        error["values"] = dict(values)
    return {"id": request_id, "ok": False, "error": error}


def event(name: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    assert name in EVENTS, name
    return {"event": name, "data": data or {}}


def parse_request(obj: dict[str, Any]) -> Request:
    try:
        request = Request.model_validate(obj)
    except ValidationError as exc:
        raise LocalApiError(f"bad request ({_fields(exc)})") from None
    if request.op not in OPS:
        raise LocalApiError(f"unknown op {request.op!r}")
    return request


def _fields(exc: ValidationError) -> str:
    """The misfit fields by name, never their values (a PIN, a name)."""
    return ", ".join(".".join(map(str, e["loc"])) or e["type"] for e in exc.errors(include_input=False))


def check_args(op: str, args: dict[str, Any]) -> dict[str, Any]:
    """`args` as the op's shape lets them through (only the fields given), or BadArguments
    naming the misfits: both the kiosk (before sending) and the daemon (before acting) call it."""
    try:
        return OPS[op].args.model_validate(args).model_dump(mode="json", exclude_unset=True)
    except ValidationError as exc:
        raise BadArguments(f"{op}: {_fields(exc)}") from None


def check_result(op: str, result: dict[str, Any]) -> dict[str, Any]:
    """`result` as the op's shape: the daemon checks what it sends, the kiosk what it gets."""
    try:
        return OPS[op].result.model_validate(result).model_dump(mode="json")
    except ValidationError as exc:
        raise LocalApiError(f"{op}: the reply does not fit {OPS[op].result.__name__} ({_fields(exc)})") from None


class BadArguments(OneTripError):
    """The op's arguments do not fit its shape, or make no sense (a level of 7, no category)."""


# ---- the shapes of each op ---------------------------------------------------------------------
class NoArgs(_Model):
    pass


class TakeNumberArgs(_Model):
    category: str = Field(pattern=LETTER)
    item_code: str | None = None
    event_code: str | None = None          # a life event (一件事) instead of an item
    priority: str | None = None            # a 绿色通道 group; the card's age decides when absent
    use_card: bool = True                  # False: an anonymous number, the card on the reader ignored
    code: str | None = None                # the code the citizen identified with, when no card (kept, unused)
    answers: dict[str, str] = {}           # the life event's answers: the ticket lists what the screen listed


class CheckInArgs(_Model):
    code: str | None = None
    use_card: bool = True


class LookupCaseArgs(_Model):
    case_number: str | None = None
    use_card: bool = True
    code: str | None = None


class PrintChecklistArgs(_Model):
    service: str = ""
    qr: str = ""
    materials: tuple[PrintedMaterial, ...] = ()
    notice: str = ""


class RateArgs(_Model):
    ticket: str | None = None
    ticket_token: str | None = None        # the ticket's QR scanned on the rating screen
    case_number: str | None = None
    level: int
    reasons: tuple[str, ...] = ()
    use_card: bool = True


class CallHelperArgs(_Model):
    topic: str = ""


class MaintenanceArgs(_Model):
    enter: bool
    pin: str | None = None


class DeviceView(_Model):
    state: str
    reason: str = ""
    detail: str = ""


class CardView(_Model):
    """The card on the reader as the kiosk sees it: masked, keyed; never the ID number."""

    masked_name: str
    card_type: str
    gender: str | None = None
    age: int | None = None
    elderly: bool = False
    expired: bool = False
    citizen_key: str


class QueueEntry(_Model):
    letter: str = Field(pattern=LETTER)
    name: str = ""
    waiting: int = Field(0, ge=0)
    last_called: str | None = None


class QueueSummary(_Model):
    categories: tuple[QueueEntry, ...] = ()


class Hello(_Model):
    version: int
    terminal: str
    role: str = "kiosk"
    hall_name: str = ""
    location: str = ""
    center_reachable: bool
    devices: dict[str, DeviceView]
    card: CardView | None = None
    maintenance: bool
    catalog_hash: str | None = None
    queue: QueueSummary | None = None
    hall_time: float | None = None
    clock_offset_ms: float | None = None


class CatalogSnapshot(BaseModel):
    """The catalog as the center published it (core/catalog_model.py reads the rest)."""

    model_config = ConfigDict(extra="allow")
    format: int
    hash: str


class Printed(TicketAnswer):
    printed: bool


class CheckedIn(CheckInAnswer):
    printed: bool


class PaperPrinted(_Model):
    printed: bool


class RatingKept(_Model):
    recorded: bool
    pending: bool  # the center did not answer in time: kept in the outbox, sent later


class HelperAsked(_Model):
    queued: bool


class Devices(_Model):
    devices: dict[str, DeviceView]


class CardReading(_Model):
    reading: bool  # a card lies on the reader and is being read again: a card_read follows


class Forgotten(_Model):
    forgotten: bool


class MaintenanceMode(_Model):
    maintenance: bool


class PaperCount(_Model):
    tickets_since_paper: int = Field(ge=0)


# ---- the vocabulary ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """One op: what it does, the shapes of its args and result, and the example docs/localapi.md shows."""

    summary: str
    args: type[BaseModel]
    result: type[BaseModel]
    example_args: dict[str, Any]
    example_result: dict[str, Any]


TICKET_EXAMPLE: dict[str, Any] = {
    "ticket_id": "1042", "ticket_ref": "q7Xk2mWv9rTzA1bC", "number": "A023", "category": "A",
    "category_name": "不动产登记", "service": "不动产转移登记", "ahead": 12, "last_called": "A011",
    "wait_min": 25, "wait_max": 40, "window_area": "二楼A区", "priority": "elderly", "priority_name": "老年人",
    "materials": [{"name": "不动产权证书", "note": "原件 1 份", "optional": False, "deferrable": False}],
    "qr": "https://hall.example/m/t/q7Xk2mWv9rTzA1bC", "no_show_rule": "过号30分钟内可到窗口恢复，恢复后按原顺序叫号"}

OPS: dict[str, Op] = {
    "hello": Op("version and the whole current state (sent again after every reconnect)", NoArgs, Hello, {},
                {"version": VERSION, "terminal": "kiosk-01", "role": "kiosk", "hall_name": "示范市市民中心",
                 "location": "一楼大厅", "center_reachable": True,
                 "devices": {"printer": {"state": "online", "reason": "", "detail": ""}}, "card": None,
                 "maintenance": False, "catalog_hash": "3f2a9c0d1e2b", "queue": None,
                 "hall_time": 1795742400.0, "clock_offset_ms": 1.5}),
    "catalog": Op("the cached service catalog snapshot (works while the center is unreachable)", NoArgs,
                  CatalogSnapshot, {},
                  {"format": 1, "hash": "3f2a9c0d1e2b", "catalog": {"version": "2025.06-r1", "hall": "示范市市民中心"},
                   "categories": ["…"], "items": ["…"], "life_events": ["…"]}),
    "queue_summary": Op("waiting per category, last called numbers", NoArgs, QueueSummary, {},
                        {"categories": [{"letter": "A", "name": "不动产登记", "waiting": 12, "last_called": "A017"}]}),
    "take_number": Op("get a number from the center for the card on the reader (or none), then print it",
                      TakeNumberArgs, Printed,
                      {"category": "A", "item_code": "A-0101", "priority": "elderly", "use_card": True},
                      {**TICKET_EXAMPLE, "printed": True}),
    "check_in": Op("check in an appointment by the card on the reader or a scanned code", CheckInArgs, CheckedIn,
                   {"code": "AP-20261122-0042"},
                   {**TICKET_EXAMPLE, "number": "A024", "slot": "10:00-10:30", "appointment": "AP-20261122-0042",
                    "timing": "early", "note": "您的预约时段 10:00-10:30，时段开始后优先叫号", "printed": True}),
    "lookup_case": Op("a case's progress by the card on the reader or a case number", LookupCaseArgs, CasesAnswer,
                      {"case_number": "20261122000017"},
                      {"cases": [{"case_number": "20261122000017", "item_code": "A-0101", "item": "不动产转移登记",
                                  "state": "reviewing", "state_name": "审核中", "received": "2026-11-22",
                                  "promised_by": "2026-11-25", "collect_at": "二楼A区",
                                  "owed": [{"material": "契税完税凭证", "due": "2026-11-27", "overdue": False}]}]}),
    "print_checklist": Op("print the one-time complete notice (一次告知单) the kiosk composed from its catalog",
                          PrintChecklistArgs, PaperPrinted,
                          {"service": "不动产转移登记", "qr": "https://hall.example/guide/A-0101",
                           "materials": [{"name": "不动产权证书", "note": "原件", "optional": False,
                                          "deferrable": False}], "notice": "承诺时限 3 个工作日"},
                          {"printed": True}),
    "rate": Op("rate a finished service (一次一评) from the kiosk, by its ticket number, its ticket's QR"
               " (`ticket_token`: the last part of the ticket's phone link) or case number; a typed ticket number"
               " counts only with the card that took it on the reader (the daemon adds the card's keyed hash;"
               " `use_card: false` leaves it out); waits up to 5 s for the center: a refusal comes back as the"
               " center's error (AlreadyRated, NotRateable, NotTheirsToRate, ReasonRequired, UnknownTicket,"
               " UnknownCase), no answer in time as `pending` (kept, sent later)",
               RateArgs, RatingKept, {"ticket": "A023", "level": 2, "reasons": ["等待时间长"]},
               {"recorded": True, "pending": False}),
    "call_helper": Op("ask for a floor helper (帮办): a case in the control room; the `help_coming` event"
                      " follows when a hall manager sends a helper", CallHelperArgs, HelperAsked,
                      {"topic": "不会操作"}, {"queued": True}),
    "device_states": Op("every device's state", NoArgs, Devices, {},
                        {"devices": {"printer": {"state": "online", "reason": "", "detail": ""}}}),
    "read_card": Op("a flow asks for a card: one lying on the reader since before is read again (a `card_read`"
                    " follows); reading is false when none lies there", NoArgs, CardReading, {}, {"reading": True}),
    "forget_citizen": Op("drop the card read and everything about the citizen (idle reset)", NoArgs, Forgotten, {},
                         {"forgotten": True}),
    "maintenance": Op("enter (with the PIN) or leave maintenance mode", MaintenanceArgs, MaintenanceMode,
                      {"enter": True, "pin": "2468"}, {"maintenance": True}),
    "test_print": Op("print a test page (maintenance mode only)", NoArgs, PaperPrinted, {}, {"printed": True}),
    "paper_changed": Op("mark the paper roll changed (maintenance mode only)", NoArgs, PaperCount, {},
                        {"tickets_since_paper": 0}),
}

EVENTS: dict[str, str] = {
    "card_read": "a card was read: masked name, card type, age group, citizen key; never the raw number",
    "card_removed": "the card left the reader",
    "card_error": "the reader could not read the card (reason), the kiosk asks to retry",
    "code_scanned": "the QR/barcode scanner read a code",
    "device_state": "a device changed state: {device, state, reason}",
    "center": "the center became reachable or not: {reachable}",
    "catalog": "a newer catalog snapshot arrived: {hash}",
    "queue": "the queue summary changed: {categories}",
    "maintenance": "maintenance mode changed: {maintenance}",
    "hall_time": "the daemon measured hall time again: {hall_time, offset_ms}; the kiosk shows hall time",
    "help_coming": "a hall manager sent a floor helper for this kiosk's 帮办: {case_id, helper_name}",
}
