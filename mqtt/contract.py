"""The hall's MQTT contract: every topic and payload of DESIGN.md §3, in one place.

No topic string is assembled anywhere else: build with `Topics`, parse with
`Topics.parse`. Payloads are pydantic models that forbid unknown fields, and `encode`
refuses anything shaped like a resident ID number, so personal data cannot ride along.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ProtocolError
from core.privacy import ID_NUMBER_RE

NAME = r"^[A-Za-z0-9_.-]{1,64}$"  # terminal ids, device names, ops, kinds: one topic level each


class ContractError(ProtocolError):
    """A topic or payload that does not fit the contract (never carries the payload itself)."""


class PrivacyViolation(ContractError):
    """Something shaped like a resident ID number was about to go on the wire."""


class Kind(str, enum.Enum):
    CENTER_STATUS = "center/status"
    STATUS = "status"
    BIRTH = "birth"
    DEV_STATE = "dev/state"
    DEV_TELE = "dev/tele"
    EVENT = "evt"
    REQUEST = "req"
    TERM_RES = "res"        # terminal → center: command results
    ACK = "ctl/ack"
    CTL_RES = "ctl/res"     # center → terminal: request responses
    COMMAND = "ctl/cmd"
    HALL = "hall"


@dataclass(frozen=True)
class Topic:
    kind: Kind
    terminal: str = ""
    name: str = ""  # device, event kind, op, command name or hall channel


class Topics:
    """Builds and parses the topics of one hall (`onetrip/{hall}/…`)."""

    def __init__(self, hall: str) -> None:
        self.hall = hall
        self.root = f"onetrip/{hall}"

    # terminal → center
    def status(self, t: str) -> str: return f"{self.root}/term/{t}/status"
    def birth(self, t: str) -> str: return f"{self.root}/term/{t}/birth"
    def dev_state(self, t: str, d: str) -> str: return f"{self.root}/term/{t}/dev/{d}/state"
    def dev_tele(self, t: str, d: str) -> str: return f"{self.root}/term/{t}/dev/{d}/tele"
    def event(self, t: str, kind: str) -> str: return f"{self.root}/term/{t}/evt/{kind}"
    def request(self, t: str, op: str) -> str: return f"{self.root}/term/{t}/req/{op}"
    def term_res(self, t: str) -> str: return f"{self.root}/term/{t}/res"
    # center → terminal
    def center_status(self) -> str: return f"{self.root}/center/status"
    def ack(self, t: str) -> str: return f"{self.root}/ctl/{t}/ack"
    def ctl_res(self, t: str) -> str: return f"{self.root}/ctl/{t}/res"
    def command(self, t: str, name: str) -> str: return f"{self.root}/ctl/{t}/cmd/{name}"
    # for every screen
    def hall_channel(self, name: str) -> str: return f"{self.root}/hall/{name}"

    # subscription filters
    def all_terminals(self, suffix: str) -> str: return f"{self.root}/term/+/{suffix}"
    def own_control(self, t: str) -> str: return f"{self.root}/ctl/{t}/#"
    def all_hall(self) -> str: return f"{self.root}/hall/#"

    def parse(self, topic: str) -> Topic:
        prefix = self.root + "/"
        if not topic.startswith(prefix):
            raise ContractError(f"topic outside hall {self.hall!r}")
        parts = topic[len(prefix):].split("/")
        match parts:
            case ["center", "status"]:
                return Topic(Kind.CENTER_STATUS)
            case ["hall", name]:
                return Topic(Kind.HALL, name=name)
            case ["term", t, "status"]:
                return Topic(Kind.STATUS, t)
            case ["term", t, "birth"]:
                return Topic(Kind.BIRTH, t)
            case ["term", t, "res"]:
                return Topic(Kind.TERM_RES, t)
            case ["term", t, "dev", d, "state"]:
                return Topic(Kind.DEV_STATE, t, d)
            case ["term", t, "dev", d, "tele"]:
                return Topic(Kind.DEV_TELE, t, d)
            case ["term", t, "evt", kind]:
                return Topic(Kind.EVENT, t, kind)
            case ["term", t, "req", op]:
                return Topic(Kind.REQUEST, t, op)
            case ["ctl", t, "ack"]:
                return Topic(Kind.ACK, t)
            case ["ctl", t, "res"]:
                return Topic(Kind.CTL_RES, t)
            case ["ctl", t, "cmd", name]:
                return Topic(Kind.COMMAND, t, name)
        raise ContractError(f"unknown topic shape under {self.root}: {len(parts)} levels")


# ---- payloads ---------------------------------------------------------------------------
class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Status(Payload):
    """Retained birth/will: `session` lets a late `offline` of an older session be ignored."""

    state: Literal["online", "offline"]
    session: int = Field(ge=0)
    ts: float = 0.0


class DeviceInfo(Payload):
    name: str = Field(pattern=NAME)
    family: str
    model: str = ""
    firmware: str = ""
    capabilities: list[str] = []
    info: dict[str, Any] = {}


class Birth(Payload):
    session: int = Field(ge=0)
    role: Literal["kiosk", "window-bus", "terminal"] = "terminal"
    software: str = ""
    config_hash: str = ""
    devices: list[DeviceInfo] = []
    ts: float = 0.0


class DeviceStatePayload(Payload):
    state: Literal["connecting", "online", "degraded", "offline"]
    reason: str = ""
    detail: str = ""
    since: float = 0.0


class Telemetry(Payload):
    ts: float
    values: dict[str, float | int | str | bool | None]


class Event(Payload):
    """A business event from a terminal's outbox; the center applies each `event_id` once."""

    event_id: str = Field(min_length=8, max_length=64)
    seq: int = Field(ge=1)
    ts: float
    data: dict[str, Any] = {}


