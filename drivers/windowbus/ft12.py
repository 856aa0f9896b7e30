"""The "FT1.2-style" hall bus: caller keypads with a 6-digit screen and rating pads on RS-485.

Frame, both directions: `FF 68 L L 68 ADDR FUNC DATA… CS 16` with L = 2 + len(DATA) sent
twice and CS = (ADDR + FUNC + ΣDATA) mod 256. The leading FF wakes receivers; a frame is
also accepted without it. The poll (FUNC 10), the caller-key frame (FUNC 12) and the short
acknowledgement (FUNC 00, no data) are this project's assumption, because
the vendor text does not say how a one-master bus learns of key presses: see
docs/protocols.md, section "Window bus".
"""
from __future__ import annotations

from typing import Final

from core.sansio import BadChecksum, BadLength
from drivers.windowbus.codec import (
    Ack,
    AckRating,
    Beep,
    BusCodec,
    CallerKey,
    DeviceMessage,
    HostMessage,
    KeyPressed,
    Message,
    Poll,
    RatingPressed,
    ShowNumber,
    Side,
    Span,
    StartRating,
    Unsupported,
    check_range,
)

PREAMBLE, START, END = 0xFF, 0x68, 0x16
F_ACK = 0x00       # assumed: "done, nothing queued" (distinct from every master frame)
F_COMMAND = 0x01   # data 0B: start an evaluation; data k: acknowledge rating key k
F_SHOW = 0x02      # six digits: waiting count (3) then ticket number (3); 0A = blank
F_BEEP = 0x03
F_POLL = 0x10      # assumed: "anything queued?"
F_RATING = 0x11    # rating pad key press, DATA[0] = key index
F_KEY = 0x12       # assumed: caller key press, key code in the last data byte
EVALUATE = 0x0B
BLANK = 0x0A
CONFIRM = 0x0F

KEY_CODES: Final = {
    0x0C: CallerKey.CALL, 0x0D: CallerKey.RECALL, 0x0B: CallerKey.EVALUATE,
    0x12: CallerKey.PAUSE, 0x13: CallerKey.TRANSFER,
}
CONFIRM_DIGITS: Final = {6: CallerKey.GIVE_UP, 0: CallerKey.HOLD, 3: CallerKey.CALL_BACK}
_KEY_BYTES: Final = {key: bytes([code]) for code, key in KEY_CODES.items()} | {
    key: bytes([digit, CONFIRM]) for digit, key in CONFIRM_DIGITS.items()}


def frame(address: int, func: int, data: bytes = b"") -> bytes:
    body = bytes([check_range("address", address, 1, 255), func]) + data
    length = check_range("frame length", len(body), 2, 255)
    return bytes([PREAMBLE, START, length, length, START]) + body + bytes([sum(body) & 0xFF, END])


def _digits(value: int | None) -> bytes:
    if value is None:
        return bytes([BLANK] * 3)
    return bytes(int(c) for c in f"{check_range('number', value, 0, 999):03d}")


def _undigits(data: bytes) -> int | None:
    """Three screen digits back to a number; leading blanks are allowed, all blank is None."""
    digits = data.lstrip(bytes([BLANK]))
    if not digits:
        return None
    if any(d > 9 for d in digits):
        raise Unsupported(f"ft12: screen digits {data.hex(' ')} are not 0-9 or blank")
    return int("".join(map(str, digits)))


