"""The shapes inside the envelopes: each request's args and result, each event's data and
each command's args, typed.

The envelope (`Request`, `Event`) is checked by mqtt/contract.py; what it carries is checked
here, at the center's border, before any handler runs. A misfit is an `InvalidArgs` naming
the fields in Chinese (never their values), so the terminal and the citizen learn what was
wrong and the center logs no traceback for bad input. The terminal builds the same models,
so both sides share one shape per message; a request's result (core/answers.py) is checked
by the center before it is sent and by the terminal when it arrives, and a command's args
(`COMMANDS`) by the center before it publishes and by the terminal before it acts, and a
hall channel's data (`HALL`) by the center before it publishes and by each reader.
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.answers import (
    CASE_NUMBER,
    LETTER,
    REF,
    TICKET_NUMBER,
    Answer,
    CasesAnswer,
    CheckInAnswer,
    PrintedMaterial,
    TicketAnswer,
)
from core.errors import OneTripError
from mqtt.contract import ContractError

CITIZEN_KEY = r"^[0-9a-f]{32}$"         # core.privacy.citizen_key: a keyed hash, never an ID number
CODE = r"^[A-Za-z0-9_.-]{1,64}$"        # catalog codes, appointment codes, window codes
TICKET_TOKEN = r"^t[A-Za-z0-9_-]{16,64}\.[0-9a-z]{1,13}\.[A-Za-z0-9_-]{16,32}$"  # the ticket QR's (center/tokens.py)
SLUG = r"^[a-z0-9_]{1,32}$"             # a life event's question ids and option values

FIELD_NAMES = {
    "category": "业务类别", "channel": "渠道", "citizen_key": "身份凭证", "priority": "绿色通道类别",
    "item_code": "事项编码", "code": "预约码", "case_number": "办件编号", "ticket": "排队号",
    "ticket_id": "票号", "ticket_ref": "票据凭证", "number": "排队号", "reason": "原因", "window": "窗口",
    "level": "评价等级", "reasons": "差评原因", "key": "按键", "digit": "数字", "location": "位置",
    "topic": "帮办事项", "refused": "拒收次数", "answers": "情形选择", "ticket_token": "号码票二维码",
}


class InvalidArgs(OneTripError):
    """A request's args or an event's data do not fit their shape; nothing was changed."""


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TakeNumber(Shape):
    category: str = Field(pattern=LETTER)
    channel: Literal["kiosk", "counter", "mobile", "web"] = "kiosk"
    citizen_key: str | None = Field(None, pattern=CITIZEN_KEY)
    priority: str | None = Field(None, pattern=CODE)  # checked against the hall's 绿色通道 list by the center
    item_code: str | None = Field(None, pattern=CODE)  # checked against the catalog by the center
    # a life event's answers (question id → option value): its list is merged for them, as on the screen
    answers: dict[Annotated[str, Field(pattern=SLUG)], Annotated[str, Field(pattern=SLUG)]] = Field(
        {}, max_length=32)


class CheckIn(Shape):
    code: str | None = Field(None, pattern=CODE)
    citizen_key: str | None = Field(None, pattern=CITIZEN_KEY)

    @model_validator(mode="after")
    def _one_way(self) -> "CheckIn":
        if not self.code and not self.citizen_key:
            raise ValueError("需要预约码或身份证")
        return self


class LookupCase(Shape):
    case_number: str | None = Field(None, pattern=CASE_NUMBER)
    citizen_key: str | None = Field(None, pattern=CITIZEN_KEY)

    @model_validator(mode="after")
    def _one_way(self) -> "LookupCase":
        if not self.case_number and not self.citizen_key:
            raise ValueError("需要办件编号或身份证")
        return self


class TicketPrinted(Shape):
    ticket_ref: str = Field(pattern=REF)
    number: str = Field(pattern=TICKET_NUMBER)


class TicketCancelled(Shape):
    ticket_ref: str = Field(pattern=REF)
    number: str = Field(pattern=TICKET_NUMBER)
    reason: str = Field("cancelled", max_length=200)


class RatingGiven(Shape):
    """One rating, of exactly one service: the pad's window, a ticket number, the ticket's QR
    (`ticket_token`, scanned at the kiosk) or a case number. A typed ticket number counts
    only with the `citizen_key` of the card that took it (the center checks)."""

    level: int = Field(ge=1, le=5, strict=True)
    channel: Literal["kiosk", "pad", "qr", "mobile", "web"] = "pad"
    window: str | None = Field(None, pattern=CODE)
    ticket: str | None = Field(None, pattern=TICKET_NUMBER)
    case_number: str | None = Field(None, pattern=CASE_NUMBER)
    ticket_token: str | None = Field(None, pattern=TICKET_TOKEN)
    reasons: tuple[str, ...] = Field((), max_length=10)
    citizen_key: str | None = Field(None, pattern=CITIZEN_KEY)

    @field_validator("window", mode="before")
    @classmethod
    def _window_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("reasons")
    @classmethod
    def _reasons(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(len(r) > 100 for r in value):
            raise ValueError("每条差评原因最多 100 字")
        return tuple(r.strip() for r in value if r.strip())

    @model_validator(mode="after")
    def _one_service(self) -> "RatingGiven":
        if sum(x is not None for x in (self.window, self.ticket, self.ticket_token, self.case_number)) != 1:
            raise ValueError("须指明一次服务：窗口、排队号、号码票二维码或办件编号之一")
        return self


class CallerKey(Shape):
    window: str = Field(pattern=CODE)
    key: str = Field(pattern=CODE)
    digit: int | None = Field(None, ge=0, le=9)

    @field_validator("window", mode="before")
    @classmethod
    def _window_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class HelpRequested(Shape):
    location: str = Field(max_length=100)
    topic: str = Field("", max_length=60)


class OutboxOverflow(Shape):
    refused: int = Field(ge=0)


# ---- commands (center → terminal): each command's args ------------------------------------------
class WindowCommand(Shape):
    """A command for one window's devices on a bus terminal (its LED screen, caller, rating pad)."""

    window: int = Field(ge=1, le=999)


