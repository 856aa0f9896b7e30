"""ESC/POS without I/O, from both ends of the cable (h11-style).

`HostCodec` is the terminal's side: it turns status questions into bytes and matches the
one-byte answers to them in order, and `PrinterStatus` reads those answers into the flags and
the shared `Condition`. `DeviceCodec` is the printer's side, used by the simulator and the
fuzzer: feed it whatever bytes arrive, in any chunking, and take typed commands out of
`next_event()` until it says `NEED_DATA`. Malformed input raises a `CodecError` after the
offending bytes are consumed (`core.sansio`'s `BadCommand`, `BadReply`), so the caller can log
it and go on, as a printer does.
"""
from __future__ import annotations

import codecs
import re
from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable, Literal, Union

from PIL import Image

from core.devstate import ONLINE, Condition, DeviceState, Reason
from core.sansio import NEED_DATA, BadCommand, BadReply, NeedData

ESC, GS, FS, DLE, EOT, LF, CR = 0x1B, 0x1D, 0x1C, 0x10, 0x04, 0x0A, 0x0D
CHINESE_ON = b"\x1c&"  # FS &: two-byte GB18030 codes from here on
MAX_TEXT_RUN = 1024         # a text run longer than this is handed out in pieces of this size
MAX_RASTER_WIDTH_BYTES = 128  # 1,024 dots: wider than any roll printer
MAX_RASTER_HEIGHT = 4095
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252",
              17: "cp866", 18: "cp852", 19: "cp858"}
_CONTROL = re.compile(rb"[\x00-\x1f]")


# ---- status: shared by both sides ----------------------------------------------------------
@dataclass(frozen=True)
class StatusQuery:
    """`DLE EOT n` (answered at once, even mid-job) or `GS r n` (answered in turn, online only)."""

    n: int
    realtime: bool = True

    def encode(self) -> bytes:
        return bytes((DLE, EOT, self.n)) if self.realtime else bytes((GS, ord("r"), self.n))


PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER = (StatusQuery(n) for n in (1, 2, 3, 4))
PAPER_SENSOR = StatusQuery(1, realtime=False)


@dataclass(frozen=True)
class StatusReply:
    query: StatusQuery
    value: int


# which bit of which answer means what: (real-time?, n) -> (mask, flag); a mask of two bits
# (paper sensors) reads as set when either is set and is written with both
_BITS: dict[tuple[bool, int], tuple[tuple[int, str], ...]] = {
    (True, 1): ((0x08, "offline"),),
    (True, 2): ((0x04, "cover_open"), (0x08, "fed_by_button"), (0x20, "paper_end"), (0x40, "error")),
    (True, 3): ((0x08, "cutter_error"), (0x20, "unrecoverable_error"), (0x40, "auto_recoverable_error")),
    (True, 4): ((0x0C, "paper_near_end"), (0x60, "paper_end")),
    (False, 1): ((0x03, "paper_near_end"), (0x0C, "paper_end")),  # GS r 1
}
_ERRORS = ("cutter_error", "unrecoverable_error", "auto_recoverable_error")


