"""Property tests for every window-bus profile: fuzzing, chunking, round trips (both roles)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.sansio import feed
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
)
from drivers.windowbus.ft12 import CONFIRM_DIGITS, EVALUATE
from drivers.windowbus.profiles import PROFILES, make_codec

FAST = settings(max_examples=150, deadline=None)

ft12_address = st.integers(1, 255)
ft12_digits = st.none() | st.integers(0, 999)
ft12_commands = st.one_of(
    st.builds(Poll, ft12_address), st.builds(Beep, ft12_address), st.builds(StartRating, ft12_address),
    st.builds(AckRating, ft12_address, st.integers(0, 255).filter(lambda v: v != EVALUATE)),
    st.builds(ShowNumber, ft12_address, ft12_digits, ft12_digits),
)
plain_keys = st.sampled_from([k for k in CallerKey if k is not CallerKey.CONFIRM])
ft12_answers = st.one_of(
    st.just("ack"),
    st.builds(lambda key: ("key", key, None), plain_keys),
    st.builds(lambda d: ("key", CallerKey.CONFIRM, d),
              st.none() | st.integers(0, 9).filter(lambda d: d not in CONFIRM_DIGITS)),
    st.builds(lambda level: ("rating", level), st.integers(0, 255)),
)
modbus_address = st.integers(1, 247)
modbus_commands = st.one_of(
    st.builds(Poll, modbus_address),
    st.builds(lambda a, n, d: ShowNumber(a, n, decimals=d), modbus_address, st.integers(0, 0xFFFF), st.integers(0, 4)),
    st.builds(ShowText, modbus_address, st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)),
)
modbus_answers = st.one_of(st.just("ack"), st.builds(lambda code: ("nak", code), st.integers(0, 255)))
HOST_MESSAGES = {"ft12": ft12_commands, "modbus": modbus_commands}
ANSWERS = {"ft12": ft12_answers, "modbus": modbus_answers}


def answer_for(kind: object, address: int) -> object:
    match kind:
        case "ack":
            return Ack(address)
        case ("key", key, digit):
            return KeyPressed(address, key, digit)
        case ("rating", level):
            return RatingPressed(address, level)
        case ("nak", code):
            return Nak(address, code)
    raise AssertionError(kind)


def drain(codec: BusCodec, chunks: list[bytes]) -> list[object]:
    """Everything the codec makes of `chunks`: messages and the names of errors, in order."""
    out: list[object] = []
    for chunk in chunks:
        for event in feed(codec, chunk, lambda exc: out.append(type(exc).__name__)):
            out.append(event)
    return out


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("role", list(Side))
@FAST
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_only_ever_raise_the_codec_error(profile: str, role: Side, data: bytes) -> None:
    codec = make_codec(profile, role)
    events = drain(codec, [data])
    assert codec.garbage_bytes <= len(data)
    assert codec.frames_ok == sum(1 for e in events if not isinstance(e, str))


@pytest.mark.parametrize("profile", list(PROFILES))
@FAST
@given(data=st.data())
def test_any_chunking_gives_the_same_frames(profile: str, data: st.DataObject) -> None:
    commands = data.draw(st.lists(HOST_MESSAGES[profile], max_size=6))
    noise = data.draw(st.lists(st.binary(max_size=12), min_size=len(commands) + 1, max_size=len(commands) + 1))
    master = make_codec(profile, Side.HOST)
    stream = noise[0] + b"".join(master.send(c) + n for c, n in zip(commands, noise[1:]))
    cuts = data.draw(st.lists(st.integers(0, 10_000), max_size=20))
    whole, chunked = make_codec(profile, Side.DEVICE), make_codec(profile, Side.DEVICE)
    assert drain(chunked, split(stream, cuts)) == drain(whole, [stream])
    assert (chunked.garbage_bytes, chunked.frames_ok, chunked.frames_bad) == \
        (whole.garbage_bytes, whole.frames_ok, whole.frames_bad)
    if not any(noise):
        assert drain(make_codec(profile, Side.DEVICE), [stream]) == commands


@pytest.mark.parametrize("profile", list(PROFILES))
@FAST
@given(data=st.data())
def test_round_trip_command_then_answer(profile: str, data: st.DataObject) -> None:
    command = data.draw(HOST_MESSAGES[profile])
    master, device = make_codec(profile, Side.HOST), make_codec(profile, Side.DEVICE)
    assert drain(device, [master.send(command)]) == [command]
    kind = data.draw(ANSWERS[profile])
    if profile == "modbus" and kind == "ack" and isinstance(command, Poll):  # a display answers a poll with data
        answer: object = Registers(command.address, data.draw(st.binary(min_size=4, max_size=4)))
    else:
        answer = answer_for(kind, command.address)
    assert drain(master, [device.send(answer)]) == [answer]
