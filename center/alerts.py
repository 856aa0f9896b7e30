"""Alerts for the control room, one row per (kind, key): raising again updates it, never
duplicates it; clearing keeps it for the record; an acknowledgement holds until it clears.

The queue raises its own (waits over target, long queues, idle windows beside waiting
people, 差评, overdue follow-ups); the MQTT service raises those terminals report (device
offline, out of paper, outbox backlog) through the same `raise_alert`/`clear_alert`.
"""
from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Row

from center import i18n
from center.db import Database, alerts, follow_ups, window_categories, windows
from center.queue_types import Alert, CategoryLike, QueueSettings, WindowState
from center.tickets import waiting_by_category


class AlertKind(str, enum.Enum):
    WAIT_OVER_TARGET = "wait_over_target"
    QUEUE_LONG = "queue_long"
    WINDOW_IDLE = "window_idle"
    DEVICE_OFFLINE = "device_offline"
    PAPER_OUT = "paper_out"
    OUTBOX_BACKLOG = "outbox_backlog"
    BAD_RATING = "bad_rating"
    FOLLOW_UP_OVERDUE = "follow_up_overdue"
    HELP = "help_requested"  # a citizen at a kiosk asked for a floor helper (帮办)
    CLOCK_OFFSET = "clock_offset"  # a terminal's own clock is off hall time (it still shows hall time)
    PROMISE_OVERDUE = "promise_overdue"  # a 容缺 material not handed in by its deadline
    HELP_ESCALATED = "help_escalated"  # a 帮办 request nobody acknowledged in time


QUEUE_KINDS = (AlertKind.WAIT_OVER_TARGET, AlertKind.QUEUE_LONG, AlertKind.WINDOW_IDLE, AlertKind.FOLLOW_UP_OVERDUE)


def to_alert(row: Row[Any]) -> Alert:
    return Alert(row.kind, row.key, row.text, row.active, row.raised_at, row.last_at, row.count,
                 row.acked_at, row.acked_by)


def raise_alert(db: Database, conn: Connection, now: float, kind: AlertKind, key: str, text: str) -> Alert:
    """Raise or refresh: an active alert keeps its start and acknowledgement and counts
    repeats; an inactive one starts afresh."""
    text = text[:500]
    conn.execute(db.insert_ignore(alerts).values(
        kind=kind.value, key=key, text=text, active=False, raised_at=now, last_at=now, count=0,
    ))
    row = conn.execute(
        select(alerts).where(alerts.c.kind == kind.value, alerts.c.key == key).with_for_update()
    ).one()
    values: dict[str, Any] = {"text": text, "last_at": now, "count": row.count + 1}
    if not row.active:
        values.update(active=True, raised_at=now, count=1, acked_at=None, acked_by=None, cleared_at=None)
    return to_alert(conn.execute(
        update(alerts).where(alerts.c.id == row.id).values(**values).returning(alerts)
    ).one())


def clear_alert(conn: Connection, now: float, kind: AlertKind, key: str) -> bool:
    """True if an active alert was cleared."""
    return conn.execute(
        update(alerts).where(alerts.c.kind == kind.value, alerts.c.key == key, alerts.c.active.is_(True))
        .values(active=False, cleared_at=now)
    ).rowcount == 1


def ack_alert(conn: Connection, now: float, kind: AlertKind, key: str, by: str) -> Alert | None:
    row = conn.execute(
        update(alerts).where(alerts.c.kind == kind.value, alerts.c.key == key)
        .values(acked_at=now, acked_by=by).returning(alerts)
    ).first()
    return to_alert(row) if row is not None else None


def listing(conn: Connection, active_only: bool) -> list[Alert]:
    query = select(alerts).order_by(alerts.c.id)
    if active_only:
        query = query.where(alerts.c.active.is_(True))
    return [to_alert(r) for r in conn.execute(query)]


def conditions(
    conn: Connection, now: float, day: str, categories: dict[str, CategoryLike], settings: QueueSettings,
) -> dict[tuple[AlertKind, str], str]:
    """The queue's alert conditions that hold now: (kind, key) → text."""
    found: dict[tuple[AlertKind, str], str] = {}
    waiting = waiting_by_category(conn, day)
    for code, (n, oldest) in waiting.items():
        if n > settings.queue_alert_length:
            found[AlertKind.QUEUE_LONG, code] = i18n.text("alert.queue_long", n=n, category=code)
        rules = categories.get(code)
        if rules is not None and now - oldest > rules.wait_target_min * 60:
            found[AlertKind.WAIT_OVER_TARGET, code] = i18n.text(
                "alert.wait_over_target", category=code, waited=f"{(now - oldest) / 60:.0f}",
                target=f"{rules.wait_target_min:g}")
    idle = conn.execute(
        select(windows.c.code, windows.c.since, window_categories.c.category)
        .join(window_categories, window_categories.c.window == windows.c.code)
        .where(windows.c.state == WindowState.IDLE.value,
               windows.c.since < now - settings.window_idle_alert_min * 60)
    )
    for code, since, category in idle:
        if category in waiting:
            found[AlertKind.WINDOW_IDLE, code] = i18n.text(
                "alert.window_idle", window=code, idle=f"{(now - since) / 60:.0f}", category=category)
    overdue = conn.execute(
        select(follow_ups.c.id).where(follow_ups.c.state != "closed", follow_ups.c.deadline < now)
    ).scalars()
    for follow_up_id in overdue:
        found[AlertKind.FOLLOW_UP_OVERDUE, str(follow_up_id)] = i18n.text("alert.follow_up_overdue",
                                                                          follow_up=follow_up_id)
    return found


def sync_queue_alerts(
    db: Database, conn: Connection, now: float, day: str, categories: dict[str, CategoryLike],
    settings: QueueSettings,
) -> list[Alert]:
    """Raise what holds, clear queue alerts that no longer hold; the active alerts after."""
    found = conditions(conn, now, day, categories, settings)
    for (kind, key), text in found.items():
        raise_alert(db, conn, now, kind, key, text)
    active = conn.execute(
        select(alerts.c.kind, alerts.c.key)
        .where(alerts.c.active.is_(True), alerts.c.kind.in_([k.value for k in QUEUE_KINDS]))
    ).all()
    for kind, key in active:
        if (AlertKind(kind), key) not in found:
            clear_alert(conn, now, AlertKind(kind), key)
    return listing(conn, active_only=True)
