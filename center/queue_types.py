"""The queue's vocabulary: states, the rules a category brings, settings, and the plain
records the engine returns (frozen dataclasses, so callers cannot mistake them for live rows).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Protocol

from pydantic import AliasChoices, Field, model_validator

from core.config import ConfigModel


class TicketState(str, enum.Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    HELD = "held"
    CANCELLED = "cancelled"
    DAY_CLOSED = "day_closed"  # 闭馆未办结: still open when the day was closed (日终清场)
    UNPRINTED = "unprinted"    # 未出票: its kiosk never confirmed the print (no ghost tickets)


OPEN_TICKET_STATES = (TicketState.WAITING, TicketState.CALLED, TicketState.SERVING, TicketState.HELD)


class WindowState(str, enum.Enum):
    CLOSED = "closed"
    IDLE = "idle"          # open, nobody at the counter
    CALLING = "calling"
    SERVING = "serving"
    PAUSED = "paused"


OPEN_WINDOW_STATES = (WindowState.IDLE, WindowState.CALLING, WindowState.SERVING)


class Tier(enum.IntEnum):
    """The first sort key of the queue (see docs/queue.md, "Order")."""

    APPOINTMENT = 0
    PRIORITY = 1
    NORMAL = 2


class CallKind(str, enum.Enum):
    CALL = "call"
    RECALL = "recall"
    CALL_BACK = "call_back"


class Channel(str, enum.Enum):
    KIOSK = "kiosk"
    COUNTER = "counter"      # issued by staff at a window or the front desk
    APPOINTMENT = "appointment"
    MOBILE = "mobile"
    PAD = "pad"              # a window's rating pad (评价器)
    QR = "qr"                # the QR code printed on the ticket
    WEB = "web"
    UNRATED = "unrated"      # not rated in time, counted by the province's rule (unrated_counts_as)


class CategoryLike(Protocol):
    """What the engine needs to know about a category; the catalog's categories fit it."""

    @property
    def code(self) -> str: ...
    @property
    def letter(self) -> str: ...
    @property
    def hours(self) -> Mapping[int, Sequence[tuple[time, time]]]: ...
    def periods(self, weekday: int) -> tuple[tuple[time, time], ...]: ...
    @property
    def daily_cap(self) -> int: ...
    @property
    def wait_target_min(self) -> float: ...


@dataclass(frozen=True)
class CategoryRules:
    """A category's queue rules.

    `hours` maps a weekday (0 = Monday) to its issuing intervals in local time; a weekday
    that is missing issues no numbers. Numbers have three digits, so a cap above 999 is 999.
    """

    code: str
    letter: str
    hours: Mapping[int, Sequence[tuple[time, time]]]
    daily_cap: int = 999
    wait_target_min: float = 30.0

    def periods(self, weekday: int) -> tuple[tuple[time, time], ...]:
        """The weekly periods of a weekday, as the hall calendar asks (core.calendar.Weekly)."""
        return tuple(self.hours.get(weekday, ()))


DEFAULT_PRIORITY_GROUPS = {"elderly": "老年人", "disabled": "残疾人", "pregnant": "孕妇", "military": "军人"}


@dataclass(frozen=True)
class Fairness:
    """A window's fairness rule: `first` (after appointments) is called first, and after `run`
    calls of it in a row the oldest ticket of the other tier waiting is owed the next call."""

    first: Tier
    run: int

    @property
    def other(self) -> Tier:
        return Tier.NORMAL if self.first is Tier.PRIORITY else Tier.PRIORITY


class QueueSettings(ConfigModel):
    """The `[queue]` section of the center's config."""

    timezone: str = "Asia/Shanghai"
    # One of the two fairness forms (docs/queue.md, "Order"); `priority_ratio` is the first's old name.
    priority_run: int = Field(3, ge=1, validation_alias=AliasChoices("priority_run", "priority_ratio"),
                              description="k: priority first; after k priority calls in a row, one normal is owed")
    normal_run: int | None = Field(None, ge=1, description="n: normal first; after n normal calls in a row, one"
                                                           " priority is owed (replaces priority_run)")
    reactivate_within_min: float = Field(30, ge=0, description="过号: back at the window within this long; 0:"
                                                             " 过号需重新取号")
    reactivate_after_tickets: int = Field(0, ge=0, description="a reactivated no-show waits behind the next N"
                                                               " tickets of its category; 0: its original place")
    checkin_early_min: float = Field(30, ge=0, description="how long before its slot an appointment may check in")
    checkin_late_min: float = Field(0, ge=0, description="grace after the slot's end")
    slot_capacity: int = Field(10, ge=1, description="appointments per category and slot")
    slot_capacity_by_category: dict[str, int] = Field(
        default_factory=dict, description="category → appointments per slot, where it differs from slot_capacity")
    change_until_min: float = Field(60, ge=0, description="a booking may be cancelled or moved until this long"
                                                          " before its slot starts")
    default_service_min: float = Field(5, gt=0, description="service time assumed before any is learnt")
    learn_window: int = Field(30, ge=1, description="a category's last services (of earlier days) its estimates"
                                                     " start from before its first service of the day")
    queue_alert_length: int = Field(30, ge=1)
    window_idle_alert_min: float = Field(3, ge=0)
    follow_up_working_days: int = Field(5, ge=1)
    day_close_after_min: float = Field(60, ge=0, description="日终清场 this long after the day's last issuing period"
                                                              " (at the latest at midnight)")
    priority_groups: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_PRIORITY_GROUPS), min_length=1,
        description="绿色通道: code → the group's name on the ticket; only these go ahead of the queue")
    live_numbers_per_citizen: int | None = Field(None, ge=1, description="numbers one citizen (by card) may hold"
                                                 " at once in a category; unset: no limit")
    unrated_counts_as: int | None = Field(None, ge=1, le=5, description="a province's rule (e.g. Guangdong: 3,"
                                          " 基本满意): a service left unrated counts as this level; unset: stays unrated")
    unrated_after_days: int = Field(7, ge=1, description="…once this many days have passed since it ended")
    pad_rating_within_min: float = Field(10, gt=0, description="a window's rating pad rates the service that"
                                                               " ended there at most this long ago")
    print_confirm_s: float = Field(20, gt=0, description="a kiosk's ticket not confirmed printed this long after"
                                                         " its issue is closed 未出票, never called (hall time)")

    @model_validator(mode="after")
    def _one_fairness_form(self) -> QueueSettings:
        """Two forms set at once would leave the hall guessing which one its windows follow."""
        if self.normal_run is not None and "priority_run" in self.model_fields_set:
            raise ValueError("set priority_run (k priority, then 1 normal) or normal_run (n normal, then 1 priority),"
                             " not both")
        return self

    @property
    def fairness(self) -> Fairness:
        if self.normal_run is not None:
            return Fairness(Tier.NORMAL, self.normal_run)
        return Fairness(Tier.PRIORITY, self.priority_run)


