"""The scripted day's hands on a running Hall: the simulators' consoles, the center's web API,
its live event stream, and the log of what happened (the report is written from it).

Everything here goes through the same doors people use: the `onetrip sim` control socket,
the JSON API the counter console calls, and `/events` that the hall display listens to.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from core.clock import ScaledClock
from hallrig.staff_accounts import DEMO_APPOINTMENT_KEY, clerk_client, sign_in

log = logging.getLogger("hallrig.day")


class SimConsole:
    """One terminal's `onetrip sim` control socket: one line in, one line out."""

    def __init__(self, path: Path, timeout: float = 5.0) -> None:
        self.path, self.timeout = path, timeout
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._reader: Any = None

    def send(self, line: str) -> str:
        with self._lock:
            for attempt in (1, 2):  # a console restarted under us: connect once more
                try:
                    if self._sock is None:
                        self._sock = socket.socket(socket.AF_UNIX)
                        self._sock.settimeout(self.timeout)
                        self._sock.connect(str(self.path))
                        self._reader = self._sock.makefile("rb")
                    self._sock.sendall(line.encode() + b"\n")
                    answer = self._reader.readline()
                    if answer:
                        return answer.decode("utf-8", errors="replace").strip()
                    raise ConnectionError("the simulator console closed the connection")
                except OSError:
                    self.close()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = self._reader = None


class CenterError(Exception):
    """The center refused a request: `name` is the engine's reason (NoTicketWaiting, …)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.name = status, str(body.get("error", status))
        super().__init__(f"{self.name}: {body.get('detail') or body.get('message') or ''}")


class CenterApi:
    """The center's JSON API, as the counter console and the control room call it: signed in
    as the hall manager (`sign_in`), each window's actions by that window's own clerk."""

    def __init__(self, base: str, timeout: float = 10.0) -> None:
        self.base, self.timeout = base, timeout
        self.http = httpx.Client(base_url=base, timeout=timeout)
        self._clerks: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def sign_in(self, staff_no: str) -> None:
        sign_in(self.http, staff_no)

    def wait_ready(self, timeout: float = 20.0) -> None:
        """The web server starts after the center joins the broker: wait for it, bounded."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.get("/api/hall")
                return
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def get(self, path: str, **params: Any) -> Any:
        return self._answer(self.http.get(path, params=params))

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._answer(self.http.post(path, json=body or {}))

    def window(self, window: str, action: str, **body: Any) -> dict[str, Any]:
        with self._lock:
            if window not in self._clerks:
                self._clerks[window] = clerk_client(self.base, window, self.timeout)
            clerk = self._clerks[window]
        return self._answer(clerk.post(f"/api/windows/{window}/{action}", json=body))

    def book(self, body: dict[str, Any]) -> Any:
        """As the appointment platform does: with its API key."""
        return self._answer(self.http.post("/api/appointments", json=body,
                                           headers={"Authorization": f"Bearer {DEMO_APPOINTMENT_KEY}"}))

    def text(self, path: str, **params: Any) -> str:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.text

    @staticmethod
    def _answer(response: httpx.Response) -> Any:
        body = response.json()
        if response.status_code >= 400:
            raise CenterError(response.status_code, body if isinstance(body, dict) else {})
        return body

    def close(self) -> None:
        self.http.close()
        for clerk in self._clerks.values():
            clerk.close()


@dataclass(frozen=True)
class Issued:
    """A ticket as the kiosk saw it come out of the printer."""

    ticket_id: int
    number: str
    category: str
    at: float            # hall time the kiosk got it
    kiosk: str
    latency_s: float     # take_number / check_in round trip on the kiosk side, printing included
    channel: str         # "kiosk" or "appointment"
    priority: str | None
    qr: str = ""         # what its QR code says: a citizen rating at a kiosk scans it


