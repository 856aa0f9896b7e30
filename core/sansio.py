"""The shape every sans-I/O codec shares (as in h11), its errors, and the one loop that drives it.

A codec takes bytes in any chunking with `receive_data()` and hands out typed events from
`next_event()` until it says `NEED_DATA`. Input that does not fit raises a `CodecError` once
the bad bytes are consumed, so the caller counts it and goes on: one line glitch never
wedges a device. Every device family names its codec's two ends alike: `HostCodec` is the
terminal's side (the driver), `DeviceCodec` the device's (the simulator, a fuzzer).
Drivers and simulators never write the receive/next_event loop themselves: they call
`feed()` (bytes that just arrived) or `wait_event()` (an answer before a deadline).
"""
from __future__ import annotations

import enum
from typing import Callable, Final, Iterator, Literal, Protocol, TypeVar

from core.errors import ProtocolError


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


NeedData = Literal[_Sentinel.NEED_DATA]
NEED_DATA: Final[NeedData] = _Sentinel.NEED_DATA


# ---- the one error root of every codec -----------------------------------------------------
class CodecError(ProtocolError):
    """Bytes that do not fit the protocol, already consumed; `data` holds them when known."""

    def __init__(self, message: str = "", data: bytes = b"") -> None:
        super().__init__(message)
        self.data = data


class BadChecksum(CodecError):
    """A frame whose checksum or CRC does not match: noise on the line."""


class BadLength(CodecError):
    """A length out of range, or a frame that does not end where its length says."""


class BadCommand(CodecError):
    """The device's side: a command it does not know, or one with parameters out of range."""


class BadReply(CodecError):
    """The host's side: an answer that fits no question asked, or breaks its fixed bits."""


# ---- the codec protocol and its pump ---------------------------------------------------------
EventT = TypeVar("EventT", covariant=True)
E = TypeVar("E")
OnError = Callable[[CodecError], None]


class Codec(Protocol[EventT]):
    def receive_data(self, data: bytes) -> None: ...
    def next_event(self) -> EventT | NeedData: ...


def events(codec: Codec[E], on_error: OnError) -> Iterator[E]:
    """Every whole event the codec holds now, in order. Each bad frame goes to `on_error`
    (which counts it, or raises to stop the pump) and the pump goes on after it."""
    while True:
        try:
            event = codec.next_event()
        except CodecError as exc:
            on_error(exc)
            continue
        if event is NEED_DATA:
            return
        yield event


def feed(codec: Codec[E], data: bytes, on_error: OnError) -> Iterator[E]:
    """Hand `data` to the codec now, and iterate the events it completes."""
    codec.receive_data(data)
    return events(codec, on_error)


def wait_event(codec: Codec[E], read: Callable[[float], bytes], remaining: Callable[[], float],
               on_error: OnError) -> E | None:
    """The next event, reading (`read(seconds)`) while `remaining()` seconds are left; None past it."""
    while True:
        for event in events(codec, on_error):
            return event
        left = remaining()
        if left <= 0:
            return None
        codec.receive_data(read(left))


def reraise(error: CodecError) -> None:
    """The `on_error` of callers for whom any bad frame is a bug (benches, tests)."""
    raise error
