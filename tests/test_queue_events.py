"""Idempotency by event id, and the schema's migrations."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, insert, select

from center.db import Database, alerts, applied_events, tickets
from center.migrations import alembic_config
from center.queue import QueueEngine
from center.queue_errors import NoTicketWaiting
from center.queue_types import Call, Ticket

pytest_plugins = ["tests.queue_fixtures"]


def _count(db: Database, table) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_repeated_event_returns_the_same_ticket_and_issues_once(engine: QueueEngine) -> None:
    assert not engine.already_applied("kiosk-01:42")
    first = engine.issue_ticket("A", "kiosk", event_id="kiosk-01:42")
    assert engine.already_applied("kiosk-01:42")
    again = engine.issue_ticket("A", "kiosk", event_id="kiosk-01:42")
    assert isinstance(again, Ticket) and again == first
    assert _count(engine.db, tickets) == 1
    assert engine.issue_ticket("A", "kiosk", event_id="kiosk-01:43").number == "A002"


def test_a_repeated_call_returns_the_same_call(engine: QueueEngine) -> None:
    engine.issue_ticket("A", "kiosk")
    engine.issue_ticket("A", "kiosk")
    call = engine.call_next("1", event_id="caller-1:7")
    assert engine.call_next("1", event_id="caller-1:7") == call
    assert isinstance(call, Call) and engine.window_states()[0].ticket_number == "A001"


def test_a_refused_event_is_not_recorded(engine: QueueEngine) -> None:
    with pytest.raises(NoTicketWaiting):
        engine.call_next("1", event_id="caller-1:8")
    engine.issue_ticket("A", "kiosk")
    assert engine.call_next("1", event_id="caller-1:8").number == "A001"  # judged afresh


def test_the_same_event_from_many_threads_applies_once(engine: QueueEngine) -> None:
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: engine.issue_ticket("C", "kiosk", event_id="dup"), range(12)))
    assert {r.number for r in results} == {"C001"}
    assert _count(engine.db, tickets) == 1 and _count(engine.db, applied_events) == 1


def test_apply_event_runs_the_callers_effect_once(engine: QueueEngine) -> None:
    def effect(conn) -> dict[str, int]:
        conn.execute(insert(alerts).values(kind="device_offline", key="k", text="t", active=True, raised_at=0,
                                           last_at=0, count=1))
        return {"rows": 1}

    assert engine.apply_event("kiosk-03:1", "device_state", effect) == (True, {"rows": 1})
    assert engine.apply_event("kiosk-03:1", "device_state", effect) == (False, {"rows": 1})
    assert _count(engine.db, alerts) == 1


def test_migrations_match_the_tables(db: Database) -> None:
    """`alembic check`: the newest migration creates exactly what center/db.py declares."""
    config = alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.check(config)
        command.current(config)
    with db.read() as conn:
        head = ScriptDirectory.from_config(config).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head
