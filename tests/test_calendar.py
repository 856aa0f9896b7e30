"""The hall calendar: the shipped State Council schedules (2026 cross-checked against the
chinesecalendar package), the hall's special days, config errors, the snapshot terminals
rebuild it from, and issuing decided by date at every instant of the date sweep."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from center.catalog_load import load_catalog
from center.config import CenterConfig
from center.queue import QueueEngine
from center.queue_errors import NotIssuingNow
from center.service import category_rules
from core.calendar import (
    CalendarSettings,
    DayKind,
    HallCalendar,
    SpecialDay,
    load_calendar,
    shipped_calendar,
)
from core.catalog import Catalog
from core.catalog_model import WeeklyHours
from core.clock import FakeClock
from core.config import load_config
from core.errors import ConfigError
from core.paths import CONFIG_DIR
from kiosk.guides import closed_reason
from kiosk.i18n import Translator
from tests.hall_instants import TZ, HallInstant

pytest_plugins = ["tests.queue_fixtures"]

DAY_HOURS = "08:30-12:00,13:30-17:00"
WEEKDAYS = WeeklyHours(mon=DAY_HOURS, tue=DAY_HOURS, wed=DAY_HOURS, thu=DAY_HOURS, fri=DAY_HOURS)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)


# -- the shipped schedules ---------------------------------------------------------------

def test_2026_matches_the_chinesecalendar_package_day_by_day() -> None:
    """国办发明电〔2025〕7号 as chinesecalendar 1.11.0 has it: every date of 2026 agrees."""
    calendar = shipped_calendar()
    day, disagree = date(2026, 1, 1), []
    while day.year == 2026:
        info = calendar.day(day)
        holiday, _name = chinese_calendar.get_holiday_detail(day)
        expected_kind = (DayKind.HOLIDAY if holiday and _name else DayKind.WEEKEND if holiday
                         else DayKind.MAKEUP if day.weekday() >= 5 else DayKind.WORKDAY)
        if info.kind is not expected_kind or info.working != chinese_calendar.is_workday(day):
            disagree.append((day, info.kind, expected_kind))
        day += timedelta(days=1)
    assert disagree == []
    assert calendar.day(date(2026, 2, 15)).name == "春节" and calendar.day(date(2026, 10, 3)).name == "国庆节"


def test_2027_is_provisional_with_statutory_days_and_no_tiaoxiu() -> None:
    calendar = shipped_calendar()
    assert calendar.years == (2026, 2027) and calendar.provisional_years == (2027,)
    holidays = {d: calendar.day(d).name for d in (date(2027, 1, 1) + timedelta(n) for n in range(365))
                if calendar.day(d).kind is DayKind.HOLIDAY}
    assert len(holidays) == 13 and holidays[date(2027, 2, 5)] == "春节" and holidays[date(2027, 10, 3)] == "国庆节"
    assert not any(calendar.day(date(2027, 1, 1) + timedelta(n)).kind is DayKind.MAKEUP for n in range(365))
    assert "provisional = true" in (CONFIG_DIR / "calendar" / "cn-2027.toml").read_text(encoding="utf-8")


def test_kinds_and_the_hours_they_give() -> None:
    calendar = HallCalendar(
        [("x", shipped_calendar().parts[0])],
        [SpecialDay(date=date(2026, 12, 31), kind="hours", hours="08:30-12:00", name="年终盘点"),
         SpecialDay(date=date(2026, 11, 24), kind="closed", name="停电检修")],
        makeup_hours_as="fri",
    )
    saturday_too = WEEKDAYS.model_copy(update={"sat": "09:00-12:00", "fri": "09:00-16:00"})
    assert calendar.periods(date(2026, 11, 23), WEEKDAYS) == ((time(8, 30), time(12)), (time(13, 30), time(17)))
    assert calendar.periods(date(2026, 11, 28), saturday_too) == ((time(9), time(12)),)   # weekend, own hours
    assert calendar.periods(date(2026, 10, 3), saturday_too) == ()                         # holiday beats them
    assert calendar.periods(date(2026, 9, 20), saturday_too) == ((time(9), time(16)),)     # 调休 with Friday's
    assert calendar.day(date(2026, 12, 31)).kind is DayKind.SPECIAL
    assert calendar.periods(date(2026, 12, 31), saturday_too) == ((time(8, 30), time(12)),)
    assert calendar.day(date(2026, 11, 24)).kind is DayKind.CLOSED and not calendar.day(date(2026, 11, 24)).working
    assert calendar.closed_notice(WEEKDAYS, at(2026, 11, 24, 9)) == "今天闭馆（停电检修），暂停取号。下次开放：11月25日 08:30"
    assert calendar.last_closing(date(2026, 12, 31), [WEEKDAYS, saturday_too]) == time(12)
    assert calendar.last_closing(date(2026, 10, 1), [WEEKDAYS]) is None


def test_next_opening_crosses_the_spring_festival_and_national_day() -> None:
    calendar = shipped_calendar()
    assert calendar.next_opening(WEEKDAYS, at(2026, 2, 13, 17, 0)) == at(2026, 2, 14, 8, 30)  # 调休 Saturday
    assert calendar.next_opening(WEEKDAYS, at(2026, 2, 14, 17, 0)) == at(2026, 2, 24, 8, 30)  # nine days off
    assert calendar.closed_notice(WEEKDAYS, at(2026, 10, 1, 10, 0)) == \
        "今天是法定节假日（国庆节），暂停取号。下次开放：10月8日 08:30"
    assert calendar.closed_notice(WEEKDAYS, at(2026, 11, 28, 10, 0)) == "今天是周末，暂停取号。下次开放：11月30日 08:30"
    assert calendar.next_opening(WeeklyHours(), at(2026, 11, 23, 9)) is None


# -- config ------------------------------------------------------------------------------

def test_config_errors_name_the_file_the_key_and_what_was_expected(tmp_path: Path) -> None:
    bad = tmp_path / "cn-2030.toml"
    bad.write_text('year = 2030\nmakeup_days = [{ date = 2030-01-02, name = "x" }]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cn-2030.toml: makeup_days.0.date = '2030-01-02': a Saturday or Sunday"):
        load_calendar(CalendarSettings(files=(str(bad),)))
    with pytest.raises(ConfigError, match=r"calendar.files.0 = 'nowhere/\*.toml': a glob matching calendar files"):
        load_calendar(CalendarSettings(files=("nowhere/*.toml",)), base=tmp_path)
    hall = (CONFIG_DIR / "hall.toml").read_text(encoding="utf-8")
    for extra, message in [
        ('makeup_hours_as = "monday"', r"calendar.makeup_hours_as = 'monday': Input should be 'mon'"),
        ('[[calendar.special]]\ndate = 2026-12-31\nkind = "hours"\nname = "半天"',
         r"calendar.special.0 = .*kind = \"hours\" with hours like"),
        ('[[calendar.special]]\ndate = 2026-12-31\nkind = "hours"\nhours = "8:30-12"\nname = "半天"',
         r"calendar.special.0.hours = '8:30-12': Value error, periods like"),
    ]:
        path = tmp_path / "hall.toml"
        path.write_text(hall.replace('makeup_hours_as = "mon"', extra), encoding="utf-8")
        with pytest.raises(ConfigError, match=rf"hall.toml: {message}"):
            load_config(path, CenterConfig, environ={})


def test_the_hall_config_loads_the_shipped_files() -> None:
    config = load_config(CONFIG_DIR / "hall.toml", CenterConfig, environ={})
    assert config.calendar.makeup_hours_as == "mon" and config.queue.day_close_after_min == 60
    assert load_calendar(config.calendar, base=CONFIG_DIR.parent).years == (2026, 2027)


# -- terminals ---------------------------------------------------------------------------

def test_the_calendar_travels_in_the_catalog_snapshot() -> None:
    special = SpecialDay(date=date(2026, 12, 31), kind="hours", hours="08:30-12:00", name="年终盘点（半天）")
    calendar = HallCalendar([(str(i), p) for i, p in enumerate(shipped_calendar().parts)], [special])
    kiosk = Catalog.from_snapshot(load_catalog(calendar=calendar).to_snapshot())
    assert kiosk.calendar.to_snapshot() == calendar.to_snapshot() and kiosk.calendar.provisional_years == (2027,)
    assert not kiosk.any_issuing(at(2026, 10, 1, 10)) and kiosk.next_opening(None, at(2026, 10, 1, 10)) == at(
        2026, 10, 8, 8, 30)
    assert kiosk.is_issuing("A", at(2026, 9, 20, 10)) and not kiosk.is_issuing("A", at(2026, 12, 31, 14))
    zh, en = Translator("zh"), Translator("en")
    assert closed_reason(kiosk, None, at(2026, 10, 1, 10), zh) == "今天是法定节假日（国庆节），暂停取号"
    assert closed_reason(kiosk, "A", at(2026, 11, 28, 10), en) == "Weekend: no numbers today"
    assert closed_reason(kiosk, None, at(2026, 11, 28, 10), zh) is None  # 出入境 opens on Saturdays
    assert closed_reason(kiosk, "A", at(2026, 11, 25, 12, 30), zh) is None


# -- the date sweep ----------------------------------------------------------------------

EXPECTED = {  # instant → (A issuing?, next opening of A when not, what the citizen reads starts with)
    "weekday-0829": (False, at(2026, 11, 23, 8, 30), "现在不在取号时间"),
    "weekday-1659": (True, None, ""),
    "saturday": (False, at(2026, 11, 30, 8, 30), "今天是周末"),
    "holiday": (False, at(2026, 10, 8, 8, 30), "今天是法定节假日（国庆节）"),
    "tiaoxiu-sunday": (True, None, ""),
    "midnight": (False, at(2026, 11, 25, 8, 30), "现在不在取号时间"),
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_issuing_follows_the_calendar_at_every_instant(
    db: object, clock: FakeClock, catalog: Catalog, hall_instant: HallInstant,
) -> None:
    """The demo catalog's categories: numbers are issued exactly when the calendar says, and a
    refusal tells why and when next — for the fixed instants by hand, for any other from the
    calendar's data (the day's kind and a minute-by-minute search for the next opening)."""
    engine = QueueEngine(db, clock, category_rules(catalog))  # type: ignore[arg-type]
    calendar = engine.calendar
    now = hall_instant.at.astimezone(TZ)
    clock.set(now)
    for rules in category_rules(catalog):
        info = calendar.day(now.date())
        weekly = catalog.category(rules.code).hours
        assert weekly is not None
        periods = () if info.kind in (DayKind.HOLIDAY, DayKind.CLOSED) else weekly.periods(info.hours_of)
        open_now = any(s <= now.time() < e for s, e in periods)
        if hall_instant.name in EXPECTED and rules.code == "A":
            assert open_now == EXPECTED[hall_instant.name][0]
        if open_now:
            assert engine.issue_ticket(rules.code, "kiosk").number.startswith(rules.code)
            continue
        with pytest.raises(NotIssuingNow) as refused:
            engine.issue_ticket(rules.code, "kiosk")
        if hall_instant.name in EXPECTED and rules.code == "A":
            _, opening, notice = EXPECTED[hall_instant.name]
            assert refused.value.next_opening == opening and refused.value.notice.startswith(notice)
        else:
            assert refused.value.next_opening == _first_opening_by_minutes(calendar, weekly, now)
        if info.kind is DayKind.HOLIDAY:
            assert f"法定节假日（{info.name}）" in refused.value.notice


def _first_opening_by_minutes(calendar: HallCalendar, weekly: WeeklyHours, now: datetime) -> datetime | None:
    """The next opening the slow way: the first minute, over the next 45 days, that issues
    and whose minute before does not."""
    minute = now.replace(second=0, microsecond=0)
    for _ in range(45 * 24 * 60):
        minute += timedelta(minutes=1)
        if calendar.is_open(weekly, minute) and not calendar.is_open(weekly, minute - timedelta(minutes=1)):
            return minute
    return None
