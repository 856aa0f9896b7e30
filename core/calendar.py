"""The hall calendar: which local dates are working days, and with which hours.

The catalog's weekly hours say when numbers are issued on an ordinary week; the calendar
overrides them by date, because a hall follows the State Council's holiday schedule
(法定节假日 and their 调休 make-up working days) and its own special days (闭馆, 半天).
Precedence, strongest first: a hall's special day, a public holiday, a make-up working day
(the hours of `makeup_hours_as`, Monday's by default), then the weekday's own hours.

The schedules are data (config/calendar/cn-YYYY.toml, docs/calendar.md); a year the State
Council has not yet announced is shipped `provisional` and listed in `provisional_years`, so
the center can warn. Pure: no I/O but reading the files in `load_calendar`; terminals
rebuild the same calendar from the catalog snapshot (`to_snapshot`/`from_snapshot`).
"""
from __future__ import annotations

import enum
import glob
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import Field, model_validator

from core.catalog_model import WEEKDAYS, Hours, Text, parse_hours
from core.config import ConfigModel, load_config, parse_config
from core.errors import ConfigError
from core.paths import PROJECT_ROOT

Periods = tuple[tuple[time, time], ...]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HORIZON_DAYS = 45  # next_opening looks this far ahead: past the 9-day 春节 break and more
SNAPSHOT_SOURCE = "calendar snapshot"
MAX_BREAK_DAYS = 14  # the longest break, 春节, is 9 days: a longer one is a typo


class Weekly(Protocol):
    """Weekly issuing hours (the catalog's `WeeklyHours`, the engine's category rules)."""

    def periods(self, weekday: int) -> Periods: ...


class DayKind(str, enum.Enum):
    WORKDAY = "workday"    # an ordinary Monday–Friday
    WEEKEND = "weekend"    # an ordinary Saturday or Sunday (weekly hours may still open it)
    HOLIDAY = "holiday"    # 法定节假日, weekends inside the break included
    MAKEUP = "makeup"      # 调休上班: a weekend day worked with a weekday's hours
    SPECIAL = "special"    # the hall's own hours that day (半天…)
    CLOSED = "closed"      # the hall's own closure (闭馆)


class ClosedWhy(str, enum.Enum):
    """Why no numbers are issued at a moment: each screen words it in its own language."""

    HOLIDAY = "holiday"              # 法定节假日 (with its name)
    CLOSURE = "closure"              # the hall's own closure (with its name)
    WEEKEND = "weekend"              # an ordinary weekend day without issuing hours
    NO_HOURS = "no_hours"            # a working day without issuing hours for these categories
    OUTSIDE_HOURS = "outside_hours"  # issuing today, but not at this time


WHY_ZH: dict[ClosedWhy, str] = {
    ClosedWhy.HOLIDAY: "今天是法定节假日（{name}），暂停取号", ClosedWhy.CLOSURE: "今天闭馆（{name}），暂停取号",
    ClosedWhy.WEEKEND: "今天是周末，暂停取号", ClosedWhy.NO_HOURS: "今天不办理取号",
    ClosedWhy.OUTSIDE_HOURS: "现在不在取号时间",
}


class Holiday(ConfigModel):
    name: Text
    first: date
    last: date


class MakeupDay(ConfigModel):
    date: date
    name: Text


class CalendarFile(ConfigModel):
    """One year of the State Council's schedule (config/calendar/cn-YYYY.toml)."""

    year: int = Field(ge=2000, le=2100)
    source: str = ""
    provisional: bool = False  # not yet the State Council's notice: replace it when published
    holidays: tuple[Holiday, ...] = ()
    makeup_days: tuple[MakeupDay, ...] = ()


class SpecialDay(ConfigModel):
    """`[[calendar.special]]` of the hall's config: a closure or the day's own hours."""

    date: date
    kind: Literal["closed", "hours"]
    hours: Hours = ""  # with kind = "hours": replaces every category's periods that day
    name: Text

    @model_validator(mode="after")
    def _hours_match_kind(self) -> SpecialDay:
        if (self.kind == "hours") != bool(parse_hours(self.hours)):
            raise ValueError('kind = "hours" with hours like "08:30-12:00", or kind = "closed" without hours')
        return self


class CalendarSettings(ConfigModel):
    """The `[calendar]` section of the center's config."""

    files: tuple[str, ...] = ("config/calendar/*.toml",)  # globs, relative to the working directory
    makeup_hours_as: Weekday = "mon"
    special: tuple[SpecialDay, ...] = ()


