"""Number series: letter + 3 digits, per category per local day, issuing hours, daily caps,
and no number twice when many kiosks ask at once."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time

import pytest
from sqlalchemy import func, select

from center.db import tickets
from center.numbers import format_number
from center.queue import QueueEngine
from center.queue_errors import DailyCapReached, NotIssuingNow, NumberAlreadyHeld, RawIdNumber, UnknownCategory
from center.queue_types import CategoryRules, Tier
from core.calendar import shipped_calendar
from core.clock import FakeClock
from tests.queue_helpers import HOURS, TZ, local

pytest_plugins = ["tests.queue_fixtures"]


def test_number_format() -> None:
    assert [format_number("A", 1), format_number("K", 42), format_number("B", 999)] == ["A001", "K042", "B999"]


def test_one_series_per_category(engine: QueueEngine) -> None:
    numbers = [engine.issue_ticket(c, "kiosk").number for c in "AACAB"]
    assert numbers == ["A001", "A002", "C001", "A003", "B001"]


def test_series_reset_at_local_midnight_not_utc(engine: QueueEngine, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 23, 16, 59, tzinfo=TZ))
    assert engine.issue_ticket("A", "kiosk").number == "A001"
    # 08:30 in Shanghai on Tuesday is 00:30 UTC: a new local day, a new series.
    clock.set(datetime(2026, 11, 24, 8, 30, tzinfo=TZ))
    assert engine.issue_ticket("A", "kiosk").number == "A001"
    assert engine.find_ticket("A001").issued_at == local(2026, 11, 24, 8, 30)
    assert [s.issued for s in engine.queue_summary()] == [1, 0, 0]


def test_yesterdays_waiting_tickets_are_not_called_today(engine: QueueEngine, clock: FakeClock) -> None:
    engine.issue_ticket("A", "kiosk")
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TZ))
    assert [s.waiting for s in engine.queue_summary()] == [0, 0, 0]
    today = engine.issue_ticket("A", "kiosk")
    assert engine.call_next("1").ticket_id == today.id


@pytest.mark.parametrize("when, opening", [
    (datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 8, 30)),     # before opening
    (datetime(2026, 11, 23, 12, 30), datetime(2026, 11, 23, 13, 30)),  # lunch break
    (datetime(2026, 11, 27, 17, 0), datetime(2026, 11, 30, 8, 30)),    # Friday closing → Monday
    (datetime(2026, 11, 28, 10, 0), datetime(2026, 11, 30, 8, 30)),    # Saturday
])
def test_outside_issuing_hours_tells_the_next_opening(
    engine: QueueEngine, clock: FakeClock, when: datetime, opening: datetime,
) -> None:
    clock.set(when.replace(tzinfo=TZ))
    with pytest.raises(NotIssuingNow) as err:
        engine.issue_ticket("A", "kiosk")
    assert err.value.next_opening == opening.replace(tzinfo=TZ)
    assert opening.strftime("%Y-%m-%d %H:%M") in str(err.value)


def test_next_opening_of_a_category_that_never_opens() -> None:
    calendar = shipped_calendar()
    never, weekdays = CategoryRules("X", "X", {}), CategoryRules("A", "A", HOURS)
    mondays = CategoryRules("M", "M", {0: ((time(9), time(10)),)})
    assert calendar.next_opening(never, datetime(2026, 11, 23, 9, 0, tzinfo=TZ)) is None
    assert calendar.next_opening(weekdays, datetime(2026, 11, 23, 8, 29, tzinfo=TZ)) == datetime(
        2026, 11, 23, 8, 30, tzinfo=TZ)
    assert calendar.next_opening(mondays, datetime(2026, 11, 23, 9, 0, tzinfo=TZ)) == datetime(
        2026, 11, 30, 9, 0, tzinfo=TZ)


def test_daily_cap(engine: QueueEngine) -> None:
    assert [engine.issue_ticket("B", "kiosk").number for _ in range(5)][-1] == "B005"
    with pytest.raises(DailyCapReached, match="all 5 numbers"):
        engine.issue_ticket("B", "kiosk")
    assert engine.issue_ticket("A", "kiosk").number == "A001"  # other categories are unaffected


def test_priority_and_privacy(engine: QueueEngine) -> None:
    t = engine.issue_ticket("A", "kiosk", citizen_key="9f2c" * 8, priority="elderly", item_code="310101-001")
    assert (t.tier, t.priority, t.item_code) == (Tier.PRIORITY, "elderly", "310101-001")
    with pytest.raises(RawIdNumber) as err:
        engine.issue_ticket("A", "kiosk", citizen_key="11010519491231002X")
    assert "11010519491231002X" not in str(err.value)
    with pytest.raises(UnknownCategory):
        engine.issue_ticket("Z", "kiosk")


def test_concurrent_kiosks_never_get_the_same_number(engine: QueueEngine) -> None:
    """8 kiosks × 50 tickets at once: 400 distinct numbers, A001…A400, no gaps."""

    def kiosk(n: int) -> list[str]:
        return [engine.issue_ticket("A", "kiosk", terminal=f"kiosk-{n}").number for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        issued = [number for batch in pool.map(kiosk, range(8)) for number in batch]
    assert len(issued) == 400
    assert sorted(issued) == [format_number("A", i) for i in range(1, 401)]
    with engine.db.read() as conn:
        assert conn.execute(select(func.count(func.distinct(tickets.c.number)))).scalar() == 400


def test_finding_12_one_citizen_holds_as_many_live_numbers_as_the_hall_allows(engine: QueueEngine) -> None:
    """Issue 15, finding 12: with a limit of 1 the second card swipe in a category names the
    number already held; a served one, another category or no card is not counted."""
    key = "0123456789abcdef0123456789abcdef"
    first = engine.issue_ticket("A", "kiosk", citizen_key=key)
    assert engine.issue_ticket("A", "kiosk", citizen_key=key).number == "A002"  # no limit configured
    engine.settings = engine.settings.model_copy(update={"live_numbers_per_citizen": 1})
    with pytest.raises(NumberAlreadyHeld) as held:
        engine.issue_ticket("A", "kiosk", citizen_key=key)
    assert held.value.values == {"number": first.number}
    assert engine.issue_ticket("C", "kiosk", citizen_key=key).category == "C"  # another category
    assert engine.issue_ticket("A", "kiosk").number == "A003"  # no card: not a known citizen
    for _ in range(2):  # the citizen's A001 and A002 served
        engine.call_next("1")
        engine.start("1")
        engine.finish("1")
    engine.call_next("1")  # A003 is called: the citizen's own two are done
    assert engine.issue_ticket("A", "kiosk", citizen_key=key).number == "A004"
