"""好差评: one rating per finished service (一次一评), and the follow-up every 差评 opens.

Levels: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意; 1–2 are 差评 and must carry a
reason. A rating records the case, item, department, window, staff, ticket, citizen key,
channel and time of the service it rates. A 差评 opens a follow-up (整改) with a deadline in
working days; its steps — rectification, return visit (回访, required before closing when the
rating is real-name), appeal (申诉) and the appeal's decision — are each kept with their time.
"""
from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.engine import Connection, Row

from center.db import cases, follow_up_steps, follow_ups, ratings, services, tickets, windows
from center.queue_errors import (
    AlreadyRated, InvalidLevel, InvalidTransition, NotRateable, ReasonRequired, UnknownCase, UnknownFollowUp,
)
from center.queue_types import FollowUp, FollowUpStep, Rating

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD = 2  # this level and below are 差评


class FollowUpAction(str, enum.Enum):
    RECTIFY = "rectify"                  # 整改 done
    RETURN_VISIT = "return_visit"        # 回访
    APPEAL = "appeal"                    # 申诉: staff say the rating was malicious
    APPEAL_UPHELD = "appeal_upheld"      # 复核: rating voided, follow-up closed
    APPEAL_REJECTED = "appeal_rejected"  # back to where it was
    CLOSE = "close"


_FLOW: dict[tuple[str, FollowUpAction], str] = {
    ("open", FollowUpAction.RECTIFY): "rectified",
    ("open", FollowUpAction.RETURN_VISIT): "open",
    ("rectified", FollowUpAction.RETURN_VISIT): "rectified",
    ("open", FollowUpAction.APPEAL): "appealed",
    ("rectified", FollowUpAction.APPEAL): "appealed",
    ("appealed", FollowUpAction.APPEAL_UPHELD): "closed",
    ("appealed", FollowUpAction.APPEAL_REJECTED): "open",   # or "rectified", see `step`
    ("rectified", FollowUpAction.CLOSE): "closed",
}

_SERVICE = (
    services.c.id, services.c.ticket_id, services.c.category, services.c.item_code, services.c.window,
    services.c.staff, services.c.outcome, services.c.ended_at, tickets.c.number, tickets.c.citizen_key, windows.c.department,
    cases.c.case_no,
)


def deadline_after(local: datetime, working_days: int) -> float:
    """End of the `working_days`-th working day (Monday–Friday) after `local`."""
    day = local.date()
    while working_days:
        day += timedelta(days=1)
        working_days -= day.weekday() < 5
    return datetime.combine(day + timedelta(days=1), time(), local.tzinfo).timestamp()


def _services() -> Select:
    return (
        select(*_SERVICE)
        .join(tickets, tickets.c.id == services.c.ticket_id)
        .join(windows, windows.c.code == services.c.window)
        .outerjoin(cases, cases.c.service_id == services.c.id)
    )


def _finished(row: Row[Any] | None, what: str) -> Row[Any]:
    if row is None:
        raise NotRateable(f"no finished service of {what}")
    if row.outcome != "done":
        raise NotRateable(f"ticket {row.number} was not served to the end")
    return row


def find_service(
    conn: Connection, *, service_id: int | None = None, ticket_id: int | None = None, case_no: str | None = None,
) -> Row[Any]:
    """The service a rating is for: by id, the latest finished one of a ticket (the QR code
    printed on it, the number typed at the kiosk), or the one that opened a case (办件编号)."""
    if case_no is not None:
        if conn.execute(select(cases.c.id).where(cases.c.case_no == case_no)).first() is None:
            raise UnknownCase(case_no)
        query, what = _services().where(cases.c.case_no == case_no), f"case {case_no}"
    elif service_id is not None:
        query, what = _services().where(services.c.id == service_id), f"service {service_id}"
    elif ticket_id is not None:
        query = _services().where(services.c.ticket_id == ticket_id, services.c.outcome == "done")
        what = "this ticket"
    else:
        raise NotRateable("name the service by id, ticket or case number")
    return _finished(conn.execute(query.order_by(services.c.id.desc()).limit(1)).first(), what)


def unrated(conn: Connection, ended_before: float, limit: int) -> list[Row[Any]]:
    """Finished services that ended before `ended_before` and were never rated, oldest first."""
    query = (_services().outerjoin(ratings, ratings.c.service_id == services.c.id)
             .where(services.c.outcome == "done", services.c.ended_at < ended_before, ratings.c.id.is_(None))
             .order_by(services.c.id).limit(limit))
    return list(conn.execute(query))


def pad_service(conn: Connection, window: str, ended_since: float) -> Row[Any]:
    """What a window's rating pad rates: the window's latest service, if it was finished and
    ended after `ended_since` — so once the next citizen is called, or too long after, the pad
    cannot rate someone else's service (一次一评, the citizen at the counter rates)."""
    row = conn.execute(
        _services().where(services.c.window == window).order_by(services.c.id.desc()).limit(1)
    ).first()
    if row is not None and row.outcome is None:
        raise NotRateable(f"window {window} is already serving ticket {row.number}")
    row = _finished(row, f"window {window}")
    if row.ended_at < ended_since:
        raise NotRateable(f"the last service at window {window} ended too long ago")
    return row


