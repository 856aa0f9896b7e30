"""Sans-I/O codec of the resident ID-card reader's GA 467 "SAM" serial protocol.

Both directions share one frame, ``AA AA AA 96 69 | LEN_H LEN_L | body | CHK``: LEN counts
every byte after itself (checksum included) and CHK is the XOR of LEN_H..last body byte.
`HostCodec` is the terminal's side (commands out, typed replies in); `DeviceCodec`
is the reader's side, which the simulator uses. Both take bytes in any chunking through
`receive_data()` and hand out whole frames from `next_event()`, or `NEED_DATA`. A broken
frame raises a `CodecError` (core.sansio) once and the codec carries on with the next frame,
so one line glitch never wedges the reader. No I/O, no clock, no threads here.
"""
from __future__ import annotations

import enum
import struct
from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

from core.sansio import NEED_DATA, BadChecksum, BadCommand, BadLength, BadReply, CodecError, NeedData

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_SIZE = len(PREAMBLE) + 2  # preamble + LEN_H LEN_L
COMMAND_LEN = 3  # LEN of a bare CMD PARA command
MIN_REPLY_LEN = 4  # LEN of SW1 SW2 SW3 and the checksum
MAX_REPLY_LEN = 2314  # LEN of the longest reply: text + photo + fingerprint (a 2,321-byte frame)


def wire_time(size: int, baud: int) -> float:
    """Seconds `size` bytes take on an 8N1 line (ten bits a byte)."""
    return size * 10 / baud


def frame_size(body_size: int) -> int:
    """Bytes on the wire for a frame with a body of `body_size` bytes."""
    return HEADER_SIZE + body_size + 1




class SamStatus(enum.IntEnum):
    """SW3 of every reply (SW1 = SW2 = 00)."""

    OK = 0x90
    CARD_FOUND = 0x9F
    NO_CONTENT = 0x91
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    BAD_COMMAND = 0x21
    NOT_PERMITTED = 0x23
    UNKNOWN_ERROR = 0x24
    AUTH_CARD_REJECTED_SAM = 0x31  # the card failed to authenticate the SAM
    AUTH_SAM_REJECTED_CARD = 0x32  # the SAM failed to authenticate the card
    AUTH_DATA_MISMATCH = 0x33      # the card's data failed verification
    UNKNOWN_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORISED = 0x66
    NO_CARD = 0x80
    SELECT_FAILED = 0x81


class Baud(enum.IntEnum):
    """PARA of the `60 nn` rate command."""

    B115200 = 0x00
    B57600 = 0x01
    B38400 = 0x02
    B19200 = 0x03
    B9600 = 0x04

    @property
    def rate(self) -> int:
        return int(self.name[1:])


class SamOp(enum.Enum):
    """Every command as its (CMD, PARA) pair and the largest reply frame it can draw.

    PARA None means the parameter varies (the baud rate code).
    """

    RESET_SAM = (0x10, 0xFF, frame_size(3))
    SAM_STATUS = (0x11, 0xFF, frame_size(3))
    SAM_ID = (0x12, 0xFF, frame_size(3 + 16))
    FIND = (0x20, 0x01, frame_size(3 + 4))
    SELECT = (0x20, 0x02, frame_size(3 + 8))
    READ = (0x30, 0x01, frame_size(3 + 4 + 256 + 1024))
    READ_FINGERPRINT = (0x30, 0x10, frame_size(3 + 6 + 256 + 1024 + 1024))
    READ_NEW_ADDRESS = (0x30, 0x03, frame_size(3 + 70))
    SET_BAUD = (0x60, None, frame_size(3))

    @property
    def cmd(self) -> int:
        return int(self.value[0])

    @property
    def reply_size(self) -> int:
        return int(self.value[2])


_OPS = {(op.cmd, op.value[1]): op for op in SamOp if op.value[1] is not None}


# what a reader answers to a frame it could not take (SW3); anything else is UNKNOWN_ERROR
_ANSWER_TO: dict[type[CodecError], SamStatus] = {
    BadChecksum: SamStatus.CHECKSUM_ERROR,
    BadLength: SamStatus.LENGTH_ERROR,
    BadCommand: SamStatus.BAD_COMMAND,
}


def answer_to(error: CodecError) -> SamStatus:
    """The status a reader sends back for a frame that raised `error`."""
    return _ANSWER_TO.get(type(error), SamStatus.UNKNOWN_ERROR)


