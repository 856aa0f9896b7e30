"""The hall instants of the date sweep (tests/README.md): every time-dependent test runs at each.

A test joins the sweep by taking the `hall_instant` fixture (tests/conftest.py) and building
its clock from it (`FakeClock.set(instant.at)` or `ClockSettings(start=instant.at)`), then
expecting what the hall calendar says of that instant — never what the real day happens to be.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class HallInstant:
    name: str
    at: datetime
    note: str


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)


FIXED: tuple[HallInstant, ...] = (
    HallInstant("weekday-0829", _at(2026, 11, 23, 8, 29), "Monday, a minute before numbers are issued"),
    HallInstant("weekday-1659", _at(2026, 11, 25, 16, 59), "Wednesday, the last minute of issuing"),
    HallInstant("saturday", _at(2026, 11, 28, 10, 0), "an ordinary Saturday (only 出入境 issues)"),
    HallInstant("holiday", _at(2026, 10, 1, 10, 0), "国庆节, a public holiday on a Thursday"),
    HallInstant("tiaoxiu-sunday", _at(2026, 9, 20, 10, 0), "Sunday worked in lieu of 国庆 (调休上班)"),
    HallInstant("midnight", _at(2026, 11, 24, 23, 59, 50), "ten seconds before the day closes at 00:00"),
)


def real_now() -> HallInstant:
    return HallInstant("now", datetime.fromtimestamp(time.time(), TZ), "the real now of this run")


def all_instants() -> tuple[HallInstant, ...]:
    return (*FIXED, real_now())


def by_name(name: str) -> HallInstant:
    """`--hall-instant NAME` or an ISO time (Asia/Shanghai when it has no offset)."""
    for instant in all_instants():
        if instant.name == name:
            return instant
    at = datetime.fromisoformat(name)
    return HallInstant(name, at if at.tzinfo else at.replace(tzinfo=TZ), "given on the command line")
