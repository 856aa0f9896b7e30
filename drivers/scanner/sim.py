"""A QR scanner without /dev/uinput: a FIFO that carries the raw `input_event` records a node would.

The driver opens the FIFO as one of its nodes (`[scanner] nodes = [...]`), so a simulated
scan runs through the same reading path — select, os.read, whole-record splitting, the
decoder — as a scan from a real /dev/input/eventN. Unplugging removes the FIFO and closes
the writing end, which the driver sees as end-of-file, as it sees ENODEV from a real node.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from evdev import ecodes

from drivers.scanner.codec import PLAIN, RECORD, SHIFTED

_TYPING: dict[str, tuple[int, bool]] = {}
for _code, _char in PLAIN.items():  # main-row keys come first in PLAIN: scanners type those, not the keypad
    _TYPING.setdefault(_char, (_code, False))
for _code, _char in SHIFTED.items():
    _TYPING.setdefault(_char, (_code, True))
SYN = (ecodes.EV_SYN, ecodes.SYN_REPORT, 0)


def _press(code: int) -> list[tuple[int, int, int]]:
    # a USB HID keyboard reports the usage as MSC_SCAN before each key event; decoders must skip it
    scan = (ecodes.EV_MSC, ecodes.MSC_SCAN, 0x70000 + code)
    return [scan, (ecodes.EV_KEY, code, 1), SYN, scan, (ecodes.EV_KEY, code, 0), SYN]


def key_events(code: str) -> list[tuple[int, int, int]]:
    """The (type, code, value) events a US-layout HID scanner sends for `code` and its Enter."""
    events: list[tuple[int, int, int]] = []
    for char in code:
        try:
            key, shifted = _TYPING[char]
        except KeyError:
            raise ValueError(f"a keyboard-wedge scanner cannot type {char!r}") from None
        if shifted:
            events += [(ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 1), SYN]
        events += _press(key)
        if shifted:
            events += [(ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 0), SYN]
    return events + _press(ecodes.KEY_ENTER)


def records(events: list[tuple[int, int, int]], when: float | None = None) -> bytes:
    when = time.time() if when is None else when
    sec, usec = int(when), int(when % 1 * 1_000_000)
    return b"".join(RECORD.pack(sec, usec, *event) for event in events)


class ScannerSim:
    def __init__(self, node: str | Path) -> None:
        self.node = Path(node)
        self._fd: int | None = None
        self.scans = 0

    def start(self) -> None:
        self.plug()

    def stop(self) -> None:
        self.unplug()

    def plug(self) -> None:
        if self._fd is not None:
            return
        self.node.parent.mkdir(parents=True, exist_ok=True)
        self.node.unlink(missing_ok=True)
        os.mkfifo(self.node)
        # read-write: the FIFO stays open (and writable without blocking) whether or not a driver reads
        self._fd = os.open(self.node, os.O_RDWR | os.O_NONBLOCK)

    def unplug(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self.node.unlink(missing_ok=True)

    def scan(self, code: str) -> None:
        data = records(key_events(code))
        if self._fd is None:
            raise ValueError("the scanner is unplugged")
        try:
            os.write(self._fd, data)
        except BlockingIOError:
            raise ValueError("nobody is reading the scanner (its buffer is full)") from None
        self.scans += 1

    USAGE = "scan <code> | scanner unplug | scanner plug | scanner status"

    def handle_command(self, words: list[str]) -> str:
        """`scan <code words…>` types a code; `scanner <verb>` steers the device itself."""
        try:
            match words:
                case ["scan", *code] if code:
                    self.scan(" ".join(code))
                    return f"scanned {' '.join(code)!r}"
                case ["scanner", "unplug"]:
                    self.unplug()
                    return "scanner unplugged"
                case ["scanner", "replug" | "plug"]:
                    self.plug()
                    return "scanner plugged in"
                case ["scanner", "status"] | ["scanner"]:
                    return self.describe()
        except ValueError as exc:
            return f"error: {exc}"
        return f"usage: {self.USAGE}"

    def describe(self) -> str:
        state = "plugged in" if self._fd is not None else "unplugged"
        return f"scanner on {self.node} (FIFO of raw input_event records, {state}, {self.scans} scans)"
