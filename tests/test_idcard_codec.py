"""The GA 467 frame codec: every vector of devices.md §1 both ways, faults, and properties."""
from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ProtocolError
from core.sansio import BadChecksum, BadCommand, BadLength, BadReply, feed
from drivers.idcard.codec import (
    AddressReply,
    Baud,
    DeviceCodec,
    HostCodec,
    ReadReply,
    SamCommand,
    SamId,
    SamIdReply,
    SamOp,
    SamReply,
    SamStatus,
    answer_to,
    encode_frame,
    wire_time,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


COMMAND_VECTORS = {
    SamOp.FIND: "AA AA AA 96 69 00 03 20 01 22",
    SamOp.SELECT: "AA AA AA 96 69 00 03 20 02 21",
    SamOp.READ: "AA AA AA 96 69 00 03 30 01 32",
    SamOp.SAM_STATUS: "AA AA AA 96 69 00 03 11 FF ED",
    SamOp.RESET_SAM: "AA AA AA 96 69 00 03 10 FF EC",
    SamOp.SAM_ID: "AA AA AA 96 69 00 03 12 FF EE",
}

REPLY_VECTORS = [  # (command answered, reply, bytes)
    (SamOp.FIND, SamReply(SamStatus.CARD_FOUND, bytes(4), SamOp.FIND), "AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97"),
    (SamOp.FIND, SamReply(SamStatus.NO_CARD, op=SamOp.FIND), "AA AA AA 96 69 00 04 00 00 80 84"),
    (SamOp.SELECT, SamReply(SamStatus.OK, bytes(8), SamOp.SELECT), "AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C"),
    (SamOp.SELECT, SamReply(SamStatus.SELECT_FAILED, op=SamOp.SELECT), "AA AA AA 96 69 00 04 00 00 81 85"),
    (SamOp.READ, SamReply(SamStatus.READ_FAILED, op=SamOp.READ), "AA AA AA 96 69 00 04 00 00 41 45"),
    (SamOp.SAM_STATUS, SamReply(SamStatus.OK, op=SamOp.SAM_STATUS), "AA AA AA 96 69 00 04 00 00 90 94"),
]


def drain(conn: HostCodec | DeviceCodec, *chunks: bytes) -> list[object]:
    """Feed chunks one by one, collecting frames and (by type and message) errors."""
    out: list[object] = []
    for chunk in chunks:
        for event in feed(conn, chunk, lambda exc: out.append((type(exc).__name__, str(exc)))):
            out.append(event)
    return out


@pytest.mark.parametrize("op", list(COMMAND_VECTORS))
def test_command_vectors_both_ways(op: SamOp) -> None:
    assert HostCodec().send(SamCommand(op)) == h(COMMAND_VECTORS[op])
    assert drain(DeviceCodec(), h(COMMAND_VECTORS[op])) == [SamCommand(op)]


@pytest.mark.parametrize(("op", "reply", "wire"), REPLY_VECTORS)
def test_reply_vectors_both_ways(op: SamOp, reply: SamReply, wire: str) -> None:
    assert DeviceCodec().send(reply) == h(wire)
    host = HostCodec()
    host.send(SamCommand(op))
    assert drain(host, h(wire)) == [reply]


def test_read_reply_is_a_1295_byte_frame() -> None:
    text, photo = bytes(range(256)), bytes(1024)
    wire = DeviceCodec().send(ReadReply.build(text, photo))
    assert len(wire) == 1295 == SamOp.READ.reply_size
    assert wire[:14] == h("AA AA AA 96 69 05 08 00 00 90 01 00 04 00")
    host = HostCodec()
    host.send(SamCommand(SamOp.READ))
    [reply] = drain(host, wire)
    assert isinstance(reply, ReadReply) and reply.op is SamOp.READ
    assert (reply.text, reply.photo, reply.fingerprint) == (text, photo, None)


def test_read_with_fingerprint_is_a_2321_byte_frame() -> None:
    text, photo, finger = b"t" * 256, b"p" * 1024, b"f" * 1024
    wire = DeviceCodec().send(ReadReply.build(text, photo, finger))
    assert len(wire) == 2321 == SamOp.READ_FINGERPRINT.reply_size
    assert wire[10:16] == h("01 00 04 00 04 00")
    host = HostCodec()
    assert host.send(SamCommand(SamOp.READ_FINGERPRINT))[7:9] == h("30 10")
    [reply] = drain(host, wire)
    assert isinstance(reply, ReadReply) and reply.fingerprint == finger and reply.photo == photo


def test_sam_id_reply_is_five_little_endian_numbers() -> None:
    sam = SamId(5, 1, 20230615, 123456, 3000001234)
    wire = DeviceCodec().send(SamIdReply.build(sam))
    assert wire[10:26] == struct.pack("<HHIII", 5, 1, 20230615, 123456, 3000001234)
    host = HostCodec()
    host.send(SamCommand(SamOp.SAM_ID))
    [reply] = drain(host, wire)
    assert isinstance(reply, SamIdReply) and reply.sam_id == sam
    assert str(sam) == "05.01-20230615-0000123456-3000001234"


def test_appended_address_and_none() -> None:
    host = HostCodec()
    host.send(SamCommand(SamOp.READ_NEW_ADDRESS))
    host.send(SamCommand(SamOp.READ_NEW_ADDRESS))
    reader = DeviceCodec()
    wire = reader.send(SamReply(SamStatus.OK, "杭州市西湖区".encode("utf-16-le"))) + reader.send(SamReply(SamStatus.NO_CONTENT))
    first, second = drain(host, wire)
    assert isinstance(first, AddressReply) and first.address == "杭州市西湖区"
    assert second == SamReply(SamStatus.NO_CONTENT, op=SamOp.READ_NEW_ADDRESS)


@pytest.mark.parametrize("baud", list(Baud))
def test_baud_command_60_nn(baud: Baud) -> None:
    wire = HostCodec().send(SamCommand(SamOp.SET_BAUD, baud))
    assert wire[5:9] == h(f"00 03 60 {baud:02X}") and wire[-1] == 0x03 ^ 0x60 ^ baud
    assert drain(DeviceCodec(), wire) == [SamCommand(SamOp.SET_BAUD, baud)]
    assert [b.rate for b in Baud] == [115200, 57600, 38400, 19200, 9600]


def test_every_status_code_is_listed() -> None:
    listed = {0x90, 0x9F, 0x91, 0x10, 0x11, 0x21, 0x23, 0x24, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47,
              0x60, 0x66, 0x80, 0x81}
    assert {int(s) for s in SamStatus} == listed


def test_wire_time_of_a_read_reply() -> None:
    assert wire_time(1295, 115200) == pytest.approx(0.1124, abs=1e-4)
    assert wire_time(1295, 9600) == pytest.approx(1.349, abs=1e-3)


def test_garbage_before_a_preamble_is_skipped_and_counted() -> None:
    reader = DeviceCodec()
    assert drain(reader, b"\x00\x13noise\xaa\xaa", h(COMMAND_VECTORS[SamOp.FIND])) == [SamCommand(SamOp.FIND)]
    assert reader.garbage_bytes == 9


def test_bad_checksum_raises_then_resyncs() -> None:
    host = HostCodec()
    host.send(SamCommand(SamOp.FIND))
    bad = h("AA AA AA 96 69 00 04 00 00 80 85")
    events = drain(host, bad + h(REPLY_VECTORS[1][2]))
    assert [type(e) for e in events] == [tuple, SamReply]
    assert events[0][0] == "BadChecksum" and events[1] == SamReply(SamStatus.NO_CARD, op=SamOp.FIND)


def test_bad_length_raises_and_a_frame_inside_is_still_found() -> None:
    reader = DeviceCodec()
    inner = h(COMMAND_VECTORS[SamOp.SELECT])
    events = drain(reader, h("AA AA AA 96 69 FF FF") + inner)
    assert events[0][0] == "BadLength" and events[-1] == SamCommand(SamOp.SELECT)
    # a frame whose length swallows the next one: checksum fails, the inner frame survives
    events = drain(DeviceCodec(), h("AA AA AA 96 69 00 03") + inner)
    assert [e[0] for e in events[:-1]] == ["BadChecksum"] and events[-1] == SamCommand(SamOp.SELECT)


def test_unknown_command_is_typed_and_the_stream_goes_on() -> None:
    reader = DeviceCodec()
    unknown = h("AA AA AA 96 69 00 03 55 01") + bytes([0x03 ^ 0x55 ^ 0x01])
    events = drain(reader, unknown + h(COMMAND_VECTORS[SamOp.READ]))
    assert events[0][0] == "BadCommand" and events[1] == SamCommand(SamOp.READ)


def test_reply_faults_are_protocol_errors() -> None:
    host = HostCodec()
    with pytest.raises(BadReply):  # nothing outstanding
        host.receive_data(h(REPLY_VECTORS[1][2]))
        host.next_event()
    host.send(SamCommand(SamOp.FIND))
    host.receive_data(encode_frame(h("00 00 95")))
    with pytest.raises(BadReply):  # 95 is no status
        host.next_event()
    host.send(SamCommand(SamOp.READ))
    host.receive_data(DeviceCodec().send(SamReply(SamStatus.OK, h("01 00 04 00") + bytes(10))))
    with pytest.raises(BadLength):  # sections do not fill the payload
        host.next_event()
    for error in (BadChecksum, BadLength, BadCommand, BadReply):
        assert issubclass(error, ProtocolError)
    assert [answer_to(error("x")) for error in (BadChecksum, BadLength, BadCommand, BadReply)] == [
        SamStatus.CHECKSUM_ERROR, SamStatus.LENGTH_ERROR, SamStatus.BAD_COMMAND, SamStatus.UNKNOWN_ERROR]


def test_reset_forgets_a_half_frame_and_outstanding_commands() -> None:
    host = HostCodec()
    host.send(SamCommand(SamOp.FIND))
    host.receive_data(h(REPLY_VECTORS[0][2])[:6])
    host.reset()
    host.send(SamCommand(SamOp.SELECT))
    assert drain(host, h(REPLY_VECTORS[2][2])) == [REPLY_VECTORS[2][1]]


# ---- properties ---------------------------------------------------------------------
OPS = [op for op in SamOp if op is not SamOp.SET_BAUD]
commands = st.one_of(st.sampled_from([SamCommand(op) for op in OPS]),
                     st.sampled_from(list(Baud)).map(lambda b: SamCommand(SamOp.SET_BAUD, b)))
plain_replies = st.builds(
    SamReply,
    st.sampled_from([s for s in SamStatus if s is not SamStatus.OK]),
    st.binary(max_size=40),
    st.sampled_from(list(SamOp)),
) | st.builds(lambda op, data: SamReply(SamStatus.OK, data, op),
              st.sampled_from([SamOp.RESET_SAM, SamOp.SAM_STATUS, SamOp.FIND, SamOp.SELECT, SamOp.SET_BAUD]),
              st.binary(max_size=40))
typed_replies = st.one_of(
    st.builds(lambda *n: SamIdReply.build(SamId(*n)), *[st.integers(0, 0xFFFF)] * 2, *[st.integers(0, 2**32 - 1)] * 3),
    st.builds(ReadReply.build, st.binary(max_size=300), st.binary(max_size=1100),
              st.none() | st.binary(max_size=900)),
    st.builds(lambda t: AddressReply(SamStatus.OK, t.encode("utf-16-le"), SamOp.READ_NEW_ADDRESS),
              st.text(st.characters(max_codepoint=0xD7FF), max_size=35)),
)
replies = plain_replies | typed_replies


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.sampled_from(list(SamOp)), max_size=8))
def test_arbitrary_bytes_only_raise_the_codec_error(data: bytes, pending: list[SamOp]) -> None:
    host, reader = HostCodec(), DeviceCodec()
    for op in pending:
        host.send(SamCommand(op, Baud.B9600 if op is SamOp.SET_BAUD else None))
    for conn in (host, reader):
        for event in drain(conn, data, data[::-1], b"\xaa\xaa\xaa\x96\x69" + data):
            assert isinstance(event, (SamReply, SamCommand, tuple))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=12), replies), min_size=1, max_size=6), st.data())
