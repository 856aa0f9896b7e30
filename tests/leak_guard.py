"""The leak guard: a test leaves no thread, child process, listening port, log handler or
logging error behind (tests/README.md says how to fix what it reports).

A 7×24 terminal runs for months: a `stop()` that leaves a thread, a process or a socket behind
is a product bug there, and in the suite it is a thread logging into the next test's captured
output ("--- Logging error --- ValueError: I/O operation on closed file"). After every test an
autouse fixture compares what is alive with what was alive when the test started, allowing a
short grace (threads joined, processes waited for, ports polled, up to GRACE seconds) for
things that are already stopping; whatever is still there fails the test at teardown, by name.
Fixtures wider than a function (a module's hall, the session's Xvfb) are held to the same
rule when they are finalized. Loaded by tests/conftest.py.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psutil
import pytest

GRACE = 5.0

_log_errors: list[str] = []


@dataclass(frozen=True)
class Alive:
    """What the test process holds that a test can leave behind."""

    threads: frozenset[threading.Thread]
    children: frozenset[psutil.Process]
    ports: frozenset[tuple[str, int]]
    handlers: frozenset[tuple[str, logging.Handler]]

    def __sub__(self, other: Alive) -> Alive:
        return Alive(self.threads - other.threads, self.children - other.children, self.ports - other.ports,
                     self.handlers - other.handlers)


def alive() -> Alive:
    me = psutil.Process()
    return Alive(frozenset(t for t in threading.enumerate() if t.is_alive() and t is not threading.current_thread()),
                 frozenset(p for p in me.children(recursive=True) if _running(p)),
                 _ports(), _handlers())


def _ports() -> frozenset[tuple[str, int]]:
    return frozenset((c.laddr.ip, c.laddr.port) for c in psutil.Process().net_connections(kind="tcp")
                     if c.status == psutil.CONN_LISTEN)


def _handlers() -> frozenset[tuple[str, logging.Handler]]:
    """Handlers that write somewhere, on every logger: not pytest's own (it swaps its capture
    handlers per phase), nor the NullHandler a library (alembic, pyusb's own class) adds to its logger on import."""
    loggers = [("root", logging.getLogger())]
    loggers += [(name, lg) for name, lg in list(logging.Logger.manager.loggerDict.items())
                if isinstance(lg, logging.Logger)]
    return frozenset((name, h) for name, lg in loggers for h in list(lg.handlers)
                     if not type(h).__module__.startswith("_pytest") and type(h).__name__ != "NullHandler")


def _running(proc: psutil.Process) -> bool:
    try:
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _describe(proc: psutil.Process) -> str:
    try:
        return f"pid {proc.pid} {' '.join(proc.cmdline())[:160]}"
    except psutil.Error:
        return f"pid {proc.pid}"


def still_alive(suspects: Alive, grace: float = GRACE) -> list[str]:
    """The suspects that have not ended within `grace` seconds, by name.

    Leftover child processes are killed once named, so one leak fails one test, not the rest.
    """
    deadline = time.monotonic() + grace
    for thread in suspects.threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    _, procs = psutil.wait_procs(list(suspects.children), timeout=max(0.0, deadline - time.monotonic()))
    procs = [p for p in procs if _running(p)]
    while (ports := suspects.ports & _ports()) and time.monotonic() < deadline:
        threading.Event().wait(0.05)  # a socket closes when its thread lets go: re-check until the deadline
    found = [f"thread {t.name!r} (daemon={t.daemon}, target={getattr(t, '_target', None)!r})"
             for t in suspects.threads if t.is_alive()]
    found += [f"child process {_describe(p)}" for p in procs]
    found += [f"listening TCP port {ip}:{port}" for ip, port in sorted(ports)]
    found += [f"log handler {h!r} on logger {name!r}" for name, h in suspects.handlers & _handlers()]
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=GRACE)
    return found


def _record_log_error(self: logging.Handler, record: logging.LogRecord) -> None:
    """`logging.Handler.handleError` for the suite: a failed log write fails a test, not a print."""
    exc = sys.exc_info()[1]
    _log_errors.append(f"logging error in thread {record.threadName!r} writing {record.getMessage()[:120]!r} "
                       f"from {record.name} to {self!r}: {exc!r}")


def _take_log_errors() -> list[str]:
    taken = list(_log_errors)
    del _log_errors[:len(taken)]
    return taken


def _fail(what: str, found: list[str]) -> None:
    pytest.fail(f"{what} left behind:\n  " + "\n  ".join(found) + "\n(see tests/README.md, 'The leak guard')",
                pytrace=False)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_saved_handle_error] = logging.Handler.handleError
    logging.Handler.handleError = _record_log_error  # type: ignore[method-assign]


def pytest_unconfigure(config: pytest.Config) -> None:
    logging.Handler.handleError = config.stash[_saved_handle_error]  # type: ignore[method-assign]


_saved_handle_error = pytest.StashKey[object]()
_wide_fixture_owns = pytest.StashKey[dict[str, Alive]]()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> Iterator[object]:
    """Remember what a wider-than-function fixture starts, to check it is gone at its finalization."""
    if fixturedef.scope == "function":
        return (yield)
    before = alive()
    try:
        return (yield)
    finally:
        request.config.stash.setdefault(_wide_fixture_owns, {})[_key(fixturedef)] = alive() - before


def pytest_fixture_post_finalizer(fixturedef: pytest.FixtureDef[object], request: pytest.FixtureRequest) -> None:
    owned = request.config.stash.get(_wide_fixture_owns, {}).pop(_key(fixturedef), None)
    if owned is not None and (found := still_alive(owned) + _take_log_errors()):
        _fail(f"fixture {fixturedef.argname!r} ({fixturedef.scope} scope)", found)


def _key(fixturedef: pytest.FixtureDef[object]) -> str:
    return f"{fixturedef.baseid}::{fixturedef.argname}"


def _uses_wide_fixture(item: pytest.Item) -> bool:
    defs = item._fixtureinfo.name2fixturedefs
    return any(chain[-1].scope != "function" for chain in defs.values() if chain)


@pytest.fixture(autouse=True)
def _leak_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Set up after the wider fixtures (so what they hold is in `before`), torn down after the test's own."""
    earlier = _take_log_errors()
    before = alive()
    yield
    left = alive() - before
    if _uses_wide_fixture(request.node):
        # a module's hall restarts its own processes during a test (a drill's SIGKILL and restart),
        # a module's browser starts its event loop's executor threads when first needed: they
        # belong to that fixture, whose finalizer ends them, not to this test
        left = Alive(frozenset(t for t in left.threads if not t.name.startswith("asyncio_")), frozenset(),
                     left.ports, left.handlers)
    found = still_alive(left) + _take_log_errors() + [f"(between tests) {e}" for e in earlier]
    if found:
        _fail(request.node.nodeid, found)
