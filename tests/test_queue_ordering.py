"""The call order: appointments from their slot's start, then priority with a fairness rule
(either form), then arrival — the same on SQLite and PostgreSQL, and the console's list is it."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from center.config import CenterConfig
from center.queue import QueueEngine
from center.queue_errors import NoTicketWaiting
from center.queue_types import Fairness, QueueSettings, Ticket, Tier
from center.screens import window_queue
from core.clock import FakeClock
from core.config import load_config, parse_config
from core.errors import ConfigError
from tests.queue_helpers import make_categories

pytest_plugins = ["tests.queue_fixtures"]


def _drain(engine: QueueEngine, window: str = "1") -> list[str]:
    """Call, start and finish at `window` until nobody it may call now waits; the numbers in
    call order."""
    called = []
    while True:
        try:
            called.append(engine.call_next(window).number)
        except NoTicketWaiting:
            return called
        engine.start(window)
        engine.finish(window)


@pytest.mark.parametrize("settings", [QueueSettings(priority_run=2)])
def test_priority_goes_first_but_normal_tickets_get_every_third_call(
    engine: QueueEngine, clock: FakeClock, settings: QueueSettings,
) -> None:
    for _ in range(3):
        engine.issue_ticket("A", "kiosk")
        clock.advance(1)
    for _ in range(5):
        engine.issue_ticket("B", "kiosk", priority="elderly")
        clock.advance(1)
    # Two priority calls in a row, then the oldest normal ticket, and so on.
    assert _drain(engine) == ["B001", "B002", "A001", "B003", "B004", "A002", "B005", "A003"]


def test_without_normal_tickets_priority_keeps_being_called(engine: QueueEngine, clock: FakeClock) -> None:
    for _ in range(5):
        engine.issue_ticket("A", "kiosk", priority="disabled")
        clock.advance(1)
    assert _drain(engine) == ["A001", "A002", "A003", "A004", "A005"]
    engine.issue_ticket("A", "kiosk", priority="disabled")
    clock.advance(1)
    engine.issue_ticket("A", "kiosk")
    assert engine.call_next("1").number == "A007"  # the streak was long: the normal one is owed


def test_fairness_is_counted_per_window(engine: QueueEngine, clock: FakeClock) -> None:
    for letter, priority in [("A", None), ("A", "military"), ("A", "military"), ("A", "military"), ("A", "military")]:
        engine.issue_ticket(letter, "kiosk", priority=priority)
        clock.advance(1)
    calls = []
    for window in ("1", "2", "1", "2"):
        calls.append(engine.call_next(window).number)
        engine.no_show(window)
    assert calls == ["A002", "A003", "A004", "A005"]
    assert engine.call_next("1").number == "A001"


def test_appointments_in_their_slot_come_first(engine: QueueEngine, clock: FakeClock) -> None:
    engine.issue_ticket("A", "kiosk")
    engine.issue_ticket("A", "kiosk", priority="pregnant")
    start = engine.local().replace(minute=30)
    engine.book_appointment("A", "key-1", start, start.replace(hour=10, minute=0))
    clock.advance(60)
    engine.check_in(citizen_key="key-1")
    clock.set(start)
    assert _drain(engine) == ["A003", "A002", "A001"]


def test_appointments_are_ordered_by_slot_not_check_in(engine: QueueEngine, clock: FakeClock) -> None:
    now = engine.local()
    later = engine.book_appointment("A", "key-late", now.replace(minute=30), now.replace(hour=10, minute=0))
    sooner = engine.book_appointment("A", "key-soon", now.replace(minute=0), now.replace(minute=30))
    first = engine.check_in(code=later.code)
    clock.advance(60)
    second = engine.check_in(code=sooner.code)
    assert (first.ticket.tier, second.ticket.tier) == (Tier.APPOINTMENT, Tier.APPOINTMENT)
    clock.set(now.replace(minute=30))
    assert _drain(engine) == [second.ticket.number, first.ticket.number]


def _reference_order(issued: list[tuple[Ticket, float]], ratio: int, now: float) -> list[str]:
    """The documented order at `now`, computed in Python without any database: appointments
    whose slot has started, then priority with a fairness turn after `ratio` in a row."""
    waiting = sorted((x for x in issued if x[0].tier is not Tier.APPOINTMENT or x[1] <= now),
                     key=lambda x: (int(x[0].tier), x[1], x[0].id))
    order, streak = [], 0
    while waiting:
        pick = waiting[0]
        if streak >= ratio and pick[0].tier is Tier.PRIORITY:
            pick = next((w for w in waiting if w[0].tier is Tier.NORMAL), pick)
        waiting.remove(pick)
        order.append(pick[0].number)
        streak = streak + 1 if pick[0].tier is Tier.PRIORITY else 0 if pick[0].tier is Tier.NORMAL else streak
    return order


def test_mixed_queue_matches_the_reference_order_on_every_database(engine: QueueEngine, clock: FakeClock) -> None:
    """The NULL-ordering trap: tickets with and without appointment, priority and item code
    (NULLs in every nullable column) must come out in the same documented order."""
    rng = random.Random(7)
    issued: list[tuple[Ticket, float]] = []
    slot = engine.local().replace(minute=0)
    for i in range(40):
        kind = rng.choice(["normal", "normal", "priority", "appointment"])
        if kind == "appointment":
            start = slot.replace(minute=rng.choice([0, 15, 30]))
            booked = engine.book_appointment("A", f"citizen-{i}", start, start.replace(minute=start.minute + 29))
            ticket = engine.check_in(code=booked.code).ticket
            issued.append((ticket, start.timestamp()))
        else:
            ticket = engine.issue_ticket(
                "A", "kiosk", priority="elderly" if kind == "priority" else None,
                item_code=rng.choice([None, "310101-001"]), citizen_key=rng.choice([None, f"k{i}"]))
            issued.append((ticket, ticket.issued_at))
        clock.advance(rng.choice([0, 1, 5]))  # equal arrival times too: ties break by id
    clock.set(slot.replace(minute=16))  # the 09:30 slot has not started: its tickets wait
    first = _drain(engine)
    assert first == _reference_order(issued, QueueSettings().priority_run, clock.time())
    clock.set(slot.replace(minute=30))
    later = sorted((x for x in issued if x[0].number not in first), key=lambda x: (x[1], x[0].id))
    assert later and _drain(engine) == [t.number for t, _ in later]
    assert not any(s.waiting for s in engine.queue_summary())


def _take(engine: QueueEngine, clock: FakeClock, normal: int, priority: int) -> None:
    """`normal` tickets of A, then `priority` tickets of B (绿色通道), a second apart."""
    for category, n, group in (("A", normal, None), ("B", priority, "elderly")):
        for _ in range(n):
            engine.issue_ticket(category, "kiosk", priority=group)
            clock.advance(1)


@pytest.mark.parametrize(("form", "expected"), [
    ({"priority_run": 1}, ["B001", "A001", "B002", "A002", "B003", "A003", "A004", "A005"]),
    ({"priority_run": 2}, ["B001", "B002", "A001", "B003", "A002", "A003", "A004", "A005"]),
    ({"normal_run": 1}, ["A001", "B001", "A002", "B002", "A003", "B003", "A004", "A005"]),
    ({"normal_run": 2}, ["A001", "A002", "B001", "A003", "A004", "B002", "A005", "B003"]),
    ({"normal_run": 4}, ["A001", "A002", "A003", "A004", "B001", "A005", "B002", "B003"]),
])
def test_finding_9_fairness_forms_do_what_they_say(db, clock: FakeClock, form: dict[str, int],
                                                   expected: list[str]) -> None:
    """priority_run = k: k priority calls, then 1 normal is owed; normal_run = n: n normal
    calls, then 1 priority is owed. With only one kind waiting, it is called."""
    engine = _engine(db, clock, QueueSettings(**form))
    _take(engine, clock, normal=5, priority=3)
    assert _drain(engine) == expected


def test_finding_9_fairness_is_one_form_and_a_wrong_value_is_a_config_error() -> None:
    assert QueueSettings().fairness == Fairness(Tier.PRIORITY, 3)
    assert QueueSettings(normal_run=4).fairness == Fairness(Tier.NORMAL, 4)
    assert parse_config({"priority_ratio": 2}, QueueSettings, "hall.toml", environ={}).fairness == Fairness(
        Tier.PRIORITY, 2)  # the old name of the first form still loads
    with pytest.raises(ConfigError, match="not both"):
        parse_config({"priority_run": 2, "normal_run": 2}, QueueSettings, "hall.toml", environ={})
    with pytest.raises(ConfigError, match=r"hall.toml: normal_run = 0: Input should be greater than or equal to 1"):
        parse_config({"normal_run": 0}, QueueSettings, "hall.toml", environ={})
    hall = load_config(Path(__file__).parent.parent / "config" / "hall.toml", CenterConfig, environ={})
    assert hall.queue.fairness == Fairness(Tier.PRIORITY, 3)


@pytest.mark.parametrize("form", [{"priority_run": 1}, {"priority_run": 3}, {"normal_run": 2}])
def test_finding_9_console_lists_the_order_the_window_calls(db, clock: FakeClock, form: dict[str, int]) -> None:
    """The console's queue is the window's next calls, fairness streak included — before the
    first call and midway — and an appointment checked in early comes last, with its slot."""
    settings = QueueSettings(**form)
    engine = _engine(db, clock, settings)
    _take(engine, clock, normal=3, priority=4)
    start = engine.local().replace(hour=10, minute=0)
    engine.book_appointment("A", "key-1", start, start.replace(minute=30))
    clock.set(start.replace(hour=9, minute=40))
    early = engine.check_in(citizen_key="key-1").ticket

    def listed() -> list[str]:
        queue = window_queue(engine.db, "1", early.day, clock.time(), settings.fairness)
        assert [t.get("due_at") for t in queue] == [None] * (len(queue) - 1) + [start.timestamp()]
        return [t["number"] for t in queue][:-1]

    before = listed()
    engine.call_next("1")
    engine.no_show("1")
    midway = listed()
    assert [before[0], *midway] == before
    assert midway == _drain(engine)


def _engine(db, clock: FakeClock, settings: QueueSettings) -> QueueEngine:
    engine = QueueEngine(db, clock, make_categories(), settings)
    engine.configure_window("1", ["A", "B"], name="1号窗口")
    engine.sign_in("1", "staff-1")
    return engine
