"""Every window-bus vector of devices.md §3, in both directions, plus framing errors and resync."""
from __future__ import annotations

import pytest

from core.sansio import NEED_DATA, BadChecksum, BadLength, feed, reraise
from drivers.windowbus.codec import (
    Ack,
    AckRating,
    Beep,
    BusCodec,
    CallerKey,
    KeyPressed,
    Nak,
    Poll,
    RatingPressed,
    Registers,
    ShowNumber,
    ShowText,
    Side,
    StartRating,
    Unsupported,
)
from drivers.windowbus.modbus import crc16
from drivers.windowbus.profiles import make_codec

h = bytes.fromhex


def decode(codec: BusCodec, data: bytes) -> list[object]:
    return list(feed(codec, data, reraise))


def answered(profile: str, request: object) -> BusCodec:
    """A device-side codec that has just received `request` from the master."""
    device = make_codec(profile, Side.DEVICE)
    assert decode(device, make_codec(profile, Side.HOST).send(request)) == [request]
    return device


# ---- FT1.2-style bus ------------------------------------------------------------------
FT12_TICKET = h("FF 68 08 08 68 01 02 0A 0A 0A 00 00 01 22 16")
FT12_BEEP = h("FF 68 02 02 68 01 03 04 16")
FT12_RATING_KEY = h("FF 68 03 03 68 01 11 02 14 16")


@pytest.mark.parametrize("command, wire", [
    (ShowNumber(1, 1), FT12_TICKET),
    (Beep(1), FT12_BEEP),
    (StartRating(1), h("FF 68 03 03 68 01 01 0B 0D 16")),
    (AckRating(1, 2), h("FF 68 03 03 68 01 01 02 04 16")),
])
def test_ft12_master_frames_match_the_vectors_and_decode_on_the_device(command: object, wire: bytes) -> None:
    assert make_codec("ft12", Side.HOST).send(command) == wire
    assert decode(make_codec("ft12", Side.DEVICE), wire) == [command]


def test_ft12_rating_key_vector_both_ways_and_its_ack_echoes_the_data() -> None:
    device = answered("ft12", Poll(1))
    assert device.send(RatingPressed(1, 2)) == FT12_RATING_KEY
    assert decode(make_codec("ft12", Side.HOST), FT12_RATING_KEY) == [RatingPressed(1, 2)]
    ack = make_codec("ft12", Side.HOST).send(AckRating(1, 2))
    assert ack[5:8] == bytes([1, 0x01, 0x02])  # FUNC 01 with the same data


@pytest.mark.parametrize("data, key, digit", [
    ("0C", CallerKey.CALL, None), ("0D", CallerKey.RECALL, None), ("0B", CallerKey.EVALUATE, None),
    ("12", CallerKey.PAUSE, None), ("13", CallerKey.TRANSFER, None), ("0F", CallerKey.CONFIRM, None),
    ("06 0F", CallerKey.GIVE_UP, None), ("00 0F", CallerKey.HOLD, None), ("03 0F", CallerKey.CALL_BACK, None),
    ("05 0F", CallerKey.CONFIRM, 5),
])
def test_ft12_caller_key_codes_both_ways(data: str, key: CallerKey, digit: int | None) -> None:
    body = bytes([7, 0x12]) + h(data)
    wire = bytes([0xFF, 0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])
    assert decode(make_codec("ft12", Side.HOST), wire) == [KeyPressed(7, key, digit)]
    assert answered("ft12", Poll(7)).send(KeyPressed(7, key, digit)) == wire


def test_ft12_waiting_count_and_blank_digits() -> None:
    master = make_codec("ft12", Side.HOST)
    assert master.send(ShowNumber(3, 17, 4))[6:13] == h("02 00 00 04 00 01 07")
    assert master.send(ShowNumber(3, None))[7:13] == bytes([0x0A] * 6)
    with pytest.raises(ValueError):
        master.send(ShowNumber(3, 1000))
    with pytest.raises(ValueError):
        master.send(ShowText(3, "A001"))  # the caller's screen shows digits only


def test_ft12_poll_and_short_ack_are_distinct_frames() -> None:
    poll = make_codec("ft12", Side.HOST).send(Poll(3))
    assert poll == h("FF 68 02 02 68 03 10 13 16")
    ack = answered("ft12", Poll(3)).send(Ack(3))
    assert ack == h("FF 68 02 02 68 03 00 03 16")
    with pytest.raises(Unsupported):
        decode(make_codec("ft12", Side.HOST), poll)  # our own frame is never taken for an answer


def test_ft12_garbage_before_the_start_is_skipped_and_counted_but_not_the_preamble() -> None:
    master = make_codec("ft12", Side.HOST)
    noise = b"\x01\x02\xff\x03" + h("68 03 04 68")  # the second part is a stray 68 with a bad header
    assert decode(master, noise + FT12_RATING_KEY + FT12_RATING_KEY[1:]) == [RatingPressed(1, 2)] * 2
    assert master.garbage_bytes == 8  # all of the noise; the FF right before a frame's 68 is its preamble
    assert master.frames_ok == 2