class Ft12Codec(BusCodec):
    profile = "ft12"
    unit = "caller"
    commands = frozenset({Poll, ShowNumber, Beep, StartRating, AckRating})
    answers = frozenset({Ack, KeyPressed, RatingPressed})
    shows_waiting = True

    def _span(self, buf: bytearray) -> Span | None:
        at = buf.find(START)
        if at < 0:  # keep a trailing FF: it may be the preamble of a frame still arriving
            garbage = len(buf) - (1 if buf.endswith(b"\xff") else 0)
            return Span(garbage=garbage) if garbage else None
        begin = at - 1 if at and buf[at - 1] == PREAMBLE else at
        if begin:
            return Span(garbage=begin)
        if len(buf) < at + 4:
            return None
        length, again, start = buf[at + 1], buf[at + 2], buf[at + 3]
        if length != again or start != START:
            return Span(garbage=at + 1)  # a stray 68, not a frame start
        header = at + 4  # on a bad frame, drop its header and rescan the rest: a good frame may hide there
        if length < 2:
            return Span(size=header, error=BadLength(f"ft12: length {length} leaves no room for address and function"))
        total = header + length + 2
        if len(buf) < total:
            return None
        body = buf[header:header + length]
        if buf[total - 2] != sum(body) & 0xFF:
            return Span(size=header, error=BadChecksum(
                f"ft12: checksum {buf[total - 2]:02X}, computed {sum(body) & 0xFF:02X}"))
        if buf[total - 1] != END:
            return Span(size=header, error=BadLength(f"ft12: frame ends with {buf[total - 1]:02X}, not 16"))
        return Span(size=total)

    def _decode(self, frame_bytes: bytes) -> Message:
        at = frame_bytes.index(START)
        address, func, data = frame_bytes[at + 4], frame_bytes[at + 5], frame_bytes[at + 6:-2]
        decode = self._decode_command if self.side is Side.DEVICE else self._decode_answer
        message = decode(address, func, data)
        if message is None:
            raise Unsupported(f"ft12: function {func:02X} with {len(data)} data bytes from {self.side.value} peer")
        return message

    @staticmethod
    def _decode_command(address: int, func: int, data: bytes) -> HostMessage | None:
        if func == F_POLL and not data:
            return Poll(address)
        if func == F_BEEP and not data:
            return Beep(address)
        if func == F_SHOW and len(data) == 6:
            return ShowNumber(address, _undigits(data[3:]), _undigits(data[:3]))
        if func == F_COMMAND and len(data) == 1:
            return StartRating(address) if data[0] == EVALUATE else AckRating(address, data[0])
        return None

    @staticmethod
    def _decode_answer(address: int, func: int, data: bytes) -> DeviceMessage | None:
        if func == F_ACK and not data:
            return Ack(address)
        if func == F_RATING and len(data) == 1:
            return RatingPressed(address, data[0])
        if func == F_KEY and data:
            if data[-1] == CONFIRM:
                digit = data[-2] if len(data) > 1 else None
                if digit is not None and digit > 9:
                    return None
                named = CONFIRM_DIGITS.get(digit) if digit is not None else None
                return KeyPressed(address, named) if named else KeyPressed(address, CallerKey.CONFIRM, digit)
            key = KEY_CODES.get(data[-1])
            return KeyPressed(address, key) if key else None
        return None

    def _encode_command(self, command: HostMessage) -> bytes:
        match command:
            case Poll(address):
                return frame(address, F_POLL)
            case Beep(address):
                return frame(address, F_BEEP)
            case StartRating(address):
                return frame(address, F_COMMAND, bytes([EVALUATE]))
            case AckRating(address, level):
                if level == EVALUATE:
                    raise ValueError("ft12: rating key 0B cannot be acknowledged (it means 'start evaluation')")
                return frame(address, F_COMMAND, bytes([check_range("rating level", level, 0, 255)]))
            case ShowNumber(address, number, waiting, decimals):
                if decimals:
                    raise ValueError("ft12: the caller's screen has no decimal point")
                return frame(address, F_SHOW, _digits(waiting) + _digits(number))
        raise ValueError(f"ft12 cannot send {command!r}")

    def _encode_answer(self, answer: DeviceMessage, request: HostMessage | None) -> bytes:
        match answer:
            case Ack(address):
                return frame(address, F_ACK)
            case RatingPressed(address, level):
                return frame(address, F_RATING, bytes([check_range("rating level", level, 0, 255)]))
            case KeyPressed(address, CallerKey.CONFIRM, digit):
                if digit in CONFIRM_DIGITS:
                    raise ValueError(f"ft12: confirm after {digit} is {CONFIRM_DIGITS[digit].value}; send that key")
                prefix = b"" if digit is None else bytes([check_range("digit", digit, 0, 9)])
                return frame(address, F_KEY, prefix + bytes([CONFIRM]))
            case KeyPressed(address, key, None):
                return frame(address, F_KEY, _KEY_BYTES[key])
        raise ValueError(f"ft12 cannot send {answer!r}")
