"""日终清场: a hall day from 16:30 across midnight with tickets in every state and busy
windows — each ticket's outcome, the windows, numbering restarting, the reports — on SQLite
and PostgreSQL; a center down over midnight; the close at every instant of the date sweep;
and the console's window API, which keys a window's ticket by id, never by number."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from center import reports
from center.db import services, window_log
from center.queue import QueueEngine
from center.queue_types import TicketState, WindowState
from core.clock import FakeClock
from tests.hall_instants import HallInstant
from tests.queue_helpers import TZ

pytest_plugins = ["tests.queue_fixtures"]

S = TicketState
TUESDAY_1630 = datetime(2026, 11, 24, 16, 30, tzinfo=TZ)


def hall_afternoon(engine: QueueEngine) -> dict[str, int]:
    """Tuesday 16:30: one ticket in each state; window 1 serving, 2 calling, 3 idle, 4 paused."""
    engine.configure_window("3", ["A", "B", "C"], name="3号窗口")
    engine.configure_window("4", ["C"], name="4号窗口")
    engine.sign_in("3", "staff-3")
    engine.sign_in("4", "staff-4")
    engine.pause("4", "会议")
    t = {n: engine.issue_ticket("A", "kiosk").id for n in ("done", "no_show", "cancelled", "held", "serving",
                                                         "called", "waiting")}
    t["waiting_b"] = engine.issue_ticket("B", "kiosk").id
    engine.call_next("1"), engine.start("1"), engine.finish("1")
    engine.call_next("1"), engine.no_show("1")
    engine.cancel(t["cancelled"], "printer jam")
    engine.call_next("1"), engine.hold("1")
    engine.call_next("1"), engine.start("1")
    engine.call_next("2")
    return t


def test_a_hall_day_closed_at_day_end(engine: QueueEngine, clock: FakeClock) -> None:
    clock.set(TUESDAY_1630)
    t = hall_afternoon(engine)
    assert engine.close_moment(TUESDAY_1630.date()) == (TUESDAY_1630 + timedelta(minutes=90)).timestamp()  # 17:00 + 60
    clock.set(TUESDAY_1630.replace(hour=17, minute=59))
    assert engine.close_day().tickets == ()  # not yet

    clock.set(TUESDAY_1630.replace(hour=18))
    closed = engine.close_day()
    assert closed.day == "2026-11-24" and closed.windows == ("1", "2", "3", "4")
    outcomes = {name: engine.ticket(i).state for name, i in t.items()}
    assert outcomes == {"done": S.DONE, "no_show": S.NO_SHOW, "cancelled": S.CANCELLED, "held": S.DAY_CLOSED,
                        "serving": S.DAY_CLOSED, "called": S.DAY_CLOSED, "waiting": S.DAY_CLOSED,
                        "waiting_b": S.DAY_CLOSED}
    for name in ("held", "serving", "called", "waiting"):
        last = engine.history(t[name])[-1]
        assert (last.action, last.from_state, last.to_state) == ("day_close", name, "day_closed")
    assert all(w.state is WindowState.CLOSED and w.ticket_id is None and w.staff is None
               for w in engine.window_states())
    with engine.db.read() as conn:
        ended = dict(conn.execute(select(services.c.ticket_id, services.c.outcome)).all())
        logged = conn.execute(select(window_log.c.window, window_log.c.from_state)
                              .where(window_log.c.action == "day_close").order_by(window_log.c.window)).all()
    assert ended[t["serving"]] == ended[t["called"]] == "day_closed" and ended[t["held"]] == "held"
    assert [tuple(r) for r in logged] == [("1", "serving"), ("2", "calling"), ("3", "idle"), ("4", "paused")]
    summary = {s.category: s for s in engine.queue_summary()}
    assert (summary["A"].waiting, summary["A"].day_closed, summary["B"].day_closed) == (0, 4, 1)

    clock.advance(3600)
    assert engine.close_day() == type(closed)("2026-11-24")  # idempotent: nothing more to do
    engine.sign_in("3", "late-staff")  # signed in after the close: stays signed in
    clock.set(TUESDAY_1630.replace(hour=23, minute=59, second=59))
    assert engine.close_day().windows == ()

    clock.set(datetime(2026, 11, 25, 8, 30, tzinfo=TZ))
    assert engine.close_day().windows == ("3",)  # yesterday's sign-in is closed with yesterday
    a001 = engine.issue_ticket("A", "kiosk")
    assert (a001.number, a001.day, engine.issue_ticket("B", "kiosk").number) == ("A001", "2026-11-25", "B001")
    assert engine.close_day().tickets == ()  # today's are not due before today's close

    rows = {r.key: r for r in reports.report(reports.visits(engine.db, TZ, "2026-11-24", "2026-11-24"), "category")}
    assert (rows["A"].day_closed, rows["B"].day_closed, rows["total"].day_closed) == (4, 1, 5)
    assert (rows["A"].calls, rows["A"].visits, rows["A"].no_shows) == (5, 1, 1)
    by_window = {r.key: r.day_closed for r in reports.report(
        reports.visits(engine.db, TZ, "2026-11-24", "2026-11-24"), "window")}
    assert by_window == {"1": 2, "2": 1, "—": 2, "total": 5}  # held at 1 + serving at 1; calling at 2; waiting
    assert "闭馆未办结" in reports.to_csv(list(rows.values())).splitlines()[0]


def test_a_center_down_over_midnight_closes_yesterday_at_start(engine: QueueEngine, clock: FakeClock) -> None:
    """Window 1 still serves yesterday's A001 when today's A001 exists: by id, not number."""
    clock.set(TUESDAY_1630)
    yesterday = engine.issue_ticket("A", "kiosk")
    engine.call_next("1"), engine.start("1")
    clock.set(datetime(2026, 11, 25, 8, 30, tzinfo=TZ))  # no close ran overnight
    today = engine.issue_ticket("A", "kiosk")
    assert today.number == yesterday.number == "A001"
    window = next(w for w in engine.window_states() if w.code == "1")
    assert window.ticket_id == yesterday.id and engine.ticket(window.ticket_id).day == "2026-11-24"
    closed = engine.close_day()
    assert [x.id for x in closed.tickets] == [yesterday.id] and "1" in closed.windows
    assert engine.ticket(today.id).state is S.WAITING


def test_the_close_at_every_instant(engine: QueueEngine, clock: FakeClock, hall_instant: HallInstant) -> None:
    """A ticket of the last working day before is always closed; one of the instant's own day
    only once that day's close moment — from the calendar — has passed."""
    now = hall_instant.at.astimezone(TZ)
    rules = engine._rules("A")
    calendar = engine.calendar

    def first_opening(day: datetime) -> datetime | None:
        periods = calendar.periods(day.date(), rules)
        return datetime.combine(day.date(), periods[0][0], TZ) if periods else None

    before = now - timedelta(days=1)
    while first_opening(before) is None:
        before -= timedelta(days=1)
    clock.set(first_opening(before))
    old = engine.issue_ticket("A", "kiosk")
    opening = first_opening(now)
    own = None
    if opening is not None and opening <= now:
        clock.set(opening)
        own = engine.issue_ticket("A", "kiosk")
    clock.set(now)
    closed = {t.id for t in engine.close_day().tickets}
    last = calendar.last_closing(now.date(), [r for r in (engine._rules(c) for c in "ABC")])
    due_at = (datetime.combine(now.date(), last, TZ) + timedelta(minutes=60) if last
              else datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), TZ))
    assert old.id in closed
    if own is not None:
        assert (own.id in closed) == (now >= due_at)
    assert engine.close_day().tickets == ()
