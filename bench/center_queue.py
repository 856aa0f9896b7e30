"""Queue engine figures: sustained visits/s (issue + call + start + finish, each its own
committed transaction) on SQLite (file, WAL) and on PostgreSQL, and the wait estimate's
error on simulated hall days.

On SQLite an issued ticket is fsynced before it is returned (synchronous=FULL for that
commit); staff steps commit with synchronous=NORMAL (see center/db.py). The second SQLite
figure fsyncs every commit, for comparison.

Budget (DESIGN.md §5): ≥ 1,000 visits/s on SQLite on 2 cores; issue 17: ≥ 700 visits/s on SQLite,
≥ 1,000 on PostgreSQL. Each figure is printed against the simple hall app's full visits
(bench/simple_hall.py: HTTP and its own SQLite, fsync per commit) measured in the same run.
"""
from __future__ import annotations

import os
import tempfile
import time
from datetime import datetime
from datetime import time as dtime
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from bench import simple_hall
from bench.simple_hall import ratio
from center.db import open_database
from center.hallsim import simulate_day
from center.queue import QueueEngine
from center.queue_types import CategoryRules
from core.clock import FakeClock

TZ = ZoneInfo("Asia/Shanghai")
ALL_DAY = {d: ((dtime(0), dtime(23, 59, 59)),) for d in range(7)}
VISITS = int(os.environ.get("BENCH_VISITS", 3000))
CATEGORIES = "ABCD"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def visits_per_second(url: str, visits: int = VISITS, **db_options: str) -> float:
    """One kiosk and four windows taking turns: every operation commits before the next."""
    db = open_database(url, **db_options)
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=TZ).timestamp())
    engine = QueueEngine(db, clock, [CategoryRules(c, c, ALL_DAY) for c in CATEGORIES])
    windows = ["1", "2", "3", "4"]
    for code in windows:
        engine.configure_window(code, list(CATEGORIES))
        engine.sign_in(code, f"staff-{code}")
    started = time.perf_counter()
    for i in range(visits):
        window = windows[i % 4]
        engine.issue_ticket(CATEGORIES[i % 4], "kiosk", terminal="kiosk-01")
        engine.call_next(window)
        engine.start(window)
        engine.finish(window)
        clock.advance(7)  # 3,000 visits in ~6 hours of one day, 750 numbers per category
    elapsed = time.perf_counter() - started
    db.dispose()
    return visits / elapsed


def _sqlite_figures(workdir: str) -> list[str]:
    base = simple_hall.measure().visits_per_s
    policy = visits_per_second(f"sqlite:///{workdir}/policy.db")
    full = visits_per_second(f"sqlite:///{workdir}/full.db", sqlite_sync="FULL")
    return [
        f"queue SQLite file, WAL, issue fsynced (FULL), staff steps NORMAL: {policy:,.0f} visits/s "
        f"over {VISITS} visits ({ratio(policy, base)}; budget ≥ 1,000, target ≥ 700)",
        f"queue SQLite file, WAL, every commit fsynced (FULL): {full:,.0f} visits/s over {VISITS} visits"
        f" ({ratio(full, base)})",
    ]


def _postgres_figure() -> str:
    name = f"onetrip_bench_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here: say so instead of failing the other figures
        return f"queue PostgreSQL: not measured ({type(exc).__name__})"
    try:
        rate = visits_per_second(f"postgresql://postgres@127.0.0.1:5432/{name}")
        return (f"queue PostgreSQL (127.0.0.1, psycopg 3): {rate:,.0f} visits/s over {VISITS} visits"
                f" ({ratio(rate, simple_hall.measure().visits_per_s)}; target ≥ 1,000)")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _estimate_figures(workdir: str) -> list[str]:
    lines = []
    for seed in (1, 2, 3):
        db = open_database(f"sqlite:///{workdir}/day{seed}.db")
        day = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
        clock = FakeClock(day.timestamp())
        r = simulate_day(QueueEngine(db, clock), clock, day, seed=seed)
        db.dispose()
        lines.append(
            f"wait estimate, simulated day {seed}: {r.tickets} tickets, mean wait {r.mean_wait_min:.1f} min, "
            f"MAE {r.mae_min:.1f} min (bias {r.bias_min:+.1f}), {r.in_range_pct:.0f} % inside the printed range; "
            f"naive 5 min × ahead: MAE {r.naive_mae_min:.1f} min")
    return lines


def run() -> list[str]:
    with tempfile.TemporaryDirectory() as workdir:
        return [*_sqlite_figures(workdir), _postgres_figure(), *_estimate_figures(workdir)]


if __name__ == "__main__":
    print("\n".join(run()))