def test_any_chunking_yields_the_same_replies(items: list[tuple[bytes, SamReply]], data: st.DataObject) -> None:
    reader = DeviceCodec()
    stream = b"".join(noise + reader.send(reply) for noise, reply in items)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]

    def run(*parts: bytes) -> tuple[list[object], int]:
        host = HostCodec()
        for _, reply in items:
            host.send(SamCommand(reply.op, Baud.B9600 if reply.op is SamOp.SET_BAUD else None))
        return drain(host, *parts), host.garbage_bytes

    whole, chunked = run(stream), run(*chunks)
    assert whole == chunked
    if not any(b"\xaa" in noise for noise, _ in items):  # noise that cannot fake a frame
        assert whole == ([r for _, r in items], sum(len(n) for n, _ in items))


@settings(max_examples=200, deadline=None)
@given(st.lists(commands, max_size=10))
def test_commands_round_trip(sent: list[SamCommand]) -> None:
    host = HostCodec()
    assert drain(DeviceCodec(), b"".join(host.send(c) for c in sent)) == sent


@settings(max_examples=200, deadline=None)
@given(replies)
def test_replies_round_trip(reply: SamReply) -> None:
    host = HostCodec()
    host.send(SamCommand(reply.op, Baud.B9600 if reply.op is SamOp.SET_BAUD else None))
    assert drain(host, DeviceCodec().send(reply)) == [reply]
