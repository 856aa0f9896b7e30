"""SQLite's group commit (center/db.py): writes arriving together share one commit, each
applied or refused on its own, every caller answered only once the commit is done."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from center.db import Database, counters, open_database
from tests.conftest import wait_until


@pytest.fixture
def db(tmp_path: Path):
    database = open_database(f"sqlite:///{tmp_path / 'center.db'}")
    yield database
    database.dispose()


def test_writes_waiting_together_share_one_commit_and_fail_alone(db: Database) -> None:
    group = db.group
    assert group is not None
    outcomes: dict[int, object] = {}

    def write(i: int) -> None:
        def fn(conn):
            conn.execute(insert(counters).values(series=f"S{i}", day="2026-11-23", last=i))
            if i % 3 == 0:
                raise ValueError(f"refused {i}")  # its own insert is rolled back, nobody else's
            return i
        try:
            outcomes[i] = db.write(fn, durable=True)
        except ValueError as exc:
            outcomes[i] = str(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    group._writer.acquire()  # a write in progress: the others queue behind it
    try:
        for t in threads:
            t.start()
        wait_until(lambda: len(group._pending) == 6)
        commits = group.commits
        assert outcomes == {}  # nobody is answered before the commit
    finally:
        group._writer.release()
    for t in threads:
        t.join(10)
    assert group.commits == commits + 1
    assert outcomes == {0: "refused 0", 1: 1, 2: 2, 3: "refused 3", 4: 4, 5: 5}
    with db.read() as conn:
        assert sorted(conn.execute(select(counters.c.last)).scalars()) == [1, 2, 4, 5]


def test_a_write_inside_a_write_is_refused_instead_of_waiting_for_itself(db: Database) -> None:
    with pytest.raises(RuntimeError, match="inside a write"):
        db.write(lambda conn: db.write(lambda inner: None))