@dataclass(frozen=True)
class PrinterStatus:
    """What the status answers say; `error` is set whenever one of the specific errors is."""

    online: bool = True
    cover_open: bool = False
    fed_by_button: bool = False
    paper_near_end: bool = False
    paper_end: bool = False
    error: bool = False
    cutter_error: bool = False
    unrecoverable_error: bool = False
    auto_recoverable_error: bool = False

    @classmethod
    def from_replies(cls, replies: Iterable[StatusReply]) -> PrinterStatus:
        """Merge whichever answers arrived; a question not asked leaves its flags clear."""
        found = {flag for r in replies for mask, flag in _BITS.get((r.query.realtime, r.query.n), ())
                 if r.value & mask}
        if found.intersection(_ERRORS):
            found.add("error")
        online = "offline" not in found
        found.discard("offline")
        return cls(online=online, **dict.fromkeys(found, True))

    def reply(self, query: StatusQuery) -> bytes:
        """The printer's answer to `query`: one byte, or none for `GS r` while offline."""
        if not query.realtime and not self.online:
            return b""
        flags = {**vars(self), "offline": not self.online,
                 "error": self.error or any(getattr(self, e) for e in _ERRORS)}
        value = 0x12 if query.realtime else 0x00  # fixed bits of DLE EOT answers
        for mask, flag in _BITS.get((query.realtime, query.n), ()):
            value |= mask if flags[flag] else 0
        return bytes((value,))

    def condition(self) -> Condition:
        """Map onto the shared vocabulary: what stops printing first, then what needs care."""
        offline = DeviceState.OFFLINE
        if self.cover_open:
            return Condition(offline, Reason.COVER_OPEN, "cover open")
        if self.paper_end:
            return Condition(offline, Reason.PAPER_OUT, "paper out")
        if self.cutter_error:
            return Condition(offline, Reason.CUTTER_ERROR, "cutter error")
        if self.error or self.unrecoverable_error or self.auto_recoverable_error:
            kind = ("unrecoverable error" if self.unrecoverable_error
                    else "auto-recoverable error" if self.auto_recoverable_error else "error")
            return Condition(offline, Reason.PRINTER_ERROR, kind)
        if not self.online:
            return Condition(offline, Reason.PRINTER_ERROR, "printer reports offline")
        if self.paper_near_end:
            return Condition(DeviceState.DEGRADED, Reason.PAPER_LOW, "paper near end")
        return ONLINE


class HostCodec:
    """The terminal's side: queries out, answers matched to them in the order they were asked."""

    def __init__(self) -> None:
        self._pending: deque[StatusQuery] = deque()
        self._buffer = bytearray()

    def send(self, query: StatusQuery) -> bytes:
        self._pending.append(query)
        return query.encode()

    def receive_data(self, data: bytes) -> None:
        self._buffer += data

    def next_event(self) -> StatusReply | NeedData:
        """The answer to the oldest open question; a byte that cannot be one is dropped and raised."""
        if not self._buffer:
            return NEED_DATA
        value = self._buffer.pop(0)
        if not self._pending:
            raise BadReply(f"status byte {value:#04x} with no question pending", bytes((value,)))
        query = self._pending[0]
        fixed_ok = (value & 0x93) == 0x12 if query.realtime else (value & 0x90) == 0
        if not fixed_ok:  # line noise: the question stays open for its real answer
            raise BadReply(f"status byte {value:#04x} breaks the fixed bits of {query}",
                                 bytes((value,)))
        return StatusReply(self._pending.popleft(), value)

    def reset(self) -> None:
        """Forget unanswered questions and stray bytes (after a timeout), so they match nothing."""
        self._pending.clear()
        self._buffer.clear()


# ---- device side: the commands a printer receives ---------------------------------------------
@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Feed:
    """Print the line buffer, then feed `lines` lines or `dots` dots (LF is one line)."""

    lines: int = 0
    dots: int = 0


@dataclass(frozen=True)
class Style:
    """A change of print mode; `None` leaves that attribute as it was."""

    bold: bool | None = None
    width: int | None = None
    height: int | None = None
    underline: int | None = None


@dataclass(frozen=True)
class Align:
    align: Literal["left", "center", "right"]


@dataclass(frozen=True)
class ChineseMode:
    on: bool


@dataclass(frozen=True)
class CodePage:
    n: int


@dataclass(frozen=True)
class QrModel:
    model: int


@dataclass(frozen=True)
class QrSize:
    dots: int


@dataclass(frozen=True)
class QrErrorLevel:
    level: Literal["L", "M", "Q", "H"]


@dataclass(frozen=True)
class QrStore:
    data: bytes


@dataclass(frozen=True)
class QrPrint:
    pass


@dataclass(frozen=True)
class Raster:
    """`GS v 0`: a 1-bit image (black = printed dot), `scale` = (x, y) dot multipliers."""

    image: Image.Image
    scale: tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class Cut:
    partial: bool = False
    feed: int = 0


@dataclass(frozen=True)
class Init:
    pass


@dataclass(frozen=True)
class Ignored:
    """A well-formed command that changes nothing a ticket shows (line spacing, drawer kick…)."""

    data: bytes


@dataclass(frozen=True)
class Unknown:
    """A command prefix this codec does not know; only `data` was consumed."""

    data: bytes


