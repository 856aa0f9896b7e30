"""QR / barcode scanners: USB HID keyboards read through evdev, decoded into scanned codes.

A scanner "types" each code followed by Enter. The decoder is sans-I/O: it takes evdev
events (InputEvent objects, or the kernel's raw 24-byte `input_event` records in any
chunking) and gives `CodeScanned`. The transport reads raw records from every node of one
scanner (some expose two), so the same bytes flow whether the node is a real
/dev/input/eventN or the simulator's FIFO. The driver grabs the nodes, so scans never
reach Kivy or X as keystrokes — but only while no key is held, or the rest of the hall's
software would see a key that never comes up — and grabs again after a replug.
"""
from __future__ import annotations

import glob
import os
import select
import stat
import struct
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Final, Iterable

from evdev import InputDevice, ecodes, list_devices
from pydantic import Field, model_validator

from core.config import ConfigModel
from core.devstate import ONLINE, Condition, DeviceState, Reason
from core.errors import DeviceError, ProtocolError
from core.sansio import NEED_DATA, NeedData
from drivers.base import Driver
from drivers.transport import TransportError, os_reason

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


class ScanTooLong(ProtocolError):
    """No Enter after `max_length` characters: a stuck key or a scanner set up without a suffix."""


class ScanDecoder:
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


# ---- finding and reading the nodes ---------------------------------------------------
class ScannerSettings(ConfigModel):
    """A terminal config's `[scanner]` section; the first way given finds the nodes."""

    vendor_id: int | None = Field(None, ge=0, le=0xFFFF)
    product_id: int | None = Field(None, ge=0, le=0xFFFF)
    by_id: str | None = Field(None, description="glob, e.g. /dev/input/by-id/usb-Netum*-event-kbd")
    nodes: list[str] = Field(default_factory=list, description="fixed paths (the simulator's node)")
    grab: bool = True

    @model_validator(mode="after")
    def _one_way_to_find_it(self) -> ScannerSettings:
        if self.vendor_id is None and self.product_id is not None:
            raise ValueError("product_id needs vendor_id")
        if self.vendor_id is None and not self.by_id and not self.nodes:
            raise ValueError("say how to find the scanner: vendor_id (+ product_id), by_id or nodes")
        return self


def find_nodes(settings: ScannerSettings) -> list[str]:
    """Every event node of the one scanner the settings describe (by id, by-id glob or fixed paths)."""
    if settings.vendor_id is not None:
        found = []
        for path in list_devices():
            try:
                device = InputDevice(path, readonly=True)
            except OSError:
                continue
            if device.info.vendor == settings.vendor_id and settings.product_id in (None, device.info.product):
                found.append(path)
            device.close()
        return sorted(found)
    if settings.by_id:
        return sorted({os.path.realpath(p) for p in glob.glob(settings.by_id)})
    return [p for p in settings.nodes if os.path.exists(p)]


