"""The scanner's codec: evdev key events in, scanned codes out (a scanner "types" each code, then Enter).

Sans-I/O like every codec here: the kernel's raw 24-byte `input_event` records in any
chunking (or evdev.InputEvent objects) go in, `CodeScanned` comes out of `next_event()`
until it says `NEED_DATA`. Only the terminal's side exists: the simulator writes records.
"""
from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass
from typing import Any, Final, Iterable

from evdev import ecodes

from core.sansio import NEED_DATA, BadLength, NeedData

RECORD: Final = struct.Struct("llHHi")  # struct input_event on 64-bit Linux: 24 bytes
KEY_UP, KEY_DOWN = 0, 1  # value 2 is autorepeat, which a scanner's code must not double
SHIFTS: Final = frozenset({ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT})
ENDS: Final = frozenset({ecodes.KEY_ENTER, ecodes.KEY_KPENTER})


def _tables() -> tuple[dict[int, str], dict[int, str]]:
    """US-layout plain and shifted characters, the layout scanners type in by default."""
    key = ecodes.ecodes
    plain = {key[f"KEY_{c.upper()}"]: c for c in "abcdefghijklmnopqrstuvwxyz0123456789"}
    shifted = {code: c.upper() for code, c in plain.items() if c.isalpha()}
    shifted |= {key[f"KEY_{d}"]: s for d, s in zip("1234567890", "!@#$%^&*()")}
    for name, low, high in [("MINUS", "-", "_"), ("EQUAL", "=", "+"), ("LEFTBRACE", "[", "{"),
                            ("RIGHTBRACE", "]", "}"), ("SEMICOLON", ";", ":"), ("APOSTROPHE", "'", '"'),
                            ("GRAVE", "`", "~"), ("BACKSLASH", "\\", "|"), ("COMMA", ",", "<"),
                            ("DOT", ".", ">"), ("SLASH", "/", "?"), ("SPACE", " ", " "), ("TAB", "\t", "\t")]:
        plain[key[f"KEY_{name}"]], shifted[key[f"KEY_{name}"]] = low, high
    keypad = {f"KP{d}": d for d in "0123456789"} | {
        "KPDOT": ".", "KPMINUS": "-", "KPPLUS": "+", "KPASTERISK": "*", "KPSLASH": "/"}
    for name, char in keypad.items():
        plain[key[f"KEY_{name}"]] = char
    return plain, shifted


PLAIN, SHIFTED = _tables()


@dataclass(frozen=True)
class CodeScanned:
    code: str


class ScanTooLong(BadLength):
    """No Enter after `max_length` characters: a stuck key or a scanner set up without a suffix."""


class HostCodec:
    """Key events in, scanned codes out; keeps shift and held-key state between calls."""

    def __init__(self, max_length: int = 4096) -> None:
        self.max_length = max_length
        self._raw = bytearray()
        self._events: deque[tuple[int, int, int]] = deque()
        self._chars: list[str] = []
        self._held: set[int] = set()
        self.unknown_keys = 0

    @property
    def keys_held(self) -> bool:
        """Whether a key is down right now (as far as the events fed so far say)."""
        return bool(self._held)

    def receive_data(self, data: bytes) -> None:
        """Raw `input_event` records as read from a node, in any chunking."""
        self._raw += data
        whole = len(self._raw) - len(self._raw) % RECORD.size
        self._events.extend((t, c, v) for _, _, t, c, v in RECORD.iter_unpack(self._raw[:whole]))
        del self._raw[:whole]

    def receive_events(self, events: Iterable[Any]) -> None:
        """evdev.InputEvent objects (or anything with type, code and value)."""
        self._events.extend((e.type, e.code, e.value) for e in events)

    def next_event(self) -> CodeScanned | NeedData:
        while self._events:
            kind, code, value = self._events.popleft()
            if kind != ecodes.EV_KEY:
                continue  # EV_SYN, EV_MSC/MSC_SCAN and the rest carry nothing we need
            if value == KEY_UP:
                self._held.discard(code)
            if value != KEY_DOWN:
                continue
            self._held.add(code)
            if code in ENDS:
                scanned, self._chars = "".join(self._chars), []
                return CodeScanned(scanned)
            if code in SHIFTS:
                continue
            char = (SHIFTED if self._held & SHIFTS else PLAIN).get(code)
            if char is None:
                self.unknown_keys += 1
                continue
            self._chars.append(char)
            if len(self._chars) > self.max_length:
                self._chars = []
                raise ScanTooLong(f"no Enter after {self.max_length} characters")
        return NEED_DATA