@dataclass(frozen=True)
class Ticket:
    id: int
    number: str
    category: str
    state: TicketState
    tier: Tier
    channel: str
    issued_at: float
    priority: str | None = None
    item_code: str | None = None
    window: str | None = None
    recalls: int = 0
    appointment_id: int | None = None
    day: str = ""  # the local date of issue: numbers repeat from day to day, ids never
    ref: str | None = field(default=None, repr=False, metadata={"private": True})  # how its kiosk names it
    terminal: str | None = None  # the kiosk that issued it


@dataclass(frozen=True)
class Transition:
    """One line of a ticket's history: every transition is kept with its time."""

    action: str
    from_state: str | None
    to_state: str
    at: float
    window: str | None
    staff: str | None
    detail: str | None


@dataclass(frozen=True)
class Call:
    """One call, as the screens and the voice announce it (one row in `announcements`)."""

    announcement_id: int
    ticket_id: int
    number: str
    category: str
    window: str
    window_name: str
    kind: CallKind
    at: float


@dataclass(frozen=True)
class CaseStep:
    state: str
    at: float
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Case:
    case_no: str
    state: str
    item_code: str | None
    category: str
    window: str
    ticket_number: str
    created_at: float
    updated_at: float
    steps: tuple[CaseStep, ...] = ()


@dataclass(frozen=True)
class Finished:
    """What `finish` returns: the service to rate and the case it may have opened."""

    ticket: Ticket
    service_id: int
    case: Case | None = None


@dataclass(frozen=True)
class Estimate:
    """Wait for someone joining `category` now, as a range of whole minutes.

    `low_min`/`high_min` are None when no open window serves the category.
    """

    category: str
    ahead: int
    open_windows: int
    service_s: float
    expected_s: float | None
    low_min: int | None
    high_min: int | None


@dataclass(frozen=True)
class TicketView:
    """查: a citizen's place in the queue."""

    ticket: Ticket
    ahead: int
    last_called: str | None
    estimate: Estimate


@dataclass(frozen=True)
class CategorySummary:
    category: str
    issued: int
    waiting: int
    longest_wait_s: float
    last_called: str | None
    open_windows: int
    estimate: Estimate
    day_closed: int = 0  # today's tickets closed 闭馆未办结 by the day close


@dataclass(frozen=True)
class WindowView:
    code: str
    name: str
    state: WindowState
    categories: tuple[str, ...]
    staff: str | None
    ticket_number: str | None
    ticket_id: int | None  # the ticket being called or served: look it up by this, never by number
    pause_reason: str | None
    since: float


@dataclass(frozen=True)
class DayClose:
    """What one 日终清场 did: the tickets closed 闭馆未办结 and the windows signed out."""

    day: str  # the last local day closed (earlier days are closed with it)
    tickets: tuple[Ticket, ...] = ()
    windows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Appointment:
    id: int
    code: str
    category: str
    item_code: str | None
    slot_start: float
    slot_end: float
    state: str
    ticket: Ticket | None = None
    # At a check-in, the moment's place against the slot (appointments.Timing: "early" — the
    # ticket waits for the slot's start —, "in_slot" or "late", inside the grace); else None.
    timing: str | None = None


@dataclass(frozen=True)
class Rating:
    id: int
    service_id: int
    ticket_number: str
    level: int
    reasons: tuple[str, ...]
    channel: str
    window: str
    staff: str | None
    case_no: str | None
    item_code: str | None
    department: str | None
    at: float
    follow_up_id: int | None = None
    dimensions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FollowUpStep:
    kind: str
    at: float
    by: str | None
    note: str | None


@dataclass(frozen=True)
class FollowUp:
    id: int
    rating_id: int
    state: str
    deadline: float
    opened_at: float
    closed_at: float | None
    steps: tuple[FollowUpStep, ...]


@dataclass(frozen=True)
class Alert:
    kind: str
    key: str
    text: str
    active: bool
    raised_at: float
    last_at: float
    count: int
    acked_at: float | None
    acked_by: str | None
