"""The kiosk's side of the local API: one Unix-socket connection to the daemon.

A reader thread owns the socket: it connects (and reconnects with backoff), decodes lines
with `core.localapi.LineCodec`, resolves replies and hands events to the UI. On every
(re)connect it sends `hello`, so the UI gets the whole state at once instead of piecing it
together from missed events. Callbacks go through `call_soon` (the app passes one that
uses Kivy's `Clock.schedule_once`), so UI code only ever runs on the main thread; `request`
blocks and is meant for worker threads, `submit` runs it on one and calls back.
No Kivy here: the client is tested against a plain socket server.
"""
from __future__ import annotations

import itertools
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

from core.backoff import Backoff
from core.errors import OneTripError
from core.localapi import OPS, VERSION, BadArguments, LineCodec, LocalApiError, check_args, check_result, messages

log = logging.getLogger("kiosk.client")

Result = dict[str, Any]
CallSoon = Callable[[Callable[[], None]], None]


class LocalApiCallError(OneTripError):
    """A request that did not succeed; `type` is one of the error types in docs/localapi.md or
    "Unreachable" (no daemon), so screens pick their message by meaning."""

    def __init__(self, type_: str, message: str, values: dict[str, str] | None = None) -> None:
        super().__init__(f"{type_}: {message}")
        self.type = type_
        self.message = message
        self.values = dict(values or {})  # what the screen needs to word it (a come-back time…)


class DaemonUnreachable(LocalApiCallError):
    def __init__(self, message: str = "the daemon's socket is not answering") -> None:
        super().__init__("Unreachable", message)


def _run_now(callback: Callable[[], None]) -> None:
    callback()