class ShowNumber(WindowCommand):
    number: str | None = Field(None, pattern=TICKET_NUMBER)  # None: the screen goes idle (hall time)
    waiting: int | None = Field(None, ge=0)


class HelpComing(Shape):
    case_id: int = Field(ge=1)
    helper_name: str = Field("", max_length=40)


class SetMaintenance(Shape):
    enter: bool


class RestartDriver(Shape):
    device: str = Field(pattern=CODE)


class PrintTicket(Shape):
    """A reprint from the center: the ticket as the center answered it, keyed by its job id."""

    job_id: str = Field(pattern=CODE)
    ticket: TicketAnswer


class PrintChecklist(Shape):
    job_id: str = Field(pattern=CODE)
    service: str = Field(min_length=1, max_length=100)
    qr: str = ""
    materials: tuple[PrintedMaterial, ...] = ()
    notice: str = ""


class TestPage(Shape):
    job_id: str | None = Field(None, pattern=CODE)


class NoArgs(Shape):
    pass


COMMANDS: dict[str, type[Shape]] = {
    "display": ShowNumber, "beep": WindowCommand, "start_rating": WindowCommand, "help_coming": HelpComing,
    "maintenance": SetMaintenance, "restart_driver": RestartDriver, "rebirth": NoArgs,
    "print_ticket": PrintTicket, "print_checklist": PrintChecklist, "test_page": TestPage,
}

# ---- hall channels (center → every screen): what `hall/queue`, `hall/calls`, `hall/catalog` carry ----
class HallEstimate(Shape):
    category: str = Field(pattern=LETTER)
    ahead: int = Field(ge=0)
    open_windows: int = Field(ge=0)
    service_s: float = Field(ge=0)
    expected_s: float | None = None
    low_min: int | None = None      # None: no open window serves the category
    high_min: int | None = None


class QueueCategory(Shape):
    """One category on the hall's boards: the day's counts and the next number's estimate."""

    category: str = Field(pattern=LETTER)
    name: str
    issued: int = Field(ge=0)
    waiting: int = Field(ge=0)
    longest_wait_s: float = Field(ge=0)
    last_called: str | None = None
    open_windows: int = Field(ge=0)
    estimate: HallEstimate
    day_closed: int = Field(0, ge=0)


class HallWindow(Shape):
    code: str = Field(pattern=CODE)
    name: str
    state: Literal["closed", "idle", "calling", "serving", "paused"]
    categories: tuple[str, ...]
    staff: str | None = None
    ticket_number: str | None = None
    ticket_id: int | None = None
    pause_reason: str | None = None
    since: float


class HallQueue(Shape):
    categories: tuple[QueueCategory, ...]
    windows: tuple[HallWindow, ...] = ()


class HallCall(Shape):
    """A number called to a window: the screens show it, the display says it."""

    announcement_id: int = Field(ge=1)
    ticket_id: int = Field(ge=1)
    number: str = Field(pattern=TICKET_NUMBER)
    category: str = Field(pattern=LETTER)
    window: str = Field(pattern=CODE)
    window_name: str
    kind: Literal["call", "recall", "call_back"]
    at: float


class HallCatalog(Shape):
    """The catalog snapshot (core/catalog.py `to_snapshot`); core/catalog_model.py reads the rest."""

    model_config = ConfigDict(extra="allow", frozen=True)
    format: int
    hash: str = Field(min_length=1)


HALL: dict[str, type[Shape]] = {"queue": HallQueue, "calls": HallCall, "catalog": HallCatalog}


def hall_data(channel: str, data: Any) -> dict[str, Any]:
    """A hall channel's data as its shape lets it through; a misfit is a ContractError (the
    reader keeps what it had, and the link counts the message rejected)."""
    try:
        return HALL[channel].model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        raise ContractError(f"hall/{channel}: {exc.error_count()} fields do not fit {HALL[channel].__name__}") from None

REQUESTS: dict[str, type[Shape]] = {"take_number": TakeNumber, "check_in": CheckIn, "lookup_case": LookupCase}
RESULTS: dict[str, type[Answer]] = {"take_number": TicketAnswer, "check_in": CheckInAnswer, "lookup_case": CasesAnswer}
EVENTS: dict[str, type[Shape]] = {
    "ticket_printed": TicketPrinted, "ticket_cancelled": TicketCancelled, "rating": RatingGiven,
    "caller_key": CallerKey, "help_requested": HelpRequested, "outbox_overflow": OutboxOverflow,
}

S = TypeVar("S", bound=Shape)


def parse(shape: type[S], data: Any) -> S:
    """`data` as `shape`, or InvalidArgs naming each misfit field in Chinese (values never)."""
    if not isinstance(data, dict):
        raise InvalidArgs("参数格式有误：应为一个对象")
    try:
        return shape.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False)[:4]:
            field = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
            if not field:
                problems.append(str(error.get("ctx", {}).get("error", "")) or error["type"])
            elif error["type"] == "extra_forbidden":
                problems.append(f"多余的字段 {field}")
            elif error["type"] == "missing":
                problems.append(f"缺少{FIELD_NAMES.get(field, field)}（{field}）")
            else:
                problems.append(f"{FIELD_NAMES.get(field, field)}（{field}）不符合要求")
        raise InvalidArgs("参数有误：" + "；".join(problems)) from None