EscPosCommand = Union[Text, Feed, Style, Align, ChineseMode, CodePage, QrModel, QrSize, QrErrorLevel,
                      QrStore, QrPrint, Raster, Cut, StatusQuery, Init, Ignored, Unknown]

_ALIGN: dict[int, Literal["left", "center", "right"]] = {0: "left", 1: "center", 2: "right"}
_QR_LEVEL: dict[int, Literal["L", "M", "Q", "H"]] = {48: "L", 49: "M", 50: "Q", 51: "H"}
# fixed-length commands that draw nothing: prefix -> parameter bytes
_IGNORED = {b"\x1b2": 0, b"\x1b3": 1, b"\x1bM": 1, b"\x1bG": 1, b"\x1b{": 1, b"\x1bV": 1,
            b"\x1b ": 1, b"\x1bR": 1, b"\x1bp": 3, b"\x1b$": 2, b"\x1b\\": 2, b"\x1bU": 1,
            b"\x1bc": 2, b"\x1b=": 1, b"\x1dB": 1, b"\x1dH": 1, b"\x1dh": 1, b"\x1dw": 1,
            b"\x1df": 1, b"\x1dL": 2, b"\x1dW": 2, b"\x1dP": 2, b"\x1da": 1, b"\x1cC": 1,
            b"\x1cS": 2, b"\x1cW": 1, b"\x10\x05": 1}
_INVERT = bytes(255 - i for i in range(256))


