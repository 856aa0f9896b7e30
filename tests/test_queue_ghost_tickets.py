"""No ghost tickets (issue 18): a kiosk's ticket is called only once its kiosk confirmed the
print; one never confirmed is closed 未出票 and never called or announced."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from center import screens
from center.db import announcements
from center.queue import QueueEngine
from center.queue_errors import NoTicketWaiting, NotYourTicket
from center.queue_types import TicketState
from core.clock import FakeClock
from mqtt.terminal import TerminalLink
from tests.center_fixtures import center_config, hall_clock, printed_over  # noqa: F401  (fixture)
from tests.conftest import wait_until
from tests.queue_helpers import MONDAY_9

pytest_plugins = ["tests.queue_fixtures"]


def _actions(engine: QueueEngine, ticket_id: int) -> list[str]:
    return [t.action for t in engine.history(ticket_id)]


def test_a_ticket_awaiting_its_print_is_skipped_then_called_in_its_place(engine: QueueEngine,
                                                                         clock: FakeClock) -> None:
    first = engine.issue_ticket("A", "kiosk", terminal="kiosk-01", awaits_print=True)
    clock.advance(5)
    second = engine.issue_ticket("A", "counter")  # staff-issued: prints nothing, callable at once
    assert [t["number"] for t in screens.window_queue(engine.db, "1", first.day, clock.time(),
                                                      engine.settings.fairness)] == [second.number]
    assert engine.call_next("1").ticket_id == second.id
    with pytest.raises(NoTicketWaiting):
        engine.call_next("2")
    with pytest.raises(NotYourTicket):
        engine.confirm_printed(first.id, issued_by="kiosk-02")
    engine.confirm_printed(first.id, issued_by="kiosk-01", event_id="evt-printed-1")
    engine.confirm_printed(first.id, issued_by="kiosk-01", event_id="evt-printed-1")  # applied once
    third = engine.issue_ticket("A", "kiosk", terminal="kiosk-01")  # arrives later, printed nothing to confirm
    assert engine.ticket_view(third.id).ahead == 1  # the confirmed ticket kept its place
    assert engine.call_next("2").ticket_id == first.id
    assert _actions(engine, first.id) == ["issue", "printed", "call"]


def test_an_unconfirmed_ticket_is_closed_unprinted_and_a_late_print_brings_it_back(engine: QueueEngine,
                                                                                 clock: FakeClock) -> None:
    ghost = engine.issue_ticket("A", "kiosk", terminal="kiosk-01", awaits_print=True)
    clock.advance(engine.settings.print_confirm_s - 1)
    assert engine.close_unprinted() == []
    clock.advance(2)
    closed = engine.close_unprinted()
    assert [(t.id, t.state) for t in closed] == [(ghost.id, TicketState.UNPRINTED)]
    assert engine.close_unprinted() == []
    assert [t.number for t in engine.unprinted()] == [ghost.number]
    assert "A" not in {s.category for s in engine.queue_summary() if s.waiting}
    with pytest.raises(NoTicketWaiting):
        engine.call_next("1")
    # Its link was down longer than the limit, yet the paper was cut: the citizen holds it.
    back = engine.confirm_printed(ghost.id, issued_by="kiosk-01")
    assert back.state is TicketState.WAITING and engine.unprinted() == []
    assert engine.call_next("1").ticket_id == ghost.id
    assert _actions(engine, ghost.id) == ["issue", "unprinted", "printed", "call"]


def test_a_print_failure_after_the_limit_still_cancels(engine: QueueEngine, clock: FakeClock) -> None:
    ghost = engine.issue_ticket("A", "kiosk", terminal="kiosk-01", awaits_print=True)
    clock.advance(engine.settings.print_confirm_s + 1)
    engine.close_unprinted()
    assert engine.cancel(ghost.id, "print_failed", issued_by="kiosk-01").state is TicketState.CANCELLED


def test_an_appointment_checked_in_again_after_its_print_was_lost_prints_again(engine: QueueEngine,
                                                                             clock: FakeClock) -> None:
    key = "ab" * 16
    start = MONDAY_9 + timedelta(minutes=30)
    engine.book_appointment("A", key, start, start + timedelta(minutes=30))
    clock.advance(20 * 60)  # 09:20, inside the check-in window
    first = engine.check_in(citizen_key=key, terminal="kiosk-01", awaits_print=True).ticket
    clock.advance(engine.settings.print_confirm_s + 1)
    assert [t.id for t in engine.close_unprinted()] == [first.id]
    again = engine.check_in(citizen_key=key, terminal="kiosk-02", awaits_print=True).ticket
    assert (again.id, again.state) == (first.id, TicketState.WAITING)
    clock.advance(engine.settings.print_confirm_s + 1)
    assert [t.id for t in engine.close_unprinted()] == [first.id]  # still no paper: closed again


def test_a_kiosk_dying_between_the_answer_and_the_print_leaves_no_ghost(tmp_path, mqtt_settings,
                                                                        hall_clock: FakeClock) -> None:
    """The center answers, the kiosk's link dies before its printer cuts the ticket: the number
    is never called, never announced, and shows in the control room as 未出票."""
    from center.service import CenterService

    service = CenterService(center_config(tmp_path, mqtt_settings), clock=hall_clock)
    service.start()
    calls: list[str] = []
    service.announcing.announcers.append(lambda call: calls.append(call.number))
    dying = TerminalLink(mqtt_settings, "kiosk-01", tmp_path / "kiosk-01")
    living = TerminalLink(mqtt_settings, "kiosk-02", tmp_path / "kiosk-02")
    try:
        for link in (dying, living):
            link.start()
        wait_until(lambda: dying.center_reachable and living.center_reachable)
        ghost = dying.request("take_number", {"category": "A"})
        dying.stop(graceful=False)  # the daemon is killed before its ticket_printed is emitted
        real = printed_over(living, service, living.request("take_number", {"category": "A"}))
        service.desk.sign_in("1", "staff-001")
        assert service.desk.call_next("1").number == real["number"]
        service.desk.start("1")
        service.desk.finish("1")
        with pytest.raises(NoTicketWaiting):
            service.desk.call_next("1")
        hall_clock.advance(service.config.queue.print_confirm_s + 1)
        wait_until(lambda: [t.number for t in service.engine.unprinted()] == [ghost["number"]])
        hall_clock.advance(600)
        with pytest.raises(NoTicketWaiting):
            service.desk.call_next("1")
        with service.db.read() as conn:
            announced = conn.execute(select(announcements.c.number)).scalars().all()
        assert announced == [real["number"]] and calls == [real["number"]]
        assert service.engine.ticket(int(ghost["ticket_id"])).state is TicketState.UNPRINTED
    finally:
        living.stop()
        dying.stop(graceful=False)
        service.stop()