@dataclass
class DayLog:
    """What the day did and saw; written by many threads, read by the report."""

    issued: dict[str, Issued] = field(default_factory=dict)
    first_call: dict[int, float] = field(default_factory=dict)      # ticket id → hall time (from /events)
    alerts: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, key) → text, every alert raised
    ratings: list[tuple[str, int]] = field(default_factory=list)    # (channel, level) as given
    keypad_s: list[float] = field(default_factory=list)             # key press → the center's window changed
    prints: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # kiosk → (kind, what) per print
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.counts[what] += n

    def ticket(self, issued: Issued) -> None:
        with self.lock:
            self.issued[issued.number] = issued

    def printed(self, kiosk: str, kind: str, what: str) -> None:
        """The printer simulator saves its n-th print as ticket-000n.png: this says what each one is."""
        with self.lock:
            self.prints.setdefault(kiosk, []).append((kind, what))

    def keypad(self, seconds: float) -> None:
        with self.lock:
            self.keypad_s.append(seconds)

    def rated(self, channel: str, level: int) -> None:
        with self.lock:
            self.ratings.append((channel, level))

    def fail(self, what: str, exc: BaseException | str) -> None:
        text = f"{what}: {exc if isinstance(exc, str) else f'{type(exc).__name__}: {exc}'}"
        log.warning("demo day: %s", text)
        with self.lock:
            self.failures.append(text)

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        with self.lock:
            if kind == "call":
                self.counts["calls announced"] += 1
                self.first_call.setdefault(int(data["ticket_id"]), float(data["at"]))
            elif kind == "alert":
                self.alerts.setdefault((str(data.get("kind")), str(data.get("key"))), str(data.get("text", "")))


class HallEvents(threading.Thread):
    """Listens to `/events` like a hall display does, feeding the day log until stopped."""

    def __init__(self, base: str, daylog: DayLog, stop: threading.Event) -> None:
        super().__init__(name="day-events", daemon=True)
        self.base, self.daylog, self.stop = base, daylog, stop
        self.connected = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self._listen()
            except (httpx.HTTPError, OSError, ValueError) as exc:
                if not self.stop.is_set():
                    self.daylog.fail("listening to /events", exc)
                    self.stop.wait(1.0)

    def _listen(self) -> None:
        timeout = httpx.Timeout(5.0, read=30.0)  # the center sends a keepalive every 10 s
        with httpx.stream("GET", self.base + "/events", timeout=timeout) as response:
            self.connected.set()
            kind = ""
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind:
                    self.daylog.on_event(kind, json.loads(line[5:]))
                elif not line:
                    kind = ""


@dataclass
class Day:
    """What every citizen and clerk of the scripted day shares: the hall's clock and doors."""

    api: CenterApi
    clock: ScaledClock
    tz: ZoneInfo
    start: float                 # hall time the first citizen may come
    close: float                 # hall time issuing ends for the day (the last arrival)
    consoles: dict[str, SimConsole]
    log: DayLog
    stop: threading.Event
    arrivals_left: int = 0       # walk-ins and check-ins not yet through a kiosk

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.clock.time()

    def local(self, ts: float | None = None) -> datetime:
        return datetime.fromtimestamp(self.now() if ts is None else ts, self.tz)

    def at(self, fraction: float) -> float:
        """Hall time at a fraction of the arrival span: scripted moments fit any length of day."""
        return self.start + fraction * (self.close - self.start)

    def wait_until(self, ts: float) -> bool:
        """Sleep (in real time) until hall time `ts`; False when the day was stopped meanwhile."""
        while not self.stop.is_set():
            left = (ts - self.now()) / self.clock.speed
            if left <= 0:
                return True
            self.stop.wait(min(left, 0.5))
        return False

    def sleep(self, hall_seconds: float) -> bool:
        return self.wait_until(self.now() + hall_seconds)

    def arrived(self, n: int = 1) -> None:
        with self._lock:
            self.arrivals_left -= n

    @property
    def arrivals_done(self) -> bool:
        with self._lock:
            return self.arrivals_left <= 0