class DeviceCodec:
    """The printer's side: bytes in any chunking → typed commands, the same for every chunking."""

    def __init__(self, chinese_mode: bool = True) -> None:
        self.chinese_default = chinese_mode  # most Chinese printers start in Chinese mode
        self._buffer = bytearray()
        self._pos = 0
        self._reset_modes()

    def _reset_modes(self) -> None:
        self.chinese_mode = self.chinese_default
        self.code_page = 0
        self._decoder = self._new_decoder()

    def _new_decoder(self) -> codecs.IncrementalDecoder:
        name = "gb18030" if self.chinese_mode else CODE_PAGES.get(self.code_page, "cp437")
        return codecs.getincrementaldecoder(name)(errors="replace")

    def receive_data(self, data: bytes) -> None:
        if self._pos > 65536:
            del self._buffer[: self._pos]
            self._pos = 0
        self._buffer += data

    def next_event(self) -> EscPosCommand | NeedData:
        while True:
            if self._pos >= len(self._buffer):
                return NEED_DATA
            event = self._parse()
            if event is not None:
                return event

    # ---- parsing: each step either consumes bytes or reports NEED_DATA --------------------
    def _take(self, n: int) -> bytes:
        data = bytes(self._buffer[self._pos:self._pos + n])
        self._pos += n
        return data

    def _have(self, n: int) -> bool:
        return len(self._buffer) - self._pos >= n

    def _malformed(self, n: int, why: str) -> BadCommand:
        data = self._take(n)
        return BadCommand(f"{why}: {data[:16].hex(' ')}", data)

    def _parse(self) -> EscPosCommand | NeedData | None:
        """One step: an event, `NEED_DATA`, or None when bytes were consumed silently (CR)."""
        first = self._buffer[self._pos]
        if first >= 0x20:
            return self._text()
        leftover = self._decoder.decode(b"", final=True)  # a character cut by a control byte
        if leftover:
            self._decoder.reset()
            return Text(leftover)
        if first == LF:
            self._pos += 1
            return Feed(lines=1)
        if first == CR:  # ignored unless auto line feed is on, which tickets never need
            self._pos += 1
            return None
        if first not in (ESC, GS, FS, DLE):
            return Unknown(self._take(1))
        if not self._have(2):
            return NEED_DATA
        prefix = bytes(self._buffer[self._pos:self._pos + 2])
        if prefix in _IGNORED:
            size = 2 + _IGNORED[prefix]
            return Ignored(self._take(size)) if self._have(size) else NEED_DATA
        handler = _HANDLERS.get(prefix)
        if handler is None:
            return Unknown(self._take(2 if first != DLE else 1))
        return handler(self)

    def _text(self) -> Text | NeedData:
        """A run of printable bytes, handed out once its end is seen (or in MAX_TEXT_RUN pieces)."""
        end = _CONTROL.search(self._buffer, self._pos)
        stop = end.start() if end else len(self._buffer)
        if stop - self._pos >= MAX_TEXT_RUN:
            return Text(self._decoder.decode(self._take(MAX_TEXT_RUN)))
        if end is None:
            return NEED_DATA
        text = self._decoder.decode(self._take(stop - self._pos), final=True)
        self._decoder.reset()
        return Text(text)

    def _esc_cut(self) -> EscPosCommand:
        self._pos += 2
        return Cut(partial=True)

    def _esc_init(self) -> EscPosCommand:
        self._pos += 2
        self._reset_modes()
        return Init()

    def _one(self, build: Callable[[int], EscPosCommand]) -> EscPosCommand | NeedData:
        """A command with exactly one parameter byte, built by `build(n)` (which may raise)."""
        if not self._have(3):
            return NEED_DATA
        n = self._buffer[self._pos + 2]
        try:
            event = build(n)
        except ValueError as exc:
            raise self._malformed(3, str(exc)) from None
        self._pos += 3
        return event

    def _esc_mode(self) -> EscPosCommand | NeedData:
        return self._one(lambda n: Style(bold=bool(n & 0x08), width=2 if n & 0x20 else 1,
                                         height=2 if n & 0x10 else 1, underline=1 if n & 0x80 else 0))

    def _gs_size(self) -> EscPosCommand | NeedData:
        def build(n: int) -> Style:
            if n & 0x88:
                raise ValueError("GS ! size beyond 8x")
            return Style(width=(n >> 4) + 1, height=(n & 0x0F) + 1)
        return self._one(build)

    def _fs_mode(self) -> EscPosCommand | NeedData:
        return self._one(lambda n: Style(width=2 if n & 0x04 else 1, height=2 if n & 0x08 else 1,
                                         underline=1 if n & 0x80 else 0))

    def _underline(self) -> EscPosCommand | NeedData:
        def build(n: int) -> Style:
            if n % 48 > 2 or n > 50:
                raise ValueError("underline mode out of range")
            return Style(underline=n % 48)
        return self._one(build)

    def _align(self) -> EscPosCommand | NeedData:
        def build(n: int) -> Align:
            if n % 48 > 2 or n > 50:
                raise ValueError("justification out of range")
            return Align(_ALIGN[n % 48])
        return self._one(build)

    def _code_page(self) -> EscPosCommand | NeedData:
        event = self._one(lambda n: CodePage(n))
        if isinstance(event, CodePage):
            self.code_page = event.n
            self._decoder = self._new_decoder()
        return event

    def _chinese(self, on: bool) -> EscPosCommand:
        self._pos += 2
        self.chinese_mode = on
        self._decoder = self._new_decoder()
        return ChineseMode(on)

    def _dle_eot(self) -> EscPosCommand | NeedData:
        def build(n: int) -> StatusQuery:
            if not 1 <= n <= 4:
                raise ValueError("DLE EOT n out of range")
            return StatusQuery(n)
        return self._one(build)

    def _gs_r(self) -> EscPosCommand | NeedData:
        def build(n: int) -> StatusQuery:
            if n not in (1, 2, 49, 50):
                raise ValueError("GS r n out of range")
            return StatusQuery(n % 48, realtime=False)
        return self._one(build)

    def _gs_cut(self) -> EscPosCommand | NeedData:
        if not self._have(3):
            return NEED_DATA
        m = self._buffer[self._pos + 2]
        if m in (0, 48, 1, 49):
            self._pos += 3
            return Cut(partial=m in (1, 49))
        if m in (65, 66, 97, 98, 103, 104):
            if not self._have(4):
                return NEED_DATA
            n = self._buffer[self._pos + 3]
            self._pos += 4
            return Cut(partial=m in (66, 98, 104), feed=n)
        raise self._malformed(3, "GS V cut mode out of range")

    def _gs_raster(self) -> EscPosCommand | NeedData:
        if not self._have(8):
            return NEED_DATA
        head = self._buffer[self._pos:self._pos + 8]
        m, width, height = head[3], head[4] | head[5] << 8, head[6] | head[7] << 8
        if head[2] not in (0, 48) or m % 48 > 3 or m > 51:
            raise self._malformed(8, "GS v 0 mode out of range")
        if not (1 <= width <= MAX_RASTER_WIDTH_BYTES and 1 <= height <= MAX_RASTER_HEIGHT):
            raise self._malformed(8, f"GS v 0 size {width}x{height} out of range")
        if not self._have(8 + width * height):
            return NEED_DATA
        data = self._take(8 + width * height)[8:]
        # ESC/POS sets a bit for a printed (black) dot; a Pillow "1" image stores black as 0
        image = Image.frombytes("1", (width * 8, height), data.translate(_INVERT))
        return Raster(image, scale=(2 if m % 48 & 1 else 1, 2 if m % 48 & 2 else 1))

    def _gs_paren(self) -> EscPosCommand | NeedData:
        if not self._have(5):
            return NEED_DATA
        head = self._buffer[self._pos:self._pos + 5]
        size = head[3] | head[4] << 8
        if not self._have(5 + size):
            return NEED_DATA
        if head[2] != ord("k"):
            return Ignored(self._take(5 + size))
        if size < 2:
            raise self._malformed(5 + size, "GS ( k without cn fn")
        cn, fn = self._buffer[self._pos + 5], self._buffer[self._pos + 6]
        params = bytes(self._buffer[self._pos + 7:self._pos + 5 + size])
        if cn != 49:  # other 2D symbols (PDF417, MaxiCode…) are not drawn
            return Ignored(self._take(5 + size))
        try:
            event = _qr_event(fn, params)
        except ValueError as exc:
            raise self._malformed(5 + size, str(exc)) from None
        data = self._take(5 + size)
        return Ignored(data) if event is None else event


