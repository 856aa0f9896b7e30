"""Every transition of a ticket and a window, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from center.db import announcements, services, window_log
from center.queue import QueueEngine
from center.queue_errors import (
    InvalidTransition,
    NoTicketWaiting,
    ReactivationExpired,
    UnknownCategory,
    UnknownTicket,
    UnknownWindow,
)
from center.queue_types import CallKind, TicketState, WindowState
from core.clock import FakeClock

pytest_plugins = ["tests.queue_fixtures"]


def _actions(engine: QueueEngine, ticket_id: int) -> list[tuple[str, str | None, str]]:
    return [(t.action, t.from_state, t.to_state) for t in engine.history(ticket_id)]


def test_full_visit_keeps_four_timestamps_and_every_transition(engine: QueueEngine, clock: FakeClock) -> None:
    t = engine.issue_ticket("A", "kiosk", terminal="kiosk-01")
    assert (t.number, t.state) == ("A001", TicketState.WAITING)
    clock.advance(60)
    call = engine.call_next("1")
    assert (call.number, call.window, call.window_name, call.category, call.kind) == (
        "A001", "1", "1号窗口", "A", CallKind.CALL)
    clock.advance(20)
    assert engine.start("1").state is TicketState.SERVING
    clock.advance(300)
    done = engine.finish("1")
    assert done.ticket.state is TicketState.DONE and done.case is None
    history = engine.history(t.id)
    assert [(h.action, h.from_state, h.to_state) for h in history] == [
        ("issue", None, "waiting"), ("call", "waiting", "called"), ("start", "called", "serving"),
        ("finish", "serving", "done"),
    ]
    assert [h.at - history[0].at for h in history] == [0, 60, 80, 380]
    assert {h.staff for h in history[1:]} == {"staff-1"}
    with engine.db.read() as conn:
        s = conn.execute(select(services).where(services.c.id == done.service_id)).one()
    assert (s.ended_at - s.called_at, s.ended_at - s.started_at, s.outcome) == (320, 300, "done")
    assert engine.window_states()[0].state is WindowState.IDLE


def test_a_keypad_service_counts_from_the_call(engine: QueueEngine, clock: FakeClock) -> None:
    engine.issue_ticket("A", "kiosk")
    engine.call_next("1")
    clock.advance(240)  # no start key on a caller keypad: the next call ends this service
    engine.start("1", from_call=True)
    done = engine.finish("1")
    with engine.db.read() as conn:
        s = conn.execute(select(services).where(services.c.id == done.service_id)).one()
    assert (s.started_at, s.ended_at - s.started_at) == (s.called_at, 240)


def test_call_and_announcement_are_one_operation(engine: QueueEngine) -> None:
    engine.issue_ticket("A", "kiosk")
    call = engine.call_next("1")
    with engine.db.read() as conn:
        row = conn.execute(select(announcements).where(announcements.c.id == call.announcement_id)).one()
    assert (row.number, row.window, row.kind) == ("A001", "1", "call")
    assert engine.last_called("A") == "A001"
    view = engine.window_states()[0]
    assert (view.state, view.ticket_number) == (WindowState.CALLING, "A001")


def test_a_refused_call_leaves_no_announcement(engine: QueueEngine) -> None:
    with pytest.raises(NoTicketWaiting):
        engine.call_next("1")
    with engine.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(announcements)).scalar() == 0
    assert engine.window_states()[0].state is WindowState.IDLE


def test_recall_is_counted_and_announced_again(engine: QueueEngine) -> None:
    t = engine.issue_ticket("A", "kiosk")
    first = engine.call_next("1")
    again = engine.recall("1")
    engine.recall("1")
    assert again.kind is CallKind.RECALL and again.number == "A001" and again.announcement_id > first.announcement_id
    assert engine.ticket(t.id).recalls == 2
    assert [a for a, _, _ in _actions(engine, t.id)] == ["issue", "call", "recall", "recall"]


def test_no_show_then_reactivate_keeps_its_place(engine: QueueEngine, clock: FakeClock) -> None:
    first = engine.issue_ticket("A", "kiosk")
    clock.advance(10)
    second = engine.issue_ticket("A", "kiosk")
    engine.call_next("1")
    assert engine.no_show("1").state is TicketState.NO_SHOW
    assert engine.window_states()[0].state is WindowState.IDLE
    clock.advance(600)
    third = engine.issue_ticket("A", "kiosk")
    assert engine.reactivate(first.id).state is TicketState.WAITING
    assert engine.ticket_view(first.id).ahead == 0  # ahead of `second` and `third` again
    assert engine.call_next("2").ticket_id == first.id
    assert [engine.call_next("1").ticket_id] == [second.id]
    assert engine.ticket_view(third.id).ahead == 0


def test_reactivation_window_expires(engine: QueueEngine, clock: FakeClock, settings) -> None:
    t = engine.issue_ticket("A", "kiosk")
    engine.call_next("1")
    engine.no_show("1")
    clock.advance(settings.reactivate_within_min * 60 + 1)
    with pytest.raises(ReactivationExpired, match="A001.*take a new number"):
        engine.reactivate(t.id)
    assert engine.ticket(t.id).state is TicketState.NO_SHOW


def test_hold_frees_the_window_and_call_back_brings_it_back(engine: QueueEngine) -> None:
    held = engine.issue_ticket("A", "kiosk")
    other = engine.issue_ticket("A", "kiosk")
    engine.call_next("1")
    engine.start("1")
    assert engine.hold("1").state is TicketState.HELD
    assert [t.id for t in engine.held_at("1")] == [held.id] and engine.held_at("2") == []
    assert engine.call_next("1").ticket_id == other.id  # a held ticket is not in the queue
    engine.no_show("1")
    back = engine.call_back("1", held.id)
    assert (back.kind, back.ticket_id) == (CallKind.CALL_BACK, held.id)
    assert engine.held_at("1") == []
    engine.start("1")
    engine.finish("1")
    assert [a for a, _, _ in _actions(engine, held.id)] == [
        "issue", "call", "start", "hold", "call_back", "start", "finish"]


def test_transfer_keeps_arrival_and_frees_the_window(engine: QueueEngine, clock: FakeClock) -> None:
    early = engine.issue_ticket("A", "kiosk")
    clock.advance(60)
    c_ticket = engine.issue_ticket("C", "kiosk")
    engine.call_next("1")
    engine.start("1")
    moved = engine.transfer(early.id, "C")
    assert (moved.category, moved.state, moved.number) == ("C", TicketState.WAITING, "A001")
    assert engine.window_states()[0].state is WindowState.IDLE
    assert _actions(engine, early.id)[-1] == ("transfer", "serving", "waiting")
    assert engine.history(early.id)[-1].detail == "A -> C"
    assert engine.call_next("2").ticket_id == early.id  # arrived before C001: it goes first
    assert engine.ticket_view(c_ticket.id).ahead == 0
    with pytest.raises(UnknownCategory):
        engine.transfer(c_ticket.id, "Z")


def test_cancel_a_ticket_that_could_not_be_printed(engine: QueueEngine) -> None:
    ghost = engine.issue_ticket("A", "kiosk")
    cancelled = engine.cancel(ghost.id, "printer out of paper")
    assert cancelled.state is TicketState.CANCELLED
    assert engine.history(ghost.id)[-1].detail == "printer out of paper"
    with pytest.raises(NoTicketWaiting):
        engine.call_next("1")
    assert engine.issue_ticket("A", "kiosk").number == "A002"  # its number is never reused


def test_cancel_a_called_ticket_frees_the_window(engine: QueueEngine) -> None:
    t = engine.issue_ticket("A", "kiosk")
    engine.call_next("2")
    engine.cancel(t.id, "left the hall")
    assert engine.window_states()[1].state is WindowState.IDLE


@pytest.mark.parametrize("action", ["start", "finish", "recall", "no_show", "hold"])
def test_window_actions_need_a_ticket_at_the_window(engine: QueueEngine, action: str) -> None:
    with pytest.raises(InvalidTransition, match="window 1 is idle"):
        getattr(engine, action)("1")


def test_invalid_ticket_transitions_name_the_state(engine: QueueEngine) -> None:
    t = engine.issue_ticket("A", "kiosk")
    with pytest.raises(InvalidTransition, match="ticket A001 is waiting: cannot reactivate"):
        engine.reactivate(t.id)
    with pytest.raises(InvalidTransition, match="ticket A001 is waiting: cannot call_back"):
        engine.call_back("1", t.id)
    engine.call_next("1")
    engine.start("1")
    with pytest.raises(InvalidTransition, match="window 1 is serving"):
        engine.no_show("1")
    with pytest.raises(InvalidTransition, match="ticket A001 is serving: cannot cancel"):
        engine.cancel(t.id, "x")
    engine.finish("1")
    for op in (lambda: engine.transfer(t.id, "C"), lambda: engine.cancel(t.id, "x")):
        with pytest.raises(InvalidTransition, match="is done"):
            op()
    with pytest.raises(UnknownTicket):
        engine.ticket(9999)


def test_window_states_sign_in_pause_resume_sign_out(engine: QueueEngine) -> None:
    engine.configure_window("3", ["B"], name="3号窗口")
    assert engine.window_states()[2].state is WindowState.CLOSED
    engine.issue_ticket("B", "kiosk")
    with pytest.raises(InvalidTransition, match="window 3 is closed: cannot call the next ticket"):
        engine.call_next("3")
    engine.sign_in("3", "staff-3")
    paused = engine.pause("3", "午休")
    assert (paused.state, paused.pause_reason) == (WindowState.PAUSED, "午休")
    with pytest.raises(InvalidTransition, match="paused"):
        engine.call_next("3")
    with pytest.raises(ValueError):
        engine.pause("1", "  ")
    assert engine.resume("3").pause_reason is None
    engine.call_next("3")
    with pytest.raises(InvalidTransition, match="calling: cannot sign out"):
        engine.sign_out("3")
    engine.no_show("3")
    closed = engine.sign_out("3")
    assert (closed.state, closed.staff) == (WindowState.CLOSED, None)
    with engine.db.read() as conn:
        log = conn.execute(select(window_log.c.action, window_log.c.to_state, window_log.c.detail)
                           .where(window_log.c.window == "3").order_by(window_log.c.id)).all()
    assert [tuple(r) for r in log] == [
        ("sign_in", "idle", None), ("pause", "paused", "午休"), ("resume", "idle", None),
        ("sign_out", "closed", None)]
    with pytest.raises(UnknownWindow):
        engine.sign_in("9", "x")


def test_window_serves_only_its_categories(engine: QueueEngine) -> None:
    engine.issue_ticket("C", "kiosk")
    with pytest.raises(NoTicketWaiting):
        engine.call_next("1")  # window 1 serves A and B
    assert engine.call_next("2").number == "C001"


def test_configure_window_changes_categories_and_keeps_state(engine: QueueEngine) -> None:
    view = engine.configure_window("1", ["C"], name="1号窗口")
    assert (view.categories, view.state, view.staff) == (("C",), WindowState.IDLE, "staff-1")
