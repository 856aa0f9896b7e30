"""The local API's one contract: codec behaviour and the docs kept in step with the code."""
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from core.localapi import EVENTS, NEED_DATA, OPS, LineCodec, LocalApiError, parse_request

DOC = Path(__file__).parent.parent / "docs" / "localapi.md"


def test_every_op_and_event_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in OPS:
        assert f"### `{name}`" in text
    for name in EVENTS:
        assert f"| `{name}` |" in text


def test_lines_in_any_chunking_give_the_same_messages() -> None:
    stream = b"".join(LineCodec.send({"id": i, "op": "hello", "args": {"n": "张三"}}) for i in range(5))
    for size in (1, 3, 7, len(stream)):
        codec, got = LineCodec(), []
        for i in range(0, len(stream), size):
            codec.receive_data(stream[i:i + size])
            while (msg := codec.next_event()) is not NEED_DATA:
                got.append(msg)
        assert [m["id"] for m in got] == list(range(5))


def test_bad_lines_raise_typed_errors_and_the_stream_goes_on() -> None:
    codec = LineCodec()
    codec.receive_data(b'not json\n[1,2]\n{"id": 1, "op": "hello"}\n')
    with pytest.raises(LocalApiError):
        codec.next_event()
    with pytest.raises(LocalApiError):
        codec.next_event()
    assert parse_request(codec.next_event()).op == "hello"
    with pytest.raises(LocalApiError, match="unknown op"):
        parse_request({"id": 2, "op": "reboot"})
    with pytest.raises(LocalApiError, match="op"):
        parse_request({"id": 2})


@given(st.binary(max_size=500))
def test_arbitrary_bytes_only_raise_the_codec_error(data: bytes) -> None:
    codec = LineCodec()
    codec.receive_data(data + b"\n")
    while True:
        try:
            if codec.next_event() is NEED_DATA:
                break
        except LocalApiError:
            continue
