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

from core.errors import ProtocolError
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
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors(include_input=False))
        raise LocalApiError(f"bad request ({fields})") from None
    if request.op not in OPS:
        raise LocalApiError(f"unknown op {request.op!r}")
    return request


# ---- the vocabulary ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    summary: str
    example_args: dict[str, Any]
    example_result: dict[str, Any]


OPS: dict[str, Op] = {
    "hello": Op("version and the whole current state (sent again after every reconnect)", {},
                {"version": VERSION, "terminal": "kiosk-01", "center_reachable": True,
                 "devices": {"printer": {"state": "online", "reason": ""}}, "card": None,
                 "maintenance": False, "catalog_hash": "3f2a9c0d1e2b"}),
    "catalog": Op("the cached service catalog snapshot (works while the center is unreachable)", {},
                  {"format": 1, "hash": "3f2a9c0d1e2b", "catalog": {"version": "2025.06-r1", "hall": "示范市市民中心"}, "categories": ["…"], "items": ["…"], "life_events": ["…"]}),
    "queue_summary": Op("waiting per category, last called numbers", {},
                        {"categories": [{"letter": "A", "name": "不动产登记", "waiting": 12, "last_called": "A017"}]}),
    "take_number": Op("get a number from the center for the card on the reader (or none), then print it",
                      {"category": "A", "item_code": "A-0101", "priority": "elderly", "use_card": True},
                      {"number": "A023", "ahead": 12, "wait_min": 25, "wait_max": 40, "window_area": "二楼A区",
                       "printed": True}),
    "check_in": Op("check in an appointment by the card on the reader or a scanned code",
                   {"code": "AP-20261122-0042"}, {"number": "A024", "slot": "10:00-10:30", "timing": "early",
                                                  "note": "您的预约时段 10:00-10:30，时段开始后优先叫号", "printed": True}),
    "lookup_case": Op("a case's progress by the card on the reader or a case number",
                      {"case_number": "2026112200017"},
                      {"cases": [{"case_number": "2026112200017", "item": "不动产登记", "state": "审核中"}]}),
    "print_checklist": Op("print the one-time complete notice (一次告知单) the kiosk composed from its catalog",
                          {"service": "不动产转移登记", "qr": "https://hall.example/guide/A-0101",
                           "materials": [{"name": "不动产权证书", "note": "原件", "optional": False,
                                          "deferrable": False}], "notice": "承诺时限 3 个工作日"},
                          {"printed": True}),
    "rate": Op("rate a finished service (一次一评) from the kiosk, by its ticket or case number; waits up to 5 s"
               " for the center: a refusal comes back as the center's error (AlreadyRated, NotRateable,"
               " ReasonRequired, UnknownTicket, UnknownCase), no answer in time as `pending` (kept, sent later)",
               {"ticket": "A023", "level": 2, "reasons": ["等待时间长"]}, {"recorded": True, "pending": False}),
    "call_helper": Op("ask for a floor helper (帮办): a case in the control room; `help_coming` follows when"
                      " a helper is sent", {"topic": "不会操作"},
                      {"queued": True}),
    "device_states": Op("every device's state", {}, {"devices": {"printer": {"state": "online"}}}),
    "forget_citizen": Op("drop the card read and everything about the citizen (idle reset)", {},
                         {"forgotten": True}),
    "maintenance": Op("enter (with the PIN) or leave maintenance mode", {"enter": True, "pin": "2468"},
                      {"maintenance": True}),
    "test_print": Op("print a test page (maintenance mode only)", {}, {"printed": True}),
    "paper_changed": Op("mark the paper roll changed (maintenance mode only)", {}, {"tickets_since_paper": 0}),
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
