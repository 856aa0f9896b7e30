"""The ESC/POS codec against the vectors of devices.md §2, plus properties of the device side."""
from __future__ import annotations

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from core.devstate import DeviceState, Reason
from core.errors import ProtocolError
from core.sansio import NEED_DATA, BadCommand, BadReply, CodecError
from drivers.printer.codec import (
    ERROR_CAUSE,
    OFFLINE_CAUSE,
    PAPER,
    PAPER_SENSOR,
    PRINTER,
    Align,
    ChineseMode,
    CodePage,
    Cut,
    DeviceCodec,
    Feed,
    HostCodec,
    Ignored,
    Init,
    PrinterStatus,
    QrErrorLevel,
    QrModel,
    QrPrint,
    QrSize,
    QrStore,
    Raster,
    StatusQuery,
    StatusReply,
    Style,
    Text,
    Unknown,
)

QR_A001 = bytes.fromhex("1D286B0400314132001D286B03003143061D286B03003145311D286B070031503041303031"
                        "1D286B0300315130")
CUT = bytes.fromhex("1B64061D5600")
TEXT_GB18030 = bytes.fromhex("C7EB41303031BAC5B5BD33BAC5B4B0BFDAB0ECC0ED0A")


def events(data: bytes, codec: DeviceCodec | None = None) -> list[object]:
    """Every event (and every error, by type and bytes) the device side makes of `data`."""
    codec = codec or DeviceCodec()
    codec.receive_data(data)
    out: list[object] = []
    while True:
        try:
            event = codec.next_event()
        except CodecError as exc:
            out.append((type(exc).__name__, exc.data))
            continue
        if event is NEED_DATA:
            return out
        out.append(event)


def host_replies(queries: list[StatusQuery], answer: bytes) -> list[StatusReply]:
    host = HostCodec()
    for q in queries:
        host.send(q)
    host.receive_data(answer)
    replies = []
    while (event := host.next_event()) is not NEED_DATA:
        replies.append(event)
    return replies


# ---- python-escpos vectors ------------------------------------------------------------------
def test_python_escpos_vectors_of_devices_md() -> None:
    p = Dummy()
    p.qr("A001", native=True, size=6, ec=1)
    assert p.output == QR_A001
    p = Dummy()
    p.cut()
    assert p.output == CUT
    p = Dummy()
    p.text("请A001号到3号窗口办理\n")
    assert p.output == TEXT_GB18030


def test_python_escpos_gets_punctuation_only_cjk_wrong() -> None:
    """The reason drivers/printer/render.py writes its own text path (devices.md §2)."""
    p = Dummy()
    p.text("（A001）\n")
    assert b"?A001?" in p.output
    assert "（A001）\n".encode("gb18030") not in p.output


def test_device_side_reads_the_vectors() -> None:
    assert events(QR_A001) == [QrModel(2), QrSize(6), QrErrorLevel("M"), QrStore(b"A001"), QrPrint()]
    assert events(CUT) == [Feed(lines=6), Cut(partial=False)]
    assert events(TEXT_GB18030) == [Text("请A001号到3号窗口办理"), Feed(lines=1)]