@dataclass(frozen=True)
class SamCommand:
    """One host → reader command; `baud` only for `SamOp.SET_BAUD`."""

    op: SamOp
    baud: Baud | None = None

    def __post_init__(self) -> None:
        if (self.op is SamOp.SET_BAUD) != (self.baud is not None):
            raise ValueError("a baud rate goes with SET_BAUD and only with it")

    @property
    def para(self) -> int:
        return self.op.value[1] if self.baud is None else int(self.baud)


@dataclass(frozen=True)
class SamId:
    """The SAM module's identity, printed the way vendors' tools show it."""

    a: int
    b: int
    c: int
    d: int
    e: int

    _LAYOUT: ClassVar[struct.Struct] = struct.Struct("<HHIII")

    @classmethod
    def from_bytes(cls, data: bytes) -> SamId:
        if len(data) != cls._LAYOUT.size:
            raise BadLength(f"SAM id has {len(data)} bytes, expected 16")
        return cls(*cls._LAYOUT.unpack(data))

    def to_bytes(self) -> bytes:
        return self._LAYOUT.pack(self.a, self.b, self.c, self.d, self.e)

    def __str__(self) -> str:
        return f"{self.a:02d}.{self.b:02d}-{self.c:08d}-{self.d:010d}-{self.e:010d}"


@dataclass(frozen=True)
class SamReply:
    """One reader → host reply. `op` is the command it answers (None on the reader side
    when the command itself was unreadable); `data` is the payload after SW3."""

    status: SamStatus
    data: bytes = field(default=b"", repr=False)  # may hold a citizen's text block
    op: SamOp | None = None

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        """Typed replies validate their payload's shape here (raising `BadLength`)."""


@dataclass(frozen=True)
class SamIdReply(SamReply):
    @property
    def sam_id(self) -> SamId:
        return SamId.from_bytes(self.data)

    def _check(self) -> None:
        SamId.from_bytes(self.data)

    @classmethod
    def build(cls, sam_id: SamId) -> SamIdReply:
        return cls(SamStatus.OK, sam_id.to_bytes(), SamOp.SAM_ID)


@dataclass(frozen=True)
class ReadReply(SamReply):
    """30 01 / 30 10: big-endian section lengths, then text, photo (and fingerprint)."""

    @property
    def sections(self) -> tuple[bytes, ...]:
        return _split_sections(self.data, 3 if self.op is SamOp.READ_FINGERPRINT else 2)

    def _check(self) -> None:
        _ = self.sections

    @property
    def text(self) -> bytes:
        return self.sections[0]

    @property
    def photo(self) -> bytes:
        return self.sections[1]

    @property
    def fingerprint(self) -> bytes | None:
        return self.sections[2] if self.op is SamOp.READ_FINGERPRINT else None

    @classmethod
    def build(cls, text: bytes, photo: bytes, fingerprint: bytes | None = None) -> ReadReply:
        parts = (text, photo) if fingerprint is None else (text, photo, fingerprint)
        lengths = struct.pack(f">{len(parts)}H", *(len(p) for p in parts))
        op = SamOp.READ if fingerprint is None else SamOp.READ_FINGERPRINT
        return cls(SamStatus.OK, lengths + b"".join(parts), op)


@dataclass(frozen=True)
class AddressReply(SamReply):
    """30 03: the newest address the police appended to the card, UCS-2 little-endian."""

    @property
    def address(self) -> str:
        return self.data.decode("utf-16-le", errors="replace").rstrip(" ")

    def _check(self) -> None:
        if len(self.data) % 2 or len(self.data) > 70:
            raise BadLength(f"appended address of {len(self.data)} bytes")


def _split_sections(data: bytes, count: int) -> tuple[bytes, ...]:
    if len(data) < 2 * count:
        raise BadLength(f"read reply too short for {count} section lengths")
    lengths = struct.unpack(f">{count}H", data[: 2 * count])
    if 2 * count + sum(lengths) != len(data):
        raise BadLength(f"read reply sections {lengths} do not fill {len(data)} bytes")
    out, at = [], 2 * count
    for size in lengths:
        out.append(data[at : at + size])
        at += size
    return tuple(out)


_TYPED: dict[SamOp, type[SamReply]] = {
    SamOp.SAM_ID: SamIdReply,
    SamOp.READ: ReadReply,
    SamOp.READ_FINGERPRINT: ReadReply,
    SamOp.READ_NEW_ADDRESS: AddressReply,
}


def checksum(data: bytes) -> int:
    """XOR of all bytes, folded as one big integer (7× faster than a loop on a read reply)."""
    value, width = int.from_bytes(data, "little"), len(data)
    while width > 1:
        half = (width + 1) // 2
        value = (value >> (8 * half)) ^ (value & ((1 << (8 * half)) - 1))
        width = half
    return value