def _qr_event(fn: int, params: bytes) -> EscPosCommand | None:
    if fn == 65:
        if len(params) != 2 or params[0] not in (49, 50, 51):
            raise ValueError("QR model out of range")
        return QrModel(params[0] - 48)
    if fn == 67:
        if len(params) != 1 or not 1 <= params[0] <= 16:
            raise ValueError("QR module size out of range")
        return QrSize(params[0])
    if fn == 69:
        if len(params) != 1 or params[0] not in _QR_LEVEL:
            raise ValueError("QR error correction level out of range")
        return QrErrorLevel(_QR_LEVEL[params[0]])
    if fn == 80:
        if not params or params[0] != 48:
            raise ValueError("QR store without m=48")
        return QrStore(params[1:])
    if fn == 81:
        if params != b"0":
            raise ValueError("QR print without m=48")
        return QrPrint()
    return None  # size queries and the like: nothing to draw


_HANDLERS: dict[bytes, Callable[[DeviceCodec], EscPosCommand | NeedData]] = {
    b"\x1b@": DeviceCodec._esc_init,
    b"\x1b!": DeviceCodec._esc_mode,
    b"\x1bE": lambda c: c._one(lambda n: Style(bold=bool(n & 1))),
    b"\x1b-": DeviceCodec._underline,
    b"\x1ba": DeviceCodec._align,
    b"\x1bd": lambda c: c._one(lambda n: Feed(lines=n)),
    b"\x1bJ": lambda c: c._one(lambda n: Feed(dots=n)),
    b"\x1bt": DeviceCodec._code_page,
    b"\x1bi": DeviceCodec._esc_cut,
    b"\x1bm": DeviceCodec._esc_cut,
    b"\x1d!": DeviceCodec._gs_size,
    b"\x1dV": DeviceCodec._gs_cut,
    b"\x1dv": DeviceCodec._gs_raster,
    b"\x1d(": DeviceCodec._gs_paren,
    b"\x1dr": DeviceCodec._gs_r,
    b"\x1c&": lambda c: c._chinese(True),
    b"\x1c.": lambda c: c._chinese(False),
    b"\x1c!": DeviceCodec._fs_mode,
    b"\x1c-": DeviceCodec._underline,
    b"\x10\x04": DeviceCodec._dle_eot,
}