class _Node:
    """One open node: a real evdev device (grabbable) or a FIFO of raw records (the simulator's)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.device: InputDevice | None = None
        if stat.S_ISCHR(os.stat(path).st_mode):
            self.device = InputDevice(path, readonly=True)
            self.fd = self.device.fd
        else:
            self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.grabbed = self.device is None  # nothing else can read a FIFO: as good as grabbed
        self.partial = b""

    def close(self) -> None:
        if self.device is not None:
            self.device.close()  # closing releases a grab
        else:
            os.close(self.fd)


class InputNodes:
    """The scanner's transport: reads whole raw records from all of its nodes."""

    def __init__(self, settings: ScannerSettings, finder: Callable[[ScannerSettings], list[str]] = find_nodes) -> None:
        self.settings, self.finder = settings, finder
        self._nodes: list[_Node] = []

    @property
    def grabbed(self) -> bool:
        return bool(self._nodes) and all(n.grabbed for n in self._nodes)

    def open(self) -> None:
        paths = self.finder(self.settings)
        if not paths:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: no scanner node")
        try:
            for path in paths:
                self._nodes.append(_Node(path))
        except OSError as exc:
            self.close()
            raise TransportError(os_reason(exc), f"{self.describe()}: {exc}") from exc

    def close(self) -> None:
        for node in self._nodes:
            node.close()
        self._nodes = []

    def grab(self) -> None:
        """Grab every node whose keys are all up; the ones with a key down wait for the next try."""
        for node in self._nodes:
            if node.grabbed or node.device is None or node.device.active_keys():
                continue
            try:
                node.device.grab()
            except OSError as exc:
                raise TransportError(os_reason(exc), f"{node.path}: cannot grab: {exc}") from exc
            node.grabbed = True

    def read(self, timeout: float) -> bytes:
        if not self._nodes:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: not open")
        ready, _, _ = select.select([n.fd for n in self._nodes], [], [], timeout)
        out = b""
        for node in (n for n in self._nodes if n.fd in ready):
            try:
                data = os.read(node.fd, RECORD.size * 256)
            except BlockingIOError:
                continue
            except OSError as exc:  # ENODEV: the scanner was unplugged
                raise TransportError(Reason.PORT_GONE, f"{node.path}: {exc}") from exc
            if not data:  # a FIFO whose writer went away
                raise TransportError(Reason.PORT_GONE, f"{node.path}: closed")
            data = node.partial + data
            whole = len(data) - len(data) % RECORD.size  # never interleave half records of two nodes
            out, node.partial = out + data[:whole], data[whole:]
        return out

    def write(self, data: bytes) -> None:
        raise DeviceError(f"{self.describe()}: a scanner takes no output")

    def describe(self) -> str:
        s = self.settings
        if s.vendor_id is not None:
            return f"evdev:{s.vendor_id:04x}:{(s.product_id or 0):04x}"
        return f"evdev:{s.by_id or ','.join(s.nodes)}"


# ---- the driver ----------------------------------------------------------------------
class Scanner(Driver):
    family = "scanner"

    def __init__(self, name: str, transport: InputNodes, *, grab: bool = True, **kwargs: Any) -> None:
        super().__init__(name, transport, **kwargs)
        self.want_grab = grab
        self.decoder = ScanDecoder()

    @classmethod
    def from_settings(cls, name: str, settings: ScannerSettings, **kwargs: Any) -> Scanner:
        return cls(name, InputNodes(settings), grab=settings.grab, **kwargs)

    def handshake(self) -> None:
        self.decoder = ScanDecoder()  # a replugged scanner starts with no keys down and no half code

    def poll(self) -> None:
        self._grab_when_idle()
        self.decoder.receive_data(self.transport.read(0.2))
        while True:
            try:
                event = self.decoder.next_event()
            except ScanTooLong as exc:
                self.counters.frames_bad += 1
                self.note_error(exc)
                continue
            if event is NEED_DATA:
                break
            self.counters.frames_ok += 1
            self.emit(event)

    def _grab_when_idle(self) -> None:
        transport: InputNodes = self.transport  # type: ignore[assignment]
        if not self.want_grab or transport.grabbed or self.decoder.keys_held:
            return
        try:
            transport.grab()
        except TransportError as exc:
            if exc.reason is not Reason.BUSY:
                raise
            self.note_error(exc)  # another program holds it: scans may leak into the UI
            self.set_condition(Condition(DeviceState.DEGRADED, Reason.BUSY, str(exc)[:120]))
            return
        if transport.grabbed and self.condition.reason is Reason.BUSY:
            self.set_condition(ONLINE)

    def info(self) -> dict[str, Any]:
        return {"grab": self.want_grab}

    def get_status(self) -> dict[str, Any]:
        status = super().get_status()
        status["grabbed"] = bool(getattr(self.transport, "grabbed", False))
        status["unknown_keys"] = self.decoder.unknown_keys
        return status
