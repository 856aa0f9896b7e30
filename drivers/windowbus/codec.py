"""The window bus's one interface: typed messages both ways, and the codec shape every vendor fills in.

Each counter window has, at one bus address, an LED screen, a caller keypad and (often) a
rating pad. No public standard exists, so every vendor frames them differently. The driver
and the simulator speak only the messages below; a profile (`drivers.windowbus.ft12`,
`drivers.windowbus.modbus`, or a new vendor's, listed in `drivers.windowbus.profiles`) turns
them into bytes and back. Codecs are
sans-I/O in the h11 style: `receive_data(bytes)` in any chunking, `next_event()` gives a
typed message, `NEED_DATA` or raises a `CodecError` after skipping the bad frame, and
`send(message)` gives bytes. No I/O, no clock, no threads.

A codec has a side, named as every codec here names them: the HOST side (the window PC's
driver, the bus master) sends commands and decodes the units' answers; the DEVICE side (the
simulator, or a firmware test bench) does the reverse.
Like a real unit, the device side answers the request it received last, so its `Ack`,
`Registers` and `Nak` need no more than the address.
"""
from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Final

from core.sansio import NEED_DATA, CodecError, NeedData


class Side(str, enum.Enum):
    HOST = "host"  # the window PC polling the bus
    DEVICE = "device"  # a screen / keypad unit answering it


class CallerKey(str, enum.Enum):
    """What window staff can press on a caller keypad (the hall's words, not a vendor's codes)."""

    CALL = "call"
    RECALL = "recall"
    EVALUATE = "evaluate"
    PAUSE = "pause"
    TRANSFER = "transfer"
    CONFIRM = "confirm"      # a digit then confirm; the three below are confirm with a fixed digit
    GIVE_UP = "give-up"      # the citizen did not come: give up the number
    HOLD = "hold"            # put the visit on hold
    CALL_BACK = "call-back"  # call a held number back


# ---- master → unit ---------------------------------------------------------------------
@dataclass(frozen=True)
class Poll:
    """Ask a unit for its next queued key press (or just whether it is alive)."""

    address: int


@dataclass(frozen=True)
class ShowNumber:
    """Show a ticket number; `waiting` is how many citizens still wait (if the screen has room).

    `number=None` blanks the digits; `decimals` places a decimal point (Modbus displays only).
    """

    address: int
    number: int | None
    waiting: int | None = None
    decimals: int = 0


@dataclass(frozen=True)
class ShowText:
    address: int
    text: str


@dataclass(frozen=True)
class Beep:
    address: int


@dataclass(frozen=True)
class StartRating:
    """Ask the citizen at this window to rate the service on the attached rating pad."""

    address: int


@dataclass(frozen=True)
class AckRating:
    """Tell the pad its rating arrived, so it stops offering it on every poll."""

    address: int
    level: int


# ---- unit → master ---------------------------------------------------------------------
@dataclass(frozen=True)
class Ack:
    """The unit did what it was told, and has nothing queued."""

    address: int


@dataclass(frozen=True)
class KeyPressed:
    address: int
    key: CallerKey
    digit: int | None = None  # only with CONFIRM: the digit typed before it


@dataclass(frozen=True)
class RatingPressed:
    address: int
    level: int  # the pad's key index, as the pad numbers its keys


@dataclass(frozen=True)
class Registers:
    """Register contents read back from a unit (a Modbus display's answer to a poll)."""

    address: int
    data: bytes


@dataclass(frozen=True)
class Nak:
    """The unit refused the request (a Modbus exception code)."""

    address: int
    code: int


HostMessage = Poll | ShowNumber | ShowText | Beep | StartRating | AckRating
DeviceMessage = Ack | KeyPressed | RatingPressed | Registers | Nak
Message = HostMessage | DeviceMessage
HOST_MESSAGES: Final = (Poll, ShowNumber, ShowText, Beep, StartRating, AckRating)


# ---- errors: core.sansio's BadChecksum and BadLength, and one of the bus's own --------------
class Unsupported(CodecError):
    """A well-formed frame with a function, register or value this profile does not know."""


# ---- the codec shape -------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """What a profile's framer found at the head of the buffer.

    Skip `garbage` bytes (counted), then either take a frame of `size` bytes or, when
    `error` is set, drop `size` bytes past the bad start and report the error.
    """

    garbage: int = 0
    size: int = 0
    error: CodecError | None = None


class BusCodec(ABC):
    """One side of one vendor's window bus. Subclasses frame (`_cut`), decode and encode."""

    profile: ClassVar[str]
    unit: ClassVar[str]            # what one address is on this bus: "caller" or "screen"
    commands: ClassVar[frozenset[type]]
    answers: ClassVar[frozenset[type]]
    shows_waiting: ClassVar[bool]  # whether ShowNumber can carry a waiting count

    def __init__(self, side: Side) -> None:
        self.side = side
        self._buf = bytearray()
        self._last_request: dict[int, HostMessage] = {}
        self.garbage_bytes = 0
        self.frames_ok = 0
        self.frames_bad = 0

    def receive_data(self, data: bytes) -> None:
        self._buf += data

    def next_event(self) -> Message | NeedData:
        """The next frame's message, or NEED_DATA; raises CodecError for a bad frame."""
        while True:
            cut = self._span(self._buf)
            if cut is None:
                return NEED_DATA
            if cut.garbage:
                self.garbage_bytes += cut.garbage
                del self._buf[:cut.garbage]
            if cut.error is not None:
                del self._buf[:cut.size]
                self.frames_bad += 1
                raise cut.error
            if cut.size:
                frame = bytes(self._buf[:cut.size])
                del self._buf[:cut.size]
                try:
                    message = self._decode(frame)
                except CodecError:
                    self.frames_bad += 1
                    raise
                self.frames_ok += 1
                if self.side is Side.DEVICE and isinstance(message, HOST_MESSAGES):
                    self._last_request[message.address] = message
                return message

    def send(self, message: Message) -> bytes:
        """The bytes for `message`; ValueError if this side or profile cannot send it."""
        allowed = self.commands if self.side is Side.HOST else self.answers
        if type(message) not in allowed:
            raise ValueError(f"{self.profile} {self.side.value} cannot send {type(message).__name__}")
        if isinstance(message, HOST_MESSAGES):  # the check above: only the host side sends these
            return self._encode_command(message)
        return self._encode_answer(message, self._last_request.get(message.address))

    @abstractmethod
    def _span(self, buf: bytearray) -> Span | None:
        """Find the next frame (or garbage, or a bad frame) at the head of `buf`; None = need more."""

    @abstractmethod
    def _decode(self, frame: bytes) -> Message:
        """Turn one checked frame into a message for this codec's side."""

    @abstractmethod
    def _encode_command(self, command: HostMessage) -> bytes: ...

    @abstractmethod
    def _encode_answer(self, answer: DeviceMessage, request: HostMessage | None) -> bytes:
        """`request` is the master's last frame to this address (None before the first)."""


def check_range(what: str, value: int, low: int, high: int) -> int:
    """Encoders refuse values the wire cannot carry rather than truncating them silently."""
    if not low <= value <= high:
        raise ValueError(f"{what} {value} out of range {low}..{high}")
    return value