class LocalApiClient:
    """Lifecycle: `start()` → connected/disconnected callbacks as the daemon comes and goes
    → `stop()`. `on_hello(state)` follows every connect; `on_lost()` every loss (and a
    first failed attempt); `on_event(name, data)` each pushed event."""

    def __init__(self, socket_path: str | Path, *,
                 on_hello: Callable[[Result], None],
                 on_lost: Callable[[], None],
                 on_event: Callable[[str, Result], None],
                 call_soon: CallSoon = _run_now,
                 retry_min: float = 0.2, retry_max: float = 2.0, workers: int = 4) -> None:
        self.socket_path = str(socket_path)
        self._on_hello, self._on_lost, self._on_event = on_hello, on_lost, on_event
        self._call_soon = call_soon
        self._backoff = Backoff(retry_min, retry_max)  # the daemon restarting: tries spread out, up to retry_max
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[Result]] = {}
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiosk-req")
        self._counters = {"connects": 0, "losses": 0, "requests": 0, "errors": 0, "events": 0, "bad_lines": 0}
        self._announced_lost = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kiosk-localapi", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._close()
        if self._thread is not None:
            self._thread.join(timeout=3)
        self._workers.shutdown(wait=False, cancel_futures=True)

    def reconnect(self) -> None:
        """Drop the connection; the reader connects again and the app gets a fresh `hello`."""
        self._close()

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def get_status(self) -> dict[str, Any]:
        return {"socket": self.socket_path, "connected": self.connected, "pending": len(self._pending),
                **self._counters}

    # -- requests --------------------------------------------------------------------------

    def request(self, op: str, args: dict[str, Any] | None = None, timeout: float = 5.0) -> Result:
        """Send one request and wait for its reply (blocking: never on the UI thread); both are
        held to the op's shape (core/localapi.py), so a screen reads only fields that exist."""
        future = self._send(op, args or {})
        try:
            return check_result(op, future.result(timeout))
        except LocalApiError as exc:
            raise LocalApiCallError("InternalError", str(exc)) from None
        except FutureTimeout:
            raise LocalApiCallError("RequestTimeout", f"no reply to {op} within {timeout} s") from None
        finally:
            with self._lock:
                self._pending = {k: f for k, f in self._pending.items() if f is not future}

    def submit(self, op: str, args: dict[str, Any] | None, on_result: Callable[[Result], None],
               on_error: Callable[[LocalApiCallError], None], timeout: float = 5.0) -> None:
        """Run `request` on a worker thread; the outcome comes back through `call_soon`."""
        def work() -> None:
            try:
                result = self.request(op, args, timeout)
            except LocalApiCallError as exc:
                self._deliver(on_error, exc)
            except Exception as exc:  # a bug must reach the UI as an error, not vanish
                log.exception("request %s failed", op)
                self._deliver(on_error, LocalApiCallError("InternalError", type(exc).__name__))
            else:
                self._deliver(on_result, result)
        self._workers.submit(work)

    def _send(self, op: str, args: dict[str, Any]) -> Future[Result]:
        if op not in OPS:
            raise LocalApiCallError("BadRequest", f"unknown op {op!r}")
        try:
            args = check_args(op, args)
        except BadArguments as exc:
            raise LocalApiCallError("BadArguments", str(exc)) from None
        future: Future[Result] = Future()
        with self._lock:
            sock = self._sock
            if sock is None:
                raise DaemonUnreachable()
            request_id = next(self._ids)
            self._pending[request_id] = future
            self._counters["requests"] += 1
            try:
                sock.sendall(LineCodec.send({"id": request_id, "op": op, "args": args}))
            except OSError:
                del self._pending[request_id]
                raise DaemonUnreachable() from None
        return future

    # -- the reader thread -----------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.socket_path)
            except OSError:
                sock.close()
                self._lost()
                self._stop.wait(self._backoff.next())
                continue
            self._backoff.reset()
            with self._lock:
                self._sock = sock
            self._counters["connects"] += 1
            self._say_hello()
            self._read(sock)
            self._close()
            self._lost()

    def _say_hello(self) -> None:
        try:
            future = self._send("hello", {})
        except DaemonUnreachable:
            return

        def done(f: Future[Result]) -> None:
            if f.exception() is not None:
                return
            state = f.result()
            if state.get("version") != VERSION:
                log.warning("local API version differs kiosk=%s daemon=%s", VERSION, state.get("version"))
            self._announced_lost = False
            self._deliver(self._on_hello, state)
        future.add_done_callback(done)

    def _read(self, sock: socket.socket) -> None:
        for message in messages(sock.recv):
            if self._stop.is_set():
                return
            if isinstance(message, LocalApiError):
                self._counters["bad_lines"] += 1
                log.warning("bad line from daemon: %s", message)
                continue
            self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "event" in message:
            self._counters["events"] += 1
            name, data = str(message["event"]), message.get("data") or {}
            self._deliver(lambda: self._on_event(name, data))
            return
        with self._lock:
            future = self._pending.pop(message.get("id"), None)  # type: ignore[arg-type]
        if future is None:
            return  # a reply after its request timed out
        if message.get("ok"):
            future.set_result(message.get("result") or {})
        else:
            self._counters["errors"] += 1
            error = message.get("error") or {}
            values = error.get("values") if isinstance(error.get("values"), dict) else {}
            future.set_exception(LocalApiCallError(str(error.get("type", "InternalError")),
                                                   str(error.get("message", "")),
                                                   {str(k): str(v) for k, v in values.items()}))

    def _close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
            pending, self._pending = self._pending, {}
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for future in pending.values():
            future.set_exception(DaemonUnreachable("the daemon went away"))

    def _lost(self) -> None:
        if self._announced_lost or self._stop.is_set():
            return
        self._announced_lost = True
        self._counters["losses"] += 1
        self._deliver(self._on_lost)

    def _deliver(self, callback: Callable[..., None], *args: Any) -> None:
        """Hand a callback to the UI thread; one failing callback never stops the reader."""
        def call() -> None:
            try:
                callback(*args)
            except Exception:
                log.exception("kiosk callback failed")
        self._call_soon(call)