@pytest.mark.parametrize("bad, error", [
    (FT12_RATING_KEY[:8] + b"\x15\x16", BadChecksum),
    (h("FF 68 01 01 68 01 01 16"), BadLength),
    (FT12_RATING_KEY[:9] + b"\x17", BadLength),
])
def test_ft12_bad_frames_raise_typed_errors_then_resync(bad: bytes, error: type) -> None:
    master = make_codec("ft12", Side.HOST)
    master.receive_data(bad + FT12_RATING_KEY)
    with pytest.raises(error):
        master.next_event()
    assert master.next_event() == RatingPressed(1, 2)
    assert master.next_event() is NEED_DATA
    assert master.frames_bad == 1


def test_ft12_good_frame_inside_a_bad_one_is_still_found() -> None:
    # a header that announces 9 bytes swallows the real frame; rescanning finds it
    master = make_codec("ft12", Side.HOST)
    master.receive_data(h("68 09 09 68") + FT12_RATING_KEY + b"\x00\x00")
    with pytest.raises(BadChecksum):
        master.next_event()
    assert master.next_event() == RatingPressed(1, 2)


# ---- Modbus RTU display ---------------------------------------------------------------
MB_NUMBER = h("01 10 00 90 00 02 04 00 02 01 EA DB 1C")
MB_NUMBER_REPLY = h("01 10 00 90 00 02 41 E5")
MB_TEXT = h("01 10 00 70 00 06 0C 50 32 2E 33 00 00 00 00 00 00 00 00 3B 25")
MB_TEXT_REPLY = h("01 10 00 70 00 06 41 D0")


@pytest.mark.parametrize("command, wire, reply", [
    (ShowNumber(1, 490, decimals=2), MB_NUMBER, MB_NUMBER_REPLY),
    (ShowText(1, "P2.3"), MB_TEXT, MB_TEXT_REPLY),
])
def test_modbus_vectors_and_replies_both_ways(command: object, wire: bytes, reply: bytes) -> None:
    assert make_codec("modbus", Side.HOST).send(command) == wire
    device = make_codec("modbus", Side.DEVICE)
    assert decode(device, wire) == [command]
    assert device.send(Ack(1)) == reply
    assert decode(make_codec("modbus", Side.HOST), reply) == [Ack(1)]


def test_modbus_crc_matches_the_vectors() -> None:
    for frame in (MB_NUMBER, MB_NUMBER_REPLY, MB_TEXT, MB_TEXT_REPLY):
        assert crc16(frame[:-2]).to_bytes(2, "little") == frame[-2:]


def test_modbus_poll_reads_the_number_field_and_exceptions_become_naks() -> None:
    assert make_codec("modbus", Side.HOST).send(Poll(1)) == h("01 03 00 90 00 02 C4 26")
    device = answered("modbus", Poll(1))
    reply = device.send(Registers(1, h("00 02 01 EA")))
    assert reply == h("01 03 04 00 02 01 EA DB EC")
    assert decode(make_codec("modbus", Side.HOST), reply) == [Registers(1, h("00 02 01 EA"))]
    assert decode(make_codec("modbus", Side.HOST), device.send(Nak(1, 2))) == [Nak(1, 2)]


def test_modbus_refuses_what_a_display_cannot_show() -> None:
    master = make_codec("modbus", Side.HOST)
    for command in (ShowNumber(1, 5, waiting=3), ShowNumber(1, None), ShowText(1, "请A001"),
                    ShowText(1, "X" * 13), Beep(1), StartRating(1)):
        with pytest.raises(ValueError):
            master.send(command)


def test_modbus_bad_crc_is_a_typed_error_and_the_next_frame_still_decodes() -> None:
    master = make_codec("modbus", Side.HOST)
    master.receive_data(b"\xf0\x00" + MB_TEXT_REPLY[:-1] + b"\x00" + MB_NUMBER_REPLY)
    with pytest.raises(BadChecksum):
        master.next_event()
    assert master.next_event() == Ack(1)
    assert master.garbage_bytes >= 2


def test_modbus_write_with_inconsistent_byte_count_is_a_length_error() -> None:
    device = make_codec("modbus", Side.DEVICE)
    device.receive_data(MB_NUMBER[:6] + b"\x05" + MB_NUMBER[7:])
    with pytest.raises(BadLength):
        device.next_event()


def test_modbus_unknown_register_is_unsupported_after_the_frame_is_consumed() -> None:
    device = make_codec("modbus", Side.DEVICE)
    body = h("01 10 00 A0 00 01 02 00 07")
    device.receive_data(body + crc16(body).to_bytes(2, "little") + MB_TEXT)
    with pytest.raises(Unsupported):
        device.next_event()
    assert device.next_event() == ShowText(1, "P2.3")
