"""Modbus RTU LED displays: one unit per address, a 12-character text field and a number field.

Function 10 (write multiple registers) puts 12 ASCII bytes at register 0x0070, or
(decimals, value) at 0x0090. The poll is function 03 reading the number field back: these
displays have no keys, so the poll only proves the unit is alive (see docs/protocols.md,
"Window bus"). RTU has no start byte; without the 3.5-character silence (a codec has no
clock) frames are found by their function's known length and a good CRC, sliding one byte
at a time past anything else, as Modbus RTU framers do.
"""
from __future__ import annotations

import struct

from core.sansio import BadChecksum, BadLength
from drivers.windowbus.codec import (
    Ack,
    BusCodec,
    DeviceMessage,
    HostMessage,
    Message,
    Nak,
    Poll,
    Registers,
    ShowNumber,
    ShowText,
    Side,
    Span,
    Unsupported,
    check_range,
)

FC_READ, FC_WRITE, FC_ERROR = 0x03, 0x10, 0x80
REG_TEXT, TEXT_BYTES = 0x0070, 12
REG_NUMBER = 0x0090  # two registers: decimals, value


def crc16(data: bytes) -> int:
    """Modbus CRC-16 (poly 0xA001 reflected, init 0xFFFF); sent low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def adu(address: int, pdu: bytes) -> bytes:
    body = bytes([check_range("address", address, 1, 247)]) + pdu
    return body + crc16(body).to_bytes(2, "little")


def _write(address: int, register: int, payload: bytes) -> bytes:
    return adu(address, struct.pack(">BHHB", FC_WRITE, register, len(payload) // 2, len(payload)) + payload)


def _text(raw: bytes) -> str:
    text = raw.rstrip(b"\0")
    if any(not 0x20 <= b <= 0x7E for b in text):
        raise Unsupported(f"modbus: display text {raw.hex(' ')} is not printable ASCII")
    return text.decode("ascii")


class ModbusCodec(BusCodec):
    profile = "modbus"
    unit = "screen"
    commands = frozenset({Poll, ShowNumber, ShowText})
    answers = frozenset({Ack, Registers, Nak})
    shows_waiting = False

    # ---- framing ----------------------------------------------------------------------
    def _size(self, buf: bytearray) -> int | Span | None:
        """The frame length the head of `buf` announces, a Span for garbage/bad length, None = more."""
        if len(buf) < 2:
            return None
        if not 1 <= buf[0] <= 247:
            return Span(garbage=1)
        func = buf[1]
        if self.side is Side.HOST:  # answers from units
            if func == FC_WRITE:
                return 8
            if func == FC_READ:
                return 5 + buf[2] if len(buf) >= 3 else None
            if func in (FC_ERROR | FC_READ, FC_ERROR | FC_WRITE):
                return 5
            return Span(garbage=1)
        if func == FC_READ:  # requests from the master
            return 8
        if func == FC_WRITE:
            if len(buf) < 7:
                return None
            _, count, nbytes = struct.unpack_from(">HHB", buf, 2)
            if nbytes != 2 * count or not 1 <= count <= 123:
                return Span(size=1, error=BadLength(f"modbus: {count} registers but {nbytes} bytes"))
            return 9 + int(nbytes)
        return Span(garbage=1)

    def _span(self, buf: bytearray) -> Span | None:
        size = self._size(buf)
        if size is None or isinstance(size, Span):
            return size
        if len(buf) < size:
            return None
        got, want = int.from_bytes(buf[size - 2:size], "little"), crc16(bytes(buf[:size - 2]))
        if got != want:
            return Span(size=1, error=BadChecksum(f"modbus: CRC {got:04X}, computed {want:04X}"))
        return Span(size=size)

    # ---- meaning ----------------------------------------------------------------------
    def _decode(self, frame: bytes) -> Message:
        address, func, pdu = frame[0], frame[1], frame[2:-2]
        if self.side is Side.HOST:
            if func == FC_WRITE:
                return Ack(address)
            if func == FC_READ:
                return Registers(address, pdu[1:])
            return Nak(address, pdu[0])
        if func == FC_READ:
            register, count = struct.unpack(">HH", pdu)
            if (register, count) == (REG_NUMBER, 2):
                return Poll(address)
            raise Unsupported(f"modbus: read of {count} registers at {register:04X}")
        register, count = struct.unpack_from(">HH", pdu)
        data = pdu[5:]
        if (register, count) == (REG_TEXT, TEXT_BYTES // 2):
            return ShowText(address, _text(data))
        if (register, count) == (REG_NUMBER, 2):
            decimals, value = struct.unpack(">HH", data)
            return ShowNumber(address, value, decimals=decimals)
        raise Unsupported(f"modbus: write of {count} registers at {register:04X}")

    def _encode_command(self, command: HostMessage) -> bytes:
        match command:
            case Poll(address):
                return adu(address, struct.pack(">BHH", FC_READ, REG_NUMBER, 2))
            case ShowText(address, text):
                if len(text) > TEXT_BYTES or not all(" " <= c <= "~" for c in text):
                    raise ValueError(f"modbus: display text must be up to {TEXT_BYTES} printable ASCII "
                                     f"characters: {text!r}")
                return _write(address, REG_TEXT, text.encode("ascii").ljust(TEXT_BYTES, b"\0"))
            case ShowNumber(address, number, None, decimals) if number is not None:
                payload = struct.pack(">HH", check_range("decimals", decimals, 0, 4),
                                      check_range("number", number, 0, 0xFFFF))
                return _write(address, REG_NUMBER, payload)
        raise ValueError(f"modbus display cannot show {command!r} (one number, no waiting count, no blank)")

    def _encode_answer(self, answer: DeviceMessage, request: HostMessage | None) -> bytes:
        match answer, request:
            case Ack(address), ShowText():
                return adu(address, struct.pack(">BHH", FC_WRITE, REG_TEXT, TEXT_BYTES // 2))
            case Ack(address), ShowNumber():
                return adu(address, struct.pack(">BHH", FC_WRITE, REG_NUMBER, 2))
            case Registers(address, data), Poll() if len(data) == 4:
                return adu(address, bytes([FC_READ, 4]) + data)
            case Nak(address, code), Poll() | ShowText() | ShowNumber():
                func = FC_READ if isinstance(request, Poll) else FC_WRITE
                return adu(address, bytes([FC_ERROR | func, check_range("exception code", code, 0, 255)]))
        raise ValueError(f"modbus: cannot answer {request!r} with {answer!r}")
