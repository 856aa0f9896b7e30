"""好差评 (one rating per finished service, reasons for 差评, follow-up steps) and cases (办件)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from center.alerts import AlertKind
from center.db import ratings
from center.queue import QueueEngine
from center.queue_errors import (
    AlreadyRated,
    InvalidLevel,
    InvalidTransition,
    NotRateable,
    ReasonRequired,
    UnknownCase,
    UnknownFollowUp,
)
from center.ratings import FollowUpAction, deadline_after
from core.clock import FakeClock
from tests.queue_helpers import TZ

pytest_plugins = ["tests.queue_fixtures"]


def _serve(engine: QueueEngine, window: str = "1", create_case: bool = False, citizen_key: str | None = None):
    engine.issue_ticket("A", "kiosk", citizen_key=citizen_key, item_code="310101-001")
    engine.call_next(window)
    engine.start(window)
    return engine.finish(window, create_case=create_case)


def test_a_rating_records_the_whole_service(engine: QueueEngine) -> None:
    finished = _serve(engine, create_case=True, citizen_key="key-1")
    rating = engine.rate(5, window="1", dimensions={"服务态度": 5, "服务效率": 4})
    assert (rating.service_id, rating.ticket_number, rating.window, rating.staff, rating.department) == (
        finished.service_id, "A001", "1", "staff-1", "综合受理")
    assert (rating.case_no, rating.item_code, rating.follow_up_id) == (finished.case.case_no, "310101-001", None)
    with engine.db.read() as conn:
        row = conn.execute(select(ratings)).one()
    assert (row.citizen_key, row.channel, json.loads(row.dimensions)) == ("key-1", "pad", {"服务态度": 5, "服务效率": 4})


def test_one_rating_per_service_whatever_the_channel(engine: QueueEngine) -> None:
    finished = _serve(engine)
    engine.rate(4, window="1")
    with pytest.raises(AlreadyRated, match="A001.*一次一评"):
        engine.rate(5, ticket_id=finished.ticket.id, channel="qr")
    _serve(engine)
    assert engine.rate(3, window="1").ticket_number == "A002"  # the next service is rateable


def test_only_finished_services_are_rateable(engine: QueueEngine) -> None:
    with pytest.raises(NotRateable):
        engine.rate(5, window="1")
    engine.issue_ticket("A", "kiosk")
    call = engine.call_next("1")
    engine.no_show("1")
    with pytest.raises(NotRateable):
        engine.rate(5, ticket_id=call.ticket_id)
    with engine.db.read() as conn:
        assert conn.execute(select(ratings.c.id)).first() is None


@pytest.mark.parametrize("level", [1, 2])
def test_bad_ratings_need_a_reason(engine: QueueEngine, level: int) -> None:
    _serve(engine)
    with pytest.raises(ReasonRequired):
        engine.rate(level, window="1", reasons=["  "], channel="kiosk")
    with pytest.raises(InvalidLevel):
        engine.rate(6, window="1")
    assert engine.rate(level, window="1", reasons=["等候时间长"], channel="kiosk").follow_up_id is not None


def test_follow_up_deadline_counts_working_days() -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=TZ)
    assert deadline_after(friday, 5) == datetime(2026, 12, 5, 0, 0, tzinfo=TZ).timestamp()  # end of next Friday
    assert deadline_after(friday, 1) == datetime(2026, 12, 1, 0, 0, tzinfo=TZ).timestamp()  # end of Monday


def test_bad_rating_follow_up_with_return_visit(engine: QueueEngine, clock: FakeClock) -> None:
    _serve(engine, citizen_key="key-1")
    rating = engine.rate(1, window="1", reasons=["态度差"], channel="pad")
    alert = engine.list_alerts()[0]
    assert (alert.kind, alert.key) == (AlertKind.BAD_RATING.value, str(rating.follow_up_id))
    fid = rating.follow_up_id
    assert [f.id for f in engine.open_follow_ups()] == [fid]
    engine.follow_up_step(fid, FollowUpAction.RECTIFY, "supervisor", "talked to staff-1")
    with pytest.raises(InvalidTransition, match="close before the return visit"):
        engine.follow_up_step(fid, FollowUpAction.CLOSE, "supervisor")
    clock.advance(3600)
    engine.follow_up_step(fid, FollowUpAction.RETURN_VISIT, "supervisor", "citizen satisfied with the answer")
    closed = engine.follow_up_step(fid, FollowUpAction.CLOSE, "supervisor")
    assert closed.state == "closed" and closed.closed_at == clock.time()
    assert [s.kind for s in closed.steps] == ["opened", "rectify", "return_visit", "close"]
    assert engine.list_alerts() == [] and engine.open_follow_ups() == []
    with pytest.raises(InvalidTransition, match="is closed"):
        engine.follow_up_step(fid, FollowUpAction.APPEAL, "staff-1")


def test_anonymous_bad_rating_closes_without_return_visit(engine: QueueEngine) -> None:
    _serve(engine)
    fid = engine.rate(2, window="1", reasons=["流程复杂"]).follow_up_id
    engine.follow_up_step(fid, FollowUpAction.RECTIFY, "supervisor")
    assert engine.follow_up_step(fid, FollowUpAction.CLOSE, "supervisor").state == "closed"


def test_appeal_upheld_voids_the_rating(engine: QueueEngine) -> None:
    _serve(engine, citizen_key="key-1")
    fid = engine.rate(1, window="1", reasons=["恶意"]).follow_up_id
    engine.follow_up_step(fid, FollowUpAction.APPEAL, "staff-1", "the citizen was not served by me")
    done = engine.follow_up_step(fid, FollowUpAction.APPEAL_UPHELD, "reviewer")
    assert done.state == "closed"
    with engine.db.read() as conn:
        assert conn.execute(select(ratings.c.void)).scalar() is True


def test_appeal_rejected_returns_to_where_it_was(engine: QueueEngine) -> None:
    _serve(engine)
    fid = engine.rate(1, window="1", reasons=["慢"]).follow_up_id
    engine.follow_up_step(fid, FollowUpAction.RECTIFY, "supervisor")
    engine.follow_up_step(fid, FollowUpAction.APPEAL, "staff-1")
    assert engine.follow_up_step(fid, FollowUpAction.APPEAL_REJECTED, "reviewer").state == "rectified"
    with engine.db.read() as conn:
        assert conn.execute(select(ratings.c.void)).scalar() is False
    with pytest.raises(UnknownFollowUp):
        engine.follow_up(999)


def test_cases_have_numbers_progress_and_lookups(engine: QueueEngine, clock: FakeClock) -> None:
    first = _serve(engine, create_case=True, citizen_key="key-9").case
    second = _serve(engine, window="2", create_case=True, citizen_key="key-9").case
    assert (first.case_no, second.case_no) == ("20261123000001", "20261123000002")
    assert (first.state, first.ticket_number, first.item_code) == ("accepted", "A001", "310101-001")
    clock.advance(60)
    engine.advance_case(first.case_no, "reviewing", by="back-office")
    engine.advance_case(first.case_no, "concluded", by="back-office")
    ready = engine.advance_case(first.case_no, "ready", note="请到3号窗口领取")
    assert [s.state for s in ready.steps] == ["accepted", "reviewing", "concluded", "ready"]
    assert ready.steps[-1].note == "请到3号窗口领取"
    with pytest.raises(InvalidTransition, match="case .* is ready: cannot move to reviewing"):
        engine.advance_case(first.case_no, "reviewing")
    assert [c.case_no for c in engine.cases_of("key-9")] == [first.case_no, second.case_no]
    assert engine.case(second.case_no).state == "accepted"
    with pytest.raises(UnknownCase):
        engine.case("nope")
    assert engine.cases_of("someone-else") == []


def test_a_provinces_rule_counts_a_service_left_unrated_as_its_level(engine: QueueEngine, clock: FakeClock) -> None:
    """广东: a service not rated within 7 days counts as 基本满意 (3); elsewhere it stays unrated."""
    first = _serve(engine)
    clock.advance(8 * 86400)
    assert engine.rate_unrated() == []  # no such rule in this hall

    engine.settings = engine.settings.model_copy(update={"unrated_counts_as": 3, "unrated_after_days": 7})
    recent = _serve(engine)  # ended just now: not yet counted
    [counted] = engine.rate_unrated()
    assert (counted.level, counted.channel, counted.ticket_number, counted.follow_up_id) == (3, "unrated", "A001", None)
    assert engine.rate_unrated() == []  # once
    with pytest.raises(AlreadyRated):
        engine.rate(5, ticket_id=first.ticket.id, channel="qr")
    clock.advance(7 * 86400 + 1)
    assert [r.ticket_number for r in engine.rate_unrated()] == [recent.ticket.number]