@dataclass(frozen=True)
class DayInfo:
    """What the calendar says of one date. `hours` replaces every category's periods when
    not None (() = no numbers at all); else the weekly hours of `hours_of` apply."""

    date: date
    kind: DayKind
    name: str
    hours: Periods | None
    hours_of: int  # the weekday (0 = Monday) whose weekly hours apply

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP, DayKind.SPECIAL)


def _check(source: str, part: CalendarFile) -> list[str]:
    """The rules within one year's file, one line each (file, key, value, expectation)."""
    broken = []
    for i, h in enumerate(part.holidays):
        if not (h.first <= h.last <= h.first + timedelta(MAX_BREAK_DAYS) and h.first.year <= part.year <= h.last.year):
            broken.append(f"{source}: holidays.{i}.last = {h.last.isoformat()!r}: a break of {part.year} ending "
                          f"on or after its first day ({h.first}), at most {MAX_BREAK_DAYS} days later")
    for i, m in enumerate(part.makeup_days):
        if m.date.year != part.year or m.date.weekday() < 5:
            broken.append(f"{source}: makeup_days.{i}.date = {m.date.isoformat()!r}: "
                          f"a Saturday or Sunday of {part.year} (调休上班 makes a weekend day a working day)")
    return broken


class HallCalendar:
    """Working days and their hours by local date; see the module's docstring."""

    def __init__(self, parts: Sequence[tuple[str, CalendarFile]] = (), special: Iterable[SpecialDay] = (),
                 makeup_hours_as: Weekday = "mon") -> None:
        """Check the years (one `ConfigError` listing every broken rule) and index them."""
        self.parts = tuple(p for _, p in parts)
        self.special = tuple(special)
        self.makeup_hours_as = makeup_hours_as
        self._holidays: dict[date, str] = {}
        self._makeup: dict[date, str] = {}
        self._special = {s.date: s for s in self.special}
        broken: list[str] = []
        years: dict[int, str] = {}
        for source, part in parts:
            broken += _check(source, part)
            if part.year in years:
                broken.append(f"{source}: year = {part.year}: one file per year ({years[part.year]} has it too)")
            years[part.year] = source
            for h in part.holidays:
                self._holidays.update({h.first + timedelta(n): h.name for n in range((h.last - h.first).days + 1)})
            for i, m in enumerate(part.makeup_days):
                if m.date in self._holidays:
                    broken.append(f"{source}: makeup_days.{i}.date = {m.date.isoformat()!r}: "
                                  f"a day outside the holidays ({self._holidays[m.date]})")
                self._makeup[m.date] = m.name
        if len(self._special) != len(self.special):
            broken.append("calendar.special: one entry per date")
        if broken:
            raise ConfigError("\n".join(broken))

    @property
    def years(self) -> tuple[int, ...]:
        """The years with a State Council schedule (provisional ones included)."""
        return tuple(sorted(p.year for p in self.parts))

    @property
    def provisional_years(self) -> tuple[int, ...]:
        """Years whose file is not yet the State Council's notice (no 调休 in it)."""
        return tuple(sorted(p.year for p in self.parts if p.provisional))

    # -- what a date is ---------------------------------------------------------------------

    def day(self, on: date) -> DayInfo:
        special = self._special.get(on)
        if special is not None:
            kind = DayKind.CLOSED if special.kind == "closed" else DayKind.SPECIAL
            return DayInfo(on, kind, special.name, parse_hours(special.hours), on.weekday())
        if on in self._holidays:
            return DayInfo(on, DayKind.HOLIDAY, self._holidays[on], (), on.weekday())
        if on in self._makeup:
            return DayInfo(on, DayKind.MAKEUP, self._makeup[on], None, WEEKDAYS.index(self.makeup_hours_as))
        kind = DayKind.WEEKEND if on.weekday() >= 5 else DayKind.WORKDAY
        return DayInfo(on, kind, "", None, on.weekday())

    def add_working_days(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (a 承诺时限 counts from the day after
        acceptance); 0 is `start` itself (即办)."""
        on = start
        while days > 0:
            on += timedelta(1)
            days -= self.day(on).working
        return on

    def periods(self, on: date, weekly: Weekly) -> Periods:
        """The issuing periods of a category with these weekly hours on this date."""
        info = self.day(on)
        return info.hours if info.hours is not None else tuple(weekly.periods(info.hours_of))

    def is_open(self, weekly: Weekly, at: datetime) -> bool:
        now = at.time()
        return any(start <= now < end for start, end in self.periods(at.date(), weekly))

    def next_opening(self, weekly: Weekly, at: datetime, horizon_days: int = HORIZON_DAYS) -> datetime | None:
        """The next moment after `at` (local, aware) numbers are issued, or None within the horizon."""
        for offset in range(horizon_days + 1):
            on = at.date() + timedelta(days=offset)
            for start, _end in sorted(self.periods(on, weekly)):
                opening = datetime.combine(on, start, tzinfo=at.tzinfo)
                if opening > at:
                    return opening
        return None

    def last_closing(self, on: date, weeklies: Iterable[Weekly]) -> time | None:
        """When the last issuing period of the day ends across these categories (None: no numbers)."""
        return max((end for w in weeklies for _start, end in self.periods(on, w)), default=None)

    def closed_why(self, weeklies: Iterable[Weekly], at: datetime) -> tuple[ClosedWhy, str]:
        """Why these categories issue no numbers at `at` (local, aware), and the day's name."""
        info = self.day(at.date())
        if info.kind is DayKind.HOLIDAY:
            return ClosedWhy.HOLIDAY, info.name
        if info.kind is DayKind.CLOSED:
            return ClosedWhy.CLOSURE, info.name
        if not any(self.periods(at.date(), w) for w in weeklies):
            return (ClosedWhy.WEEKEND if info.kind is DayKind.WEEKEND else ClosedWhy.NO_HOURS), ""
        return ClosedWhy.OUTSIDE_HOURS, ""

    def closed_notice(self, weekly: Weekly, at: datetime) -> str:
        """What a citizen reads when numbers are refused at `at`, in Chinese: why, and when next."""
        why, name = self.closed_why([weekly], at)
        opening = self.next_opening(weekly, at)
        when = f"下次开放：{opening.month}月{opening.day}日 {opening:%H:%M}" if opening else "近期暂无开放安排"
        return f"{WHY_ZH[why].format(name=name)}。{when}"

    # -- snapshot ---------------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-ready: the years and the hall's special days, so a terminal needs no file."""
        return {"years": [p.model_dump(mode="json") for p in self.parts],
                "special": [s.model_dump(mode="json") for s in self.special],
                "makeup_hours_as": self.makeup_hours_as}

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> HallCalendar:
        data = dict(snapshot)
        years = data.pop("years", [])
        settings = parse_config({**data, "files": []}, CalendarSettings, SNAPSHOT_SOURCE, environ={})
        if not isinstance(years, list):
            raise ConfigError(f"{SNAPSHOT_SOURCE}: years = {years!r}: a list of years")
        parts = [(f"{SNAPSHOT_SOURCE} years.{i}", parse_config(dict(y), CalendarFile, f"{SNAPSHOT_SOURCE} years.{i}",
                                                                 environ={})) for i, y in enumerate(years)]
        return cls(parts, settings.special, settings.makeup_hours_as)


def load_calendar(settings: CalendarSettings, base: Path | None = None) -> HallCalendar:
    """Read every file the settings' globs match (relative globs from `base`, default the
    working directory); a glob matching nothing is a `ConfigError`, so a typo is not a
    silently empty calendar."""
    parts: list[tuple[str, CalendarFile]] = []
    broken: list[str] = []
    for i, pattern in enumerate(settings.files):
        full = pattern if Path(pattern).is_absolute() else str((base or Path.cwd()) / pattern)
        files = sorted(glob.glob(full))
        if not files:
            broken.append(f"calendar.files.{i} = {pattern!r}: a glob matching calendar files (none match {full})")
        for file in files:
            try:
                parts.append((file, load_config(file, CalendarFile, environ={})))
            except ConfigError as exc:
                broken.append(str(exc))
    if broken:
        raise ConfigError("\n".join(broken))
    return HallCalendar(parts, settings.special, settings.makeup_hours_as)


@lru_cache(maxsize=1)
def shipped_calendar() -> HallCalendar:
    """The State Council schedules shipped in config/calendar/, for code given no hall config
    (tools, the demo's start day, engines built without a calendar)."""
    return load_calendar(CalendarSettings(), base=PROJECT_ROOT)