class ErrorInfo(Payload):
    type: str
    message: str
    values: dict[str, str] = {}  # what the terminal's screen needs to word it (a come-back time…)


class Ack(Payload):
    """The center took these events: applied, or refused for the reason given (a refused event
    is acknowledged too, since sending it again cannot change the answer)."""

    event_ids: list[str] = Field(min_length=1, max_length=1000)
    refused: dict[str, ErrorInfo] = {}


class Request(Payload):
    args: dict[str, Any] = {}
    ts: float = 0.0


class Response(Payload):
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorInfo | None = None


class Command(Payload):
    """Center → terminal; never retained, idempotent by `command_id`.

    It expires by a relative time, never by a timestamp: the broker drops it after its MQTT v5
    Message Expiry Interval, and the terminal counts what is left of it (at most `ttl` seconds)
    from the moment it arrived, on its own monotonic clock. A terminal whose wall clock is off
    runs every command all the same (DESIGN.md §4.6)."""

    command_id: str = Field(min_length=8, max_length=64)
    args: dict[str, Any] = {}
    ttl: float = Field(gt=0, le=86_400)


class CommandResult(Payload):
    command_id: str
    name: str
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorInfo | None = None


class HallMessage(Payload):
    """What every screen may read (`hall/calls`, `hall/queue`, `hall/catalog`)."""

    ts: float
    data: dict[str, Any]


SCHEMAS: dict[Kind, type[Payload]] = {
    Kind.CENTER_STATUS: Status,
    Kind.STATUS: Status,
    Kind.BIRTH: Birth,
    Kind.DEV_STATE: DeviceStatePayload,
    Kind.DEV_TELE: Telemetry,
    Kind.EVENT: Event,
    Kind.REQUEST: Request,
    Kind.TERM_RES: CommandResult,
    Kind.ACK: Ack,
    Kind.CTL_RES: Response,
    Kind.COMMAND: Command,
    Kind.HALL: HallMessage,
}

P = TypeVar("P", bound=Payload)


def refuse_id_numbers(text: str, what: str) -> None:
    """The last gate before the wire (or the outbox): no ID-number-shaped value passes."""
    if ID_NUMBER_RE.search(text):
        raise PrivacyViolation(f"{what} carries an ID-number-shaped value")


def encode(payload: Payload) -> bytes:
    text = payload.model_dump_json()
    refuse_id_numbers(text, type(payload).__name__)
    return text.encode()


@overload
def decode(kind: Kind, data: bytes | bytearray, schema: type[P]) -> P: ...
@overload
def decode(kind: Kind, data: bytes | bytearray, schema: None = None) -> Payload: ...


def decode(kind: Kind, data: bytes | bytearray, schema: type[Payload] | None = None) -> Payload:
    """Parse a payload for `kind` (as `schema` when the caller needs its type); a misfit raises
    ContractError naming fields, never values."""
    model = schema or SCHEMAS[kind]
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        fields = ", ".join(
            f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['type']}"
            for e in exc.errors(include_input=False, include_url=False)[:3]
        )
        raise ContractError(f"bad {model.__name__} payload ({fields})") from None
