"""Constants and helpers the queue tests share: the hall's time zone, its issuing hours,
a Monday morning to start from, and the categories A, B (cap 5) and C."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from center.queue_types import CategoryRules

TZ = ZoneInfo("Asia/Shanghai")
HOURS = {d: ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 0))) for d in range(5)}  # Mon–Fri
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def local(*args: int) -> float:
    """Epoch seconds of a local (Asia/Shanghai) date and time."""
    return datetime(*args, tzinfo=TZ).timestamp()  # type: ignore[misc]


def make_categories() -> list[CategoryRules]:
    return [
        CategoryRules("A", "A", HOURS, daily_cap=999, wait_target_min=20),
        CategoryRules("B", "B", HOURS, daily_cap=5, wait_target_min=30),
        CategoryRules("C", "C", HOURS, daily_cap=999, wait_target_min=30),
    ]