# ---- status vectors ---------------------------------------------------------------------------
def test_status_query_bytes() -> None:
    assert [q.encode() for q in (PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER)] == [
        b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03", b"\x10\x04\x04"]
    assert PAPER_SENSOR.encode() == bytes.fromhex("1D7201")


def test_idle_status_is_0x12_everywhere() -> None:
    replies = host_replies([PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER], b"\x12" * 4)
    status = PrinterStatus.from_replies(replies)
    assert status == PrinterStatus()
    assert status.condition().state is DeviceState.ONLINE
    assert [status.reply(q) for q in (PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER)] == [b"\x12"] * 4


@pytest.mark.parametrize("query, byte, flags", [
    (PRINTER, 0x1A, {"online": False}),
    (OFFLINE_CAUSE, 0x16, {"cover_open": True}),
    (OFFLINE_CAUSE, 0x1A, {"fed_by_button": True}),
    (OFFLINE_CAUSE, 0x32, {"paper_end": True}),
    (OFFLINE_CAUSE, 0x52, {"error": True}),
    (ERROR_CAUSE, 0x1A, {"cutter_error": True, "error": True}),
    (ERROR_CAUSE, 0x32, {"unrecoverable_error": True, "error": True}),
    (ERROR_CAUSE, 0x52, {"auto_recoverable_error": True, "error": True}),
    (PAPER, 0x1E, {"paper_near_end": True}),
    (PAPER, 0x72, {"paper_end": True}),
    (PAPER_SENSOR, 0x03, {"paper_near_end": True}),
    (PAPER_SENSOR, 0x0C, {"paper_end": True}),
    (PAPER_SENSOR, 0x00, {}),
])
def test_status_bits(query: StatusQuery, byte: int, flags: dict[str, bool]) -> None:
    status = PrinterStatus.from_replies(host_replies([query], bytes((byte,))))
    assert status == PrinterStatus(**flags)
    assert status.reply(query) == bytes((byte,))


@pytest.mark.parametrize("status, state, reason", [
    (PrinterStatus(paper_near_end=True), DeviceState.DEGRADED, Reason.PAPER_LOW),
    (PrinterStatus(online=False, paper_end=True, paper_near_end=True), DeviceState.OFFLINE, Reason.PAPER_OUT),
    (PrinterStatus(online=False, cover_open=True, paper_end=True), DeviceState.OFFLINE, Reason.COVER_OPEN),
    (PrinterStatus(online=False, error=True, cutter_error=True), DeviceState.OFFLINE, Reason.CUTTER_ERROR),
    (PrinterStatus(online=False, error=True), DeviceState.OFFLINE, Reason.PRINTER_ERROR),
    (PrinterStatus(online=False), DeviceState.OFFLINE, Reason.PRINTER_ERROR),
])
def test_status_to_condition(status: PrinterStatus, state: DeviceState, reason: Reason) -> None:
    condition = status.condition()
    assert (condition.state, condition.reason) == (state, reason)


def test_gs_r_is_not_answered_while_offline() -> None:
    assert PrinterStatus(online=False, paper_end=True).reply(PAPER_SENSOR) == b""
    assert PrinterStatus(paper_near_end=True).reply(PAPER_SENSOR) == b"\x03"


def test_host_drops_noise_and_keeps_the_question_open() -> None:
    host = HostCodec()
    host.send(PRINTER)
    host.receive_data(b"\xff\x12")
    with pytest.raises(BadReply):
        host.next_event()
    assert host.next_event() == StatusReply(PRINTER, 0x12)
    host.receive_data(b"\x12")
    with pytest.raises(BadReply):  # nobody asked
        host.next_event()
    assert host.next_event() is NEED_DATA


statuses = st.builds(PrinterStatus, *[st.booleans()] * 9).map(
    lambda s: PrinterStatus(**{**vars(s), "error": s.error or s.cutter_error or s.unrecoverable_error
                               or s.auto_recoverable_error}))


@given(statuses)
def test_status_reply_round_trip(status: PrinterStatus) -> None:
    queries = [PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER]
    answer = b"".join(status.reply(q) for q in queries)
    assert PrinterStatus.from_replies(host_replies(queries, answer)) == status


# ---- device side ------------------------------------------------------------------------------
def test_commands_decode_to_typed_events() -> None:
    data = (b"\x1b@" b"\x1b!\x38" b"\x1d!\x11" b"\x1bE\x01" b"\x1b-\x02" b"\x1ba\x31" b"\x1bd\x03"
            b"\x1bJ\x10" b"\x1c&" b"\x1c." b"\x1bt\x10" b"\xe9t\xe9\n" b"\x1c!\x0c" b"\x1dV\x42\x05"
            b"\x1dV\x01" b"\x1bm" b"\x10\x04\x02" b"\x1dr\x31" b"\x1b3\x20" b"\x1bZ\x1d(L\x02\x000p" b"\r\x00")
    assert events(data) == [
        Init(), Style(bold=True, width=2, height=2, underline=0), Style(width=2, height=2),
        Style(bold=True), Style(underline=2), Align("center"), Feed(lines=3), Feed(dots=16),
        ChineseMode(True), ChineseMode(False), CodePage(16), Text("été"), Feed(lines=1),
        Style(width=2, height=2, underline=0), Cut(partial=True, feed=5), Cut(partial=True),
        Cut(partial=True), StatusQuery(2), StatusQuery(1, realtime=False), Ignored(b"\x1b3\x20"),
        Unknown(b"\x1bZ"), Ignored(b"\x1d(L\x02\x000p"), Unknown(b"\x00")]


def test_chinese_mode_decides_how_text_reads() -> None:
    line = "（A001）".encode("gb18030") + b"\n"
    assert events(line)[0] == Text("（A001）")  # Chinese printers start in Chinese mode
    assert events(b"\x1c." + line)[1] != Text("（A001）")
    assert events(b"\x1c." + b"\x1b@" + line)[2] == Text("（A001）")  # init restores the default


def test_raster_becomes_a_one_bit_image() -> None:
    data = b"\x1dv0\x00\x02\x00\x02\x00" + bytes([0x80, 0x01, 0xFF, 0x00])
    (raster,) = events(data)
    assert isinstance(raster, Raster)
    image = raster.image
    assert (image.mode, image.size) == ("1", (16, 2))
    black = [(x, y) for y in range(2) for x in range(16) if image.getpixel((x, y)) == 0]
    assert black == [(0, 0), (15, 0)] + [(x, 1) for x in range(8)]


@pytest.mark.parametrize("data, error", [
    (b"\x1d!\xff", BadCommand),
    (b"\x1ba\x07", BadCommand),
    (b"\x1dV\x07", BadCommand),
    (b"\x10\x04\x09", BadCommand),
    (b"\x1dv0\x00\x00\x00\x01\x00", BadCommand),
    (b"\x1d(k\x03\x001C\x63", BadCommand),
    (b"\x1d(k\x01\x001", BadCommand),
])
def test_malformed_commands_raise_and_are_consumed(data: bytes, error: type[CodecError]) -> None:
    codec = DeviceCodec()
    codec.receive_data(data + b"\x1b@")
    with pytest.raises(error) as caught:
        codec.next_event()
    assert isinstance(caught.value, ProtocolError)
    assert codec.next_event() == Init()


def test_text_without_line_feed_waits_then_comes_in_pieces() -> None:
    codec = DeviceCodec()
    codec.receive_data(b"A" * 1000)
    assert codec.next_event() is NEED_DATA
    codec.receive_data("号".encode("gb18030") * 20)
    assert codec.next_event() == Text("A" * 1000 + "号" * 12)  # the 1,024-byte piece
    codec.receive_data(b"\n")
    assert codec.next_event() == Text("号" * 8)


# ---- properties -------------------------------------------------------------------------------
interesting = st.lists(st.sampled_from([b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x04", b"\n", b"(k", b"v0",
                                        b"V", b"!", b"\x00", b"\xff", "号".encode("gb18030"), b"A"]))
noise = st.one_of(st.binary(max_size=300), interesting.map(b"".join))


@settings(max_examples=300, deadline=None)
@given(noise)
def test_arbitrary_bytes_only_raise_the_codec_error(data: bytes) -> None:
    codec = DeviceCodec()
    codec.receive_data(data)
    for _ in range(len(data) + 1):
        try:
            if codec.next_event() is NEED_DATA:
                break
        except CodecError:
            continue
    else:
        pytest.fail("the codec did not come back to NEED_DATA")


@settings(max_examples=200, deadline=None)
@given(noise, st.lists(st.integers(min_value=0, max_value=300), max_size=8))
def test_any_chunking_gives_the_same_events(data: bytes, cuts: list[int]) -> None:
    whole = events(data)
    codec, chunked = DeviceCodec(), []
    points = sorted({min(c, len(data)) for c in cuts})
    for start, end in zip([0, *points], [*points, len(data)]):
        chunked += events(data[start:end], codec)
    assert chunked == whole


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=64).filter(lambda b: len(b) % 4 == 0))
def test_raster_round_trip_through_python_escpos(data: bytes) -> None:
    image = Image.frombytes("1", (32, len(data) // 4), data)
    p = Dummy(profile="TM-T20II")
    p.image(image, impl="bitImageRaster")
    (raster,) = events(p.output)
    assert raster.image.tobytes() == image.tobytes()
