"""The driver lifecycle every device family shares (Klipper-style: connect, ready, shutdown).

A driver owns one transport and one thread. The thread opens the port, runs the family's
`handshake()`, then calls `poll()` over and over; jobs submitted with `call()` run on the
same thread between polls, so only one thing ever talks to the wire. Any `DeviceError`
closes the port, reports `offline` with its reason, and the thread reconnects with
`core.backoff` — forever, until `stop()`.
"""
from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import Any, Callable, Self, TypeVar

from core.backoff import Backoff
from core.clock import SYSTEM_CLOCK, Clock
from core.devstate import CONNECTING, ONLINE, Condition, DeviceState, Reason
from core.errors import DeviceError, ProtocolError
from drivers.transport import Transport, TransportError

T = TypeVar("T")
log = logging.getLogger("drivers")


@dataclass
class Counters:
    frames_ok: int = 0
    frames_bad: int = 0
    garbage_bytes: int = 0
    retries: int = 0
    reconnects: int = 0
    last_error: str = ""
    last_error_at: float = 0.0


class NoAnswer(DeviceError):
    """The device stayed silent past its timeout."""


class Driver:
    """Base of every device driver; subclasses fill in `handshake`, `poll` and `info`."""

    family = "device"
    backoff_min = 0.2
    backoff_max = 2.0  # keeps recovery within a few seconds of a port coming back

    def __init__(self, name: str, transport: Transport, *, clock: Clock = SYSTEM_CLOCK,
                 on_state: Callable[[str, Condition], None] | None = None,
                 on_event: Callable[[str, Any], None] | None = None) -> None:
        self.name = name
        self.transport = transport
        self.clock = clock
        self.on_state = on_state or (lambda name, cond: None)
        self.on_event = on_event or (lambda name, event: None)
        self.counters = Counters()
        self.condition: Condition = CONNECTING
        self.condition_since = clock.time()
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected = False
        self.heartbeat = clock.monotonic()  # last time the loop turned; the daemon's hang check

    @classmethod
    def from_settings(cls, name: str, settings: Any, **kwargs: Any) -> Self:
        """The driver a terminal config's `[devices.<name>]` table describes (each family's own)."""
        raise NotImplementedError

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"drv-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the driver thread (between polls) and return its result or raise."""
        if not self._connected:
            raise DeviceError(f"{self.name}: {self.condition.state.value} {self.condition.reason.value}".strip())
        fut: Future[T] = Future()
        self._jobs.put((fn, fut))
        return fut.result(timeout)

    # ---- for subclasses --------------------------------------------------------------
    def handshake(self) -> None:
        """Identify the device after the port opens (raise DeviceError if it is not there)."""

    def poll(self) -> None:
        """One turn of idle work: ask for status, read input. Must return within ~1 s."""
        self.clock.sleep(0.1)

    def info(self) -> dict[str, Any]:
        """Model, firmware, capabilities: what the birth inventory lists."""
        return {}

    def on_disconnect(self) -> None:
        """Forget per-connection state (a half-read card, a half-sent job)."""

    # ---- state and status ------------------------------------------------------------
    def set_condition(self, condition: Condition) -> None:
        if condition == self.condition:
            return
        self.condition, self.condition_since = condition, self.clock.time()
        self.report_state(self.name, condition)

    def report_state(self, name: str, condition: Condition) -> None:
        """Log a state change and tell the daemon; `name` is the device or one unit of a bus."""
        log.info("device state", extra={"device": name, "state": condition.state.value,
                                        "reason": condition.reason.value})
        try:
            self.on_state(name, condition)
        except Exception:
            log.exception("state callback failed", extra={"device": name})

    def emit(self, event: Any) -> None:
        try:
            self.on_event(self.name, event)
        except Exception:
            log.exception("event callback failed", extra={"device": self.name})

    def note_error(self, exc: BaseException) -> None:
        self.counters.last_error = f"{type(exc).__name__}: {exc}"[:200]
        self.counters.last_error_at = self.clock.time()

    def get_status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "family": self.family,
            "transport": self.transport.describe(),
            **self.condition.as_dict(),
            "since": self.condition_since,
            "counters": asdict(self.counters),
            "info": self.info(),
        }

    # ---- the loop --------------------------------------------------------------------
    def _close(self) -> None:
        try:
            self.transport.close()
        except Exception:
            pass
        self._connected = False

    def _fail_jobs(self, exc: BaseException) -> None:
        while True:
            try:
                _, fut = self._jobs.get_nowait()
            except queue.Empty:
                return
            fut.set_exception(exc)

    def _run_jobs(self) -> None:
        while True:
            try:
                fn, fut = self._jobs.get_nowait()
            except queue.Empty:
                return
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except (DeviceError, ProtocolError) as exc:
                fut.set_exception(exc)
                if isinstance(exc, (TransportError, NoAnswer)):
                    raise
            except Exception as exc:  # a bug in one job must not kill the driver
                log.exception("driver job failed", extra={"device": self.name})
                fut.set_exception(exc)

    def _run(self) -> None:
        backoff = Backoff(self.backoff_min, self.backoff_max)
        first = True
        while not self._stop.is_set():
            self.heartbeat = self.clock.monotonic()
            try:
                self.transport.open()
                self._connected = True
                before = self.condition
                self.handshake()
                if not first:
                    self.counters.reconnects += 1
                first = False
                # a handshake that found a fault (paper out) reports it itself; otherwise: online
                if self.condition is before and before.state in (DeviceState.OFFLINE, DeviceState.CONNECTING):
                    self.set_condition(ONLINE)
                backoff.reset()
                while not self._stop.is_set():
                    self.heartbeat = self.clock.monotonic()
                    self._run_jobs()
                    self.poll()
            except DeviceError as exc:
                self.note_error(exc)
                reason = getattr(exc, "reason", Reason.NO_ANSWER if isinstance(exc, NoAnswer) else Reason.PORT_GONE)
                self.set_condition(Condition(DeviceState.OFFLINE, reason, str(exc)[:120]))
            except Exception as exc:  # a driver bug: report and restart the session
                log.exception("driver loop crashed", extra={"device": self.name})
                self.note_error(exc)
                self.set_condition(Condition(DeviceState.OFFLINE, Reason.DRIVER_CRASHED, str(exc)[:120]))
            self._close()
            self.on_disconnect()
            self._fail_jobs(DeviceError(f"{self.name}: {self.condition.reason.value or 'offline'}"))
            if self._stop.wait(backoff.next()):
                break
