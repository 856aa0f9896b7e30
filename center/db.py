"""The center's storage: one SQLAlchemy data layer over SQLite (WAL, default) or PostgreSQL.

Tables are SQLAlchemy Core tables; the schema is versioned by the Alembic migrations in
`center/migrations/`, which `open_database` runs before anything else touches the data.
Every timestamp is a float of epoch seconds (the same on both databases); every column an
ORDER BY uses is NOT NULL, so no database's NULL ordering can change the queue.
"""
from __future__ import annotations

import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean, Column, Double, ForeignKey, Index, Integer, MetaData, SmallInteger, String, Table,
    Text, UniqueConstraint, create_engine, event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, MultipleResultsFound, NoResultFound
from sqlalchemy.sql.dml import Insert

from core.paths import state_dir

T = TypeVar("T")

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

KEY = 64  # citizen keys, terminal ids, event ids, item codes

# One number series per (series, day): a category's tickets, or the day's case numbers.
counters = Table(
    "counters", metadata,
    Column("series", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("last", Integer, nullable=False),
)

tickets = Table(
    "tickets", metadata,
    Column("id", Integer, primary_key=True),
    Column("day", String(10), nullable=False),            # local date of issue, YYYY-MM-DD
    Column("series", String(16), nullable=False),         # category the number was drawn from
    Column("seq", Integer, nullable=False),
    Column("number", String(8), nullable=False),          # A001
    Column("category", String(16), nullable=False),       # current category (transfers change it)
    Column("state", String(16), nullable=False),
    Column("tier", SmallInteger, nullable=False),         # 0 appointment, 1 priority, 2 normal
    Column("sort_at", Double, nullable=False),            # arrival (or slot start): the place kept
    Column("issued_at", Double, nullable=False),
    Column("state_at", Double, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("priority", String(32)),
    Column("item_code", String(KEY)),
    Column("terminal", String(KEY)),
    Column("ref", String(32), unique=True),               # unguessable: how a kiosk names its own ticket
    Column("citizen_key", String(KEY)),
    Column("appointment_id", Integer),
    Column("window", String(32)),
    Column("service_id", Integer),
    Column("recalls", Integer, nullable=False, default=0),
    # Set while its kiosk has not confirmed the print (no ghost tickets): not callable until then,
    # closed 未出票 once this hall time passes.
    Column("print_due", Double, index=True),
    UniqueConstraint("day", "series", "seq"),
    Index(None, "day", "state", "category", "tier", "sort_at", "id"),
)

transitions = Table(
    "transitions", metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16), nullable=False),
    Column("at", Double, nullable=False),
    Column("window", String(32)),
    Column("staff", String(KEY)),
    Column("detail", String(200)),
)

windows = Table(
    "windows", metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("department", String(64)),
    Column("state", String(16), nullable=False),
    Column("staff", String(KEY)),
    Column("pause_reason", String(200)),
    Column("ticket_id", Integer),       # the last ticket called here; current while calling/serving
    Column("service_id", Integer),
    Column("streak", Integer, nullable=False),  # priority calls in a row (fairness ratio)
    Column("since", Double, nullable=False),
)

window_categories = Table(
    "window_categories", metadata,
    Column("window", String(32), ForeignKey("windows.code"), primary_key=True),
    Column("category", String(16), primary_key=True, index=True),
)

window_log = Table(
    "window_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("window", String(32), ForeignKey("windows.code"), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("at", Double, nullable=False),
    Column("staff", String(KEY)),
    Column("detail", String(200)),
)

# One row per time a ticket stands at a window: ratings, cases and wait learning hang on it.
services = Table(
    "services", metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False, index=True),
    Column("category", String(16), nullable=False),
    Column("item_code", String(KEY)),
    Column("window", String(32), nullable=False, index=True),
    Column("staff", String(KEY)),
    Column("called_at", Double, nullable=False),
    Column("started_at", Double),
    Column("ended_at", Double),
    Column("outcome", String(16)),      # done, no_show, held, transferred, cancelled
    Column("hour", SmallInteger),       # local hour of the end, for learning by hour
    Index(None, "category", "outcome", "hour", "id"),
)