def encode_frame(body: bytes) -> bytes:
    head = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + head + body + bytes([checksum(head + body)])


class _Deframer:
    """Cuts whole frames out of a byte stream, skipping (and counting) what is not one.

    A bad length or checksum drops only the first preamble byte before searching again,
    so a good frame hiding inside a broken one is still found.
    """

    def __init__(self, min_len: int, max_len: int) -> None:
        self.min_len, self.max_len = min_len, max_len
        self.garbage_bytes = 0
        self._buf = bytearray()

    def feed(self, data: bytes) -> None:
        self._buf += data

    def clear(self) -> None:
        self._buf.clear()

    def _skip(self, count: int) -> None:
        del self._buf[:count]
        self.garbage_bytes += count

    def next_body(self) -> bytes | NeedData:
        at = self._buf.find(PREAMBLE)
        if at < 0:  # keep a tail that may be the start of a preamble
            self._skip(max(0, len(self._buf) - (len(PREAMBLE) - 1)))
            return NEED_DATA
        self._skip(at)
        if len(self._buf) < HEADER_SIZE:
            return NEED_DATA
        length = int.from_bytes(self._buf[len(PREAMBLE) : HEADER_SIZE], "big")
        if not self.min_len <= length <= self.max_len:
            self._skip(1)
            raise BadLength(f"frame length {length} outside {self.min_len}..{self.max_len}")
        end = HEADER_SIZE + length
        if len(self._buf) < end:
            return NEED_DATA
        frame = bytes(self._buf[:end])
        if checksum(frame[len(PREAMBLE) : -1]) != frame[-1]:
            self._skip(1)
            raise BadChecksum(f"checksum mismatch in a {end}-byte frame")
        del self._buf[:end]
        return frame[HEADER_SIZE:-1]


class HostCodec:
    """The terminal's end: `send(SamCommand)` → bytes, reply bytes → typed `SamReply` frames.

    Replies carry no command code, so the connection remembers what it sent (in order) to
    type each reply; a reply with nothing outstanding is a `BadReply`.
    """

    def __init__(self, max_len: int = MAX_REPLY_LEN) -> None:
        self._frames = _Deframer(MIN_REPLY_LEN, max_len)
        self._pending: deque[SamOp] = deque()

    @property
    def garbage_bytes(self) -> int:
        return self._frames.garbage_bytes

    def send(self, command: SamCommand) -> bytes:
        self._pending.append(command.op)
        return encode_frame(bytes([command.op.cmd, command.para]))

    def receive_data(self, data: bytes) -> None:
        self._frames.feed(data)

    def reset(self) -> None:
        """Forget buffered bytes and outstanding commands (after a timeout or reconnect)."""
        self._frames.clear()
        self._pending.clear()

    def next_event(self) -> SamReply | NeedData:
        body = self._frames.next_body()
        if body is NEED_DATA:
            return NEED_DATA
        if not self._pending:
            raise BadReply("a reply with no command outstanding")
        op = self._pending.popleft()
        sw1, sw2, sw3 = body[:3]
        if sw1 or sw2 or sw3 not in SamStatus._value2member_map_:
            raise BadReply(f"unknown status {sw1:02X} {sw2:02X} {sw3:02X}")
        status = SamStatus(sw3)
        kind = _TYPED.get(op, SamReply) if status is SamStatus.OK else SamReply
        return kind(status, body[3:], op)


class DeviceCodec:
    """The reader's end (for the simulator): command bytes → `SamCommand`, `SamReply` → bytes."""

    def __init__(self) -> None:
        self._frames = _Deframer(COMMAND_LEN, COMMAND_LEN)

    @property
    def garbage_bytes(self) -> int:
        return self._frames.garbage_bytes

    def receive_data(self, data: bytes) -> None:
        self._frames.feed(data)

    def reset(self) -> None:
        self._frames.clear()

    def next_event(self) -> SamCommand | NeedData:
        body = self._frames.next_body()
        if body is NEED_DATA:
            return NEED_DATA
        cmd, para = body
        if cmd == SamOp.SET_BAUD.cmd and para in Baud._value2member_map_:
            return SamCommand(SamOp.SET_BAUD, Baud(para))
        op = _OPS.get((cmd, para))
        if op is None:
            raise BadCommand(f"unknown command {cmd:02X} {para:02X}")
        return SamCommand(op)

    def send(self, reply: SamReply) -> bytes:
        return encode_frame(bytes([0, 0, reply.status]) + reply.data)
