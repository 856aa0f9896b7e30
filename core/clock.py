"""One clock interface, so tests can drive time instead of sleeping."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch (for timestamps people read)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start (for intervals and timeouts)."""

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """A clock that only moves when a test says so; `sleep` advances it."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self._now = start
        self._mono = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            self._mono += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when.timestamp()


SYSTEM_CLOCK = SystemClock()


class HallClock:
    """A terminal's view of hall time: its own clock plus the offset measured from the center's.

    Closed government LANs often have no NTP, so a kiosk's wall clock may be minutes off. Every
    time a person reads or a business event carries is hall time; intervals stay on the local
    monotonic clock, which no offset touches. `offset` is replaced whole (a float store is
    atomic), so readers never see half an update.
    """

    def __init__(self, base: Clock = SYSTEM_CLOCK, offset: float = 0.0) -> None:
        self.base = base
        self.offset = offset
        self.synced = False  # True once an offset has been measured against the center

    def time(self) -> float:
        return self.base.time() + self.offset

    def monotonic(self) -> float:
        return self.base.monotonic()

    def sleep(self, seconds: float) -> None:
        self.base.sleep(seconds)

    def set_offset(self, offset: float) -> None:
        self.offset, self.synced = offset, True


def local_datetime(ts: float, tz: str = "Asia/Shanghai") -> datetime:
    """The hall's local time for a timestamp (numbers reset at local midnight)."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).astimezone(ZoneInfo(tz))


class ScaledClock:
    """Hall time that starts at `start` and runs `speed` times as fast as the wall clock.

    For demos and drills: a whole hall day (issuing hours, the morning peak, waits) in
    minutes, on any day of the week. Intervals and timeouts (`monotonic`, `sleep`) stay real.
    """

    def __init__(self, start: float, speed: float = 1.0, anchor: float | None = None) -> None:
        """`anchor`: the wall-clock time at which hall time was `start`; every process of one
        hall is given the same anchor, so their clocks agree however late each one started."""
        self.start, self.speed = start, speed
        self._wall0 = time.time() if anchor is None else anchor

    def time(self) -> float:
        return self.start + (time.time() - self._wall0) * self.speed

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
