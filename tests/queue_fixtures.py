"""Fixtures for the queue engine, on both databases: a fresh SQLite file per test, and one
PostgreSQL database per test session (onetrip_test_<pid>, emptied before each test).

Test modules load them with `pytest_plugins = ["tests.queue_fixtures"]` (and import
constants from tests.queue_helpers, never from here, so pytest can rewrite this module).
"""
from __future__ import annotations

import os
import socket
import subprocess
import time as systime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from center.db import Database, metadata, open_database
from center.queue import QueueEngine
from center.queue_types import QueueSettings
from core.clock import FakeClock
from tests.queue_helpers import MONDAY_9, make_categories

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_listening() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
        return True
    except OSError:
        return False


def ensure_postgres() -> None:
    """Start the Debian cluster if it is not running (the test setup owns this, not the tests)."""
    if _pg_listening():
        return
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"], check=True)
    deadline = systime.monotonic() + 30
    while not _pg_listening():
        if systime.monotonic() > deadline:
            raise RuntimeError("PostgreSQL did not come up on 127.0.0.1:5432")
        systime.sleep(0.2)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[Database]:
    ensure_postgres()
    name = f"onetrip_test_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = open_database(f"postgresql://postgres@127.0.0.1:5432/{name}")
    yield db
    db.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty(db: Database) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database of each kind."""
    if request.param == "postgres":
        database = request.getfixturevalue("pg_database")
        _empty(database)
        yield database
        return
    database = open_database(f"sqlite:///{tmp_path / 'center.db'}")
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY_9.timestamp())


@pytest.fixture
def settings() -> QueueSettings:
    return QueueSettings()


@pytest.fixture
def engine(db: Database, clock: FakeClock, settings: QueueSettings) -> QueueEngine:
    """An engine with categories A, B (cap 5), C and windows 1 (A, B) and 2 (A, C) open."""
    e = QueueEngine(db, clock, make_categories(), settings)
    e.configure_window("1", ["A", "B"], name="1号窗口", department="综合受理")
    e.configure_window("2", ["A", "C"], name="2号窗口", department="综合受理")
    e.sign_in("1", "staff-1")
    e.sign_in("2", "staff-2")
    return e