def rate(
    conn: Connection, now: float, service: Row[Any], level: int, reasons: Sequence[str], channel: str,
    dimensions: Mapping[str, int], deadline: float, *, reason_later: bool = False,
) -> Rating:
    """Store one rating. `reason_later`: the channel cannot take reasons (a pad's keys), so a
    差评 without one is kept and its follow-up opens marked `reason_needed` (asked at 回访)."""
    if level not in LEVELS or any(v not in LEVELS for v in dimensions.values()):
        raise InvalidLevel()
    reasons = tuple(r.strip()[:100] for r in reasons if r.strip())
    if level <= BAD and not reasons and not reason_later:
        raise ReasonRequired(level)
    if conn.execute(select(ratings.c.id).where(ratings.c.service_id == service.id)).first():
        raise AlreadyRated(service.number)
    rating_id = conn.execute(insert(ratings).values(
        service_id=service.id, ticket_id=service.ticket_id, ticket_number=service.number, case_no=service.case_no,
        item_code=service.item_code, category=service.category, department=service.department,
        window=service.window, staff=service.staff, citizen_key=service.citizen_key, channel=channel, level=level,
        reasons=json.dumps(reasons, ensure_ascii=False), dimensions=json.dumps(dict(dimensions), ensure_ascii=False),
        at=now, void=False,
    ).returning(ratings.c.id)).scalar_one()
    follow_up_id = None
    if level <= BAD:
        follow_up_id = conn.execute(insert(follow_ups).values(
            rating_id=rating_id, state="open", deadline=deadline, opened_at=now,
        ).returning(follow_ups.c.id)).scalar_one()
        conn.execute(insert(follow_up_steps).values(follow_up_id=follow_up_id, kind="opened", at=now))
        if not reasons:
            conn.execute(insert(follow_up_steps).values(follow_up_id=follow_up_id, kind="reason_needed", at=now,
                                                        note="评价器差评：原因待回访时向办事人核实"))
    return Rating(
        rating_id, service.id, service.number, level, reasons, channel, service.window, service.staff,
        service.case_no, service.item_code, service.department, now, follow_up_id, dict(dimensions),
    )


def step(
    conn: Connection, now: float, follow_up_id: int, action: FollowUpAction, by: str, note: str | None,
) -> FollowUp:
    current = conn.execute(
        select(follow_ups.c.state, follow_ups.c.rating_id, ratings.c.citizen_key)
        .join(ratings, ratings.c.id == follow_ups.c.rating_id).where(follow_ups.c.id == follow_up_id)
    ).first()
    if current is None:
        raise UnknownFollowUp(follow_up_id)
    to = _FLOW.get((current.state, action))
    if to is None:
        raise InvalidTransition(f"follow-up {follow_up_id}", current.state, action.value.replace("_", " "))
    done = {k for k, in conn.execute(
        select(follow_up_steps.c.kind).where(follow_up_steps.c.follow_up_id == follow_up_id))}
    if action is FollowUpAction.APPEAL_REJECTED and FollowUpAction.RECTIFY.value in done:
        to = "rectified"
    if action is FollowUpAction.CLOSE and current.citizen_key and FollowUpAction.RETURN_VISIT.value not in done:
        raise InvalidTransition(f"follow-up {follow_up_id}", current.state, "close before the return visit (回访)")
    conn.execute(
        update(follow_ups).where(follow_ups.c.id == follow_up_id, follow_ups.c.state == current.state)
        .values(state=to, closed_at=now if to == "closed" else None)
    )
    if action is FollowUpAction.APPEAL_UPHELD:
        conn.execute(update(ratings).where(ratings.c.id == current.rating_id).values(void=True))
    conn.execute(insert(follow_up_steps).values(
        follow_up_id=follow_up_id, kind=action.value, at=now, by=by, note=(note or None) and note[:500],
    ))
    return load(conn, follow_up_id)


def load(conn: Connection, follow_up_id: int) -> FollowUp:
    row = conn.execute(select(follow_ups).where(follow_ups.c.id == follow_up_id)).first()
    if row is None:
        raise UnknownFollowUp(follow_up_id)
    steps = conn.execute(
        select(follow_up_steps).where(follow_up_steps.c.follow_up_id == follow_up_id).order_by(follow_up_steps.c.id)
    )
    return FollowUp(row.id, row.rating_id, row.state, row.deadline, row.opened_at, row.closed_at,
                    tuple(FollowUpStep(s.kind, s.at, s.by, s.note) for s in steps))


def open_follow_ups(conn: Connection) -> list[FollowUp]:
    ids = conn.execute(
        select(follow_ups.c.id).where(follow_ups.c.state != "closed").order_by(follow_ups.c.deadline, follow_ups.c.id)
    ).scalars().all()
    return [load(conn, i) for i in ids]


def of_ticket(conn: Connection, ticket_id: int) -> Rating | None:
    """The rating of a ticket's latest finished service, whatever channel gave it (一次一评)."""
    row = conn.execute(
        select(ratings, follow_ups.c.id.label("follow_up_id"))
        .join(services, services.c.id == ratings.c.service_id)
        .outerjoin(follow_ups, follow_ups.c.rating_id == ratings.c.id)
        .where(services.c.ticket_id == ticket_id).order_by(ratings.c.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return Rating(row.id, row.service_id, row.ticket_number, row.level, tuple(json.loads(row.reasons)), row.channel,
                  row.window, row.staff, row.case_no, row.item_code, row.department, row.at, row.follow_up_id,
                  json.loads(row.dimensions))