announcements = Table(
    "announcements", metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("number", String(8), nullable=False),
    Column("category", String(16), nullable=False),
    Column("window", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", Double, nullable=False),
    Index(None, "category", "id"),
)

appointments = Table(
    "appointments", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),   # what the QR code carries
    Column("category", String(16), nullable=False),
    Column("item_code", String(KEY)),
    Column("citizen_key", String(KEY), nullable=False),
    Column("day", String(10), nullable=False),
    Column("slot_start", Double, nullable=False),
    Column("slot_end", Double, nullable=False),
    Column("state", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("booked_at", Double, nullable=False),
    Column("ticket_id", Integer),
    Index(None, "citizen_key", "day"),
    Index(None, "category", "slot_start"),
)

# Booked places per category and slot, drawn by the same guarded update as numbers.
slots = Table(
    "slots", metadata,
    Column("category", String(16), primary_key=True),
    Column("slot_start", Double, primary_key=True),
    Column("booked", Integer, nullable=False),
)

cases = Table(
    "cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(24), nullable=False, unique=True),
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("service_id", Integer, ForeignKey("services.id"), nullable=False, unique=True),
    Column("citizen_key", String(KEY), index=True),
    Column("item_code", String(KEY)),
    Column("category", String(16), nullable=False),
    Column("window", String(32), nullable=False),
    Column("staff", String(KEY)),
    Column("state", String(16), nullable=False),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)

case_steps = Table(
    "case_steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("at", Double, nullable=False),
    Column("by", String(KEY)),
    Column("note", String(500)),
)

ratings = Table(
    "ratings", metadata,
    Column("id", Integer, primary_key=True),
    Column("service_id", Integer, ForeignKey("services.id"), nullable=False, unique=True),  # 一次一评
    Column("ticket_id", Integer, ForeignKey("tickets.id"), nullable=False),
    Column("ticket_number", String(8), nullable=False),
    Column("case_no", String(24)),
    Column("item_code", String(KEY)),
    Column("category", String(16), nullable=False),
    Column("department", String(64)),
    Column("window", String(32), nullable=False),
    Column("staff", String(KEY)),
    Column("citizen_key", String(KEY)),
    Column("channel", String(16), nullable=False),
    Column("level", SmallInteger, nullable=False),
    Column("reasons", Text, nullable=False),       # JSON list of tags / text
    Column("dimensions", Text, nullable=False),    # JSON object: dimension → level
    Column("at", Double, nullable=False),
    Column("void", Boolean, nullable=False),       # an upheld appeal voids a malicious rating
)

follow_ups = Table(
    "follow_ups", metadata,
    Column("id", Integer, primary_key=True),
    Column("rating_id", Integer, ForeignKey("ratings.id"), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    Column("deadline", Double, nullable=False),
    Column("opened_at", Double, nullable=False),
    Column("closed_at", Double),
)

follow_up_steps = Table(
    "follow_up_steps", metadata,
    Column("id", Integer, primary_key=True),
    Column("follow_up_id", Integer, ForeignKey("follow_ups.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("at", Double, nullable=False),
    Column("by", String(KEY)),
    Column("note", String(500)),
)

alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("key", String(128), nullable=False),
    Column("text", String(500), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("raised_at", Double, nullable=False),
    Column("last_at", Double, nullable=False),
    Column("count", Integer, nullable=False),
    Column("acked_at", Double),
    Column("acked_by", String(KEY)),
    Column("cleared_at", Double),
    UniqueConstraint("kind", "key"),
)

# Events a terminal sent that the center refused: acknowledged (the outbox moves on) and kept
# here for the control room, personal fields masked.
refused_events = Table(
    "refused_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(KEY), nullable=False, unique=True),
    Column("terminal", String(KEY), nullable=False),
    Column("kind", String(KEY), nullable=False),
    Column("error", String(64), nullable=False),
    Column("message", String(500), nullable=False),
    Column("payload", Text, nullable=False),
    Column("at", Double, nullable=False),
    Index(None, "at"),
)

# Staff accounts (工号): roles, state, an argon2 hash and the previous ones (no reuse).
staff = Table(
    "staff", metadata,
    Column("staff_no", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("roles", String(128), nullable=False),        # comma-separated center.staff.Role values
    Column("state", String(16), nullable=False),         # active, locked, disabled
    Column("password_hash", String(256), nullable=False),
    Column("previous_hashes", Text, nullable=False),     # JSON list, newest first
    Column("must_change", Boolean, nullable=False),      # an initial or reset password
    Column("failures", Integer, nullable=False),         # failed sign-ins in a row
    Column("changed_at", Double, nullable=False),
    Column("created_at", Double, nullable=False),
)

# Server-side sign-in sessions: only the token's hash is kept.
staff_sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("staff_no", String(32), ForeignKey("staff.staff_no"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("client", String(64)),
    Column("created_at", Double, nullable=False),
    Column("seen_at", Double, nullable=False),
)

# The audit trail: append-only, each row's hash covers the previous row's (center/audit.py).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Double, nullable=False),
    Column("staff_no", String(32)),
    Column("roles", String(128)),
    Column("window", String(32)),
    Column("action", String(80), nullable=False),
    Column("target", String(200)),
    Column("result", String(200), nullable=False),
    Column("client", String(64)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Index(None, "at"),
)

# 容缺受理: a deferred material promised at the window, with its 承诺书 and deadline (center/promises.py).
promises = Table(
    "promises", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_no", String(24), nullable=False, index=True),
    Column("material", String(200), nullable=False),
    Column("pledge_signed", Boolean, nullable=False),   # 承诺书 signed at the window
    Column("due", String(10), nullable=False),          # local date, YYYY-MM-DD: the last business day
    Column("state", String(16), nullable=False),        # owed, fulfilled
    Column("promised_at", Double, nullable=False),
    Column("window", String(32)),
    Column("staff", String(KEY)),
    Column("fulfilled_at", Double),
    Column("fulfilled_by", String(KEY)),
)

# 帮办: a kiosk's help request as a case, from asked to closed (center/help_desk.py).
help_cases = Table(
    "help_cases", metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(KEY), nullable=False, unique=True),
    Column("terminal", String(KEY), nullable=False),
    Column("location", String(200), nullable=False),
    Column("topic", String(60), nullable=False),
    Column("day", String(10), nullable=False),          # local date asked, for the day's report
    Column("state", String(16), nullable=False),        # asked, assigned, arrived, resolved
    Column("asked_at", Double, nullable=False),
    Column("acknowledged_at", Double),
    Column("acknowledged_by", String(KEY)),
    Column("helper", String(KEY)),                      # the floor helper's 工号
    Column("helper_name", String(64)),
    Column("arrived_at", Double),
    Column("closed_at", Double),
    Column("closed_by", String(KEY)),
    Column("outcome", String(200)),
    Column("escalated_at", Double),
    Index(None, "day"),
)

applied_events = Table(
    "applied_events", metadata,
    Column("event_id", String(KEY), primary_key=True),
    Column("op", String(32), nullable=False),
    Column("result", Text, nullable=False),   # JSON of what the operation returned
    Column("at", Double, nullable=False),
)


def sqlite_url(state: Path) -> str:
    """The center's SQLite database in its state folder (the default without `database_url`)."""
    return f"sqlite:///{state / 'center.sqlite'}"


def default_url() -> str:
    return f"sqlite:///{state_dir('center') / 'center.db'}"


def _sqlite_setup(engine: Engine, sync: str) -> None:
    """WAL, a busy timeout, BEGIN IMMEDIATE for writes, and durability per transaction.

    pysqlite begins a transaction lazily at the first write, so two writers that both read
    first can deadlock on the lock upgrade; taking the write lock at BEGIN serialises them
    cleanly. Reads (`read_only` execution option) keep a plain deferred BEGIN, so under WAL
    they never wait for a writer.

    Durable transactions (`durable` execution option) commit with synchronous=FULL: the WAL is
    fsynced before COMMIT returns, and with it every transaction before. The others commit
    with `sync` (NORMAL by default): safe from a crash of the process, not from a power cut
    until the next durable commit or checkpoint.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        for pragma in ("journal_mode=WAL", f"synchronous={sync}", "busy_timeout=30000", "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()
        record.info["synchronous"] = sync

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        raw = conn.connection.dbapi_connection  # straight to sqlite3: this runs on every transaction
        if options.get("read_only"):
            raw.execute("BEGIN")
            return
        want = "FULL" if options.get("durable") else sync
        info = conn.connection.info
        if info.get("synchronous") != want:
            raw.execute(f"PRAGMA synchronous={want}")
            info["synchronous"] = want
        raw.execute("BEGIN IMMEDIATE")


def create_db_engine(url: str | None = None, sqlite_sync: str = "NORMAL", **kwargs: Any) -> Engine:
    """An Engine for `url` (default: SQLite in the state directory), set up for the queue;
    `sqlite_sync="FULL"` makes every SQLite commit durable, not only the durable ones."""
    url = url or default_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("pool_size", 8)
        engine = create_engine(url, **kwargs)
        _sqlite_setup(engine, sqlite_sync)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True, **kwargs)
    _postgres_setup(engine)
    return engine


def _postgres_setup(engine: Engine) -> None:
    """The same durability split as on SQLite: a transaction not marked `durable` commits
    with synchronous_commit off — it survives a crash of the center, and a crash of the
    server loses at most the last moments of staff steps, never a durable commit after them."""

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if not options.get("durable") and not options.get("read_only"):
            with conn.connection.dbapi_connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")


def open_database(url: str | None = None, **kwargs: Any) -> Database:
    """Connect and bring the schema to the newest migration before first use."""
    from center.migrations import upgrade

    engine = create_db_engine(url, **kwargs)
    upgrade(engine)
    return Database(engine)


class Prepared:
    """A hot-path statement compiled once per dialect and parameter names, then run on the
    DBAPI cursor of the transaction's connection.

    Profiling a visit (issue + call + start + finish) showed SQLAlchemy's per-execution work
    — cache lookup, parameter processing, result setup, ~25 µs a statement — was most of its
    CPU. The SQL is still SQLAlchemy's, compiled for whichever database; only that work is
    skipped. Values must need no type processing (numbers and strings), and errors come out
    as SQLAlchemy's DBAPIError subclasses like any other statement's.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        table = getattr(statement, "table", None)
        self._columns = set(table.c.keys()) if table is not None else set()
        self._compiled: dict[tuple[str, tuple[str, ...]], tuple[str, list[str] | None, dict[str, Any]]] = {}

    def __call__(self, conn: Connection, params: dict[str, Any]) -> Rows:
        dialect = conn.dialect
        key = (dialect.name, tuple(params))
        compiled_form = self._compiled.get(key)
        if compiled_form is None:
            compiled = self.statement.compile(dialect=dialect, column_keys=[k for k in params if k in self._columns])
            constants = {k: v for k, v in compiled.construct_params(_check=False).items() if k not in params}
            compiled_form = self._compiled[key] = (compiled.string, compiled.positiontup, constants)
        sql, order, constants = compiled_form
        if constants:
            params = {**constants, **params}
        args: Any = tuple(params[name] for name in order) if order is not None else params
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql, args)
            rows = cursor.fetchall() if cursor.description else []
            names = tuple(d[0] for d in cursor.description) if cursor.description else ()
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(sql, args, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
        finally:
            cursor.close()
        return Rows(rows, _row_class(names))


@lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type[tuple[Any, ...]]:
    return namedtuple("Row", names, rename=True)  # type: ignore[return-value]


class Rows:
    """The few result accessors the hot paths use, with SQLAlchemy's names."""

    def __init__(self, rows: list[Any], row_class: type[tuple[Any, ...]]) -> None:
        self._rows, self._class = rows, row_class

    def first(self) -> Any:
        return self._class(*self._rows[0]) if self._rows else None

    def all(self) -> list[Any]:
        return [self._class(*row) for row in self._rows]

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise NoResultFound("expected one row") if not self._rows else MultipleResultsFound("expected one row")
        return self._class(*self._rows[0])

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]


_TRANSIENT = {"40001", "40P01"}  # PostgreSQL serialization failure, deadlock detected


class _Job:
    """One caller's write waiting in a group commit."""

    def __init__(self, fn: Callable[[Connection], Any], durable: bool) -> None:
        self.fn, self.durable = fn, durable
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None


class GroupCommit:
    """SQLite's writes from this process, one transaction at a time, those arriving together
    in one commit (one fsync).

    SQLite has one writer; threads that meet its lock wait in its busy handler, which sleeps
    in steps of milliseconds. Here they queue instead: whoever holds the writer runs every
    write waiting, each in a SAVEPOINT of its own (a refused one rolls back alone), commits
    once — synchronous=FULL if any of them is durable — and only then are their callers
    answered: on disk before the answer, each applied once and in turn."""

    def __init__(self, engine: Engine, durable: Engine) -> None:
        self._engines = (engine, durable)
        self._pending: list[_Job] = []
        self._queue = threading.Lock()   # guards _pending
        self._writer = threading.Lock()  # the one writer of this process
        self._owner: int | None = None   # the thread holding it, while it commits
        self.commits = self.writes = 0   # how well writes share commits (bench/center.py prints it)

    def run(self, fn: Callable[[Connection], T], durable: bool) -> T:
        if self._owner == threading.get_ident():
            raise RuntimeError("a write inside a write would wait for itself: pass the connection on instead")
        job = _Job(fn, durable)
        with self._queue:
            self._pending.append(job)
        with self._writer:
            if not job.done:  # else an earlier writer committed it while this thread waited
                with self._queue:
                    batch, self._pending = self._pending, []
                self._owner = threading.get_ident()
                try:
                    self._commit(batch)
                finally:
                    self._owner = None
        if job.error is not None:
            raise job.error
        return job.result

    def _commit(self, batch: list[_Job]) -> None:
        alone = len(batch) == 1  # the usual case: its own transaction, no savepoint to pay for
        try:
            with self._engines[any(j.durable for j in batch)].begin() as conn:
                for job in batch:
                    savepoint = None if alone else conn.begin_nested()
                    try:
                        job.result = job.fn(conn)
                    except Exception as exc:
                        if savepoint is None:
                            raise  # rolls the transaction back
                        savepoint.rollback()
                        job.error = exc
                    else:
                        if savepoint is not None:
                            savepoint.commit()
        except Exception as exc:  # the commit (or the lone write) failed: none of it happened
            for job in batch:
                job.error, job.result = exc, None
        finally:
            self.commits += 1
            self.writes += len(batch)
            for job in batch:
                job.done = True


class Database:
    """Transactions over one Engine: `write()` for changes, `read()` for snapshots."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._reader = engine.execution_options(read_only=True)
        self._durable = engine.execution_options(durable=True)
        self.group = GroupCommit(engine, self._durable) if self.dialect == "sqlite" else None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._reader.connect() as conn, conn.begin():
            yield conn

    def write(self, fn: Callable[[Connection], T], durable: bool = False, attempts: int = 5) -> T:
        """Run `fn` in one committed transaction, retrying transient conflicts (so it must be
        safe to re-run: its effects only happen when the transaction commits). A `durable`
        one is on disk when this returns (PostgreSQL commits are always synced). On SQLite,
        writes arriving together share one commit (GroupCommit)."""
        if self.group is not None:
            return self.group.run(fn, durable)
        engine = self._durable if durable else self.engine
        for attempt in range(attempts):
            try:
                with engine.begin() as conn:
                    return fn(conn)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) not in _TRANSIENT or attempt == attempts - 1:
                    raise
                time.sleep(0.005 * (attempt + 1))
        raise AssertionError("unreachable")

    def insert_ignore(self, table: Table) -> Insert:
        """INSERT … ON CONFLICT DO NOTHING in this database's dialect."""
        module = postgresql if self.dialect == "postgresql" else sqlite
        return module.insert(table).on_conflict_do_nothing()

    def dispose(self) -> None:
        self.engine.dispose()
