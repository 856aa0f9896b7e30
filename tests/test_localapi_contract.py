"""The local API's one contract: codec behaviour and the docs kept in step with the code."""
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.answers import PrintedMaterial, TicketAnswer
from core.localapi import (
    EVENTS,
    NEED_DATA,
    OPS,
    BadArguments,
    ErrorBody,
    LineCodec,
    LocalApiError,
    check_args,
    check_result,
    parse_request,
)
from mqtt.payloads import RESULTS

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


def _doc_examples() -> dict[str, tuple[list[dict], list[dict]]]:
    """Each op's JSON lines on the docs page, by op: its requests (→) and its replies (←)."""
    text, found, op = DOC.read_text(encoding="utf-8"), {}, None
    for line in text.splitlines():
        if line.startswith("### `"):
            op = line[5:line.index("`", 5)]
        elif op and line[:2] in ("→ ", "← "):
            found.setdefault(op, ([], []))[line[:1] == "←"].append(json.loads(line[2:]))
    return found


def test_the_docs_examples_fit_the_shapes_and_are_the_codes_own() -> None:
    examples = _doc_examples()
    assert set(examples) == set(OPS)
    for op, (requests, replies) in examples.items():
        assert check_args(op, requests[0]["args"]) == OPS[op].example_args
        assert replies[0]["result"] == OPS[op].example_result == check_result(op, replies[0]["result"])
        for request in requests:
            assert parse_request(request).op == op
            check_args(op, request["args"])
        for reply in replies[1:]:
            if reply["ok"]:
                check_result(op, reply["result"])
            else:
                ErrorBody.model_validate(reply["error"])


def test_a_misfit_is_named_by_its_fields_never_its_values() -> None:
    with pytest.raises(BadArguments, match="category") as err:
        check_args("take_number", {"category": "a lower-case 张三 110101199003077777"})
    assert "110101" not in str(err.value) and "张三" not in str(err.value)
    with pytest.raises(BadArguments, match="surprise"):
        check_args("rate", {"ticket": "A001", "level": 5, "surprise": 1})
    with pytest.raises(LocalApiError, match="printed"):
        check_result("take_number", {k: v for k, v in OPS["take_number"].example_result.items() if k != "printed"})
    # a field the kiosk did not give stays absent, so the daemon's own defaults decide
    assert check_args("take_number", {"category": "A"}) == {"category": "A"}


def test_the_center_answer_and_the_kiosk_result_are_one_ticket() -> None:
    """What the center answers is what the kiosk reads, field for field, plus `printed`."""
    center = set(TicketAnswer.model_fields)
    assert set(OPS["take_number"].result.model_fields) == center | {"printed"}
    assert RESULTS["take_number"] is TicketAnswer
    assert {"materials", "window_area", "qr"} <= center
    assert set(PrintedMaterial.model_fields) == {"name", "note", "optional", "deferrable"}


def test_every_error_type_the_docs_list_is_worded_by_the_kiosk() -> None:
    """A refusal reaches the citizen in the kiosk's own sentence, never as the generic 请重试."""
    from kiosk.i18n import STRINGS

    text = DOC.read_text(encoding="utf-8")
    listed = text[text.index("Error types:"):text.index("Privacy:")]
    types = set(re.findall(r"`([A-Z][A-Za-z]+)`", listed))
    assert {"PrinterNotReady", "OutboxFull", "NoCard"} <= types
    assert {f"err_{t}" for t in types} <= set(STRINGS), sorted({f"err_{t}" for t in types} - set(STRINGS))
