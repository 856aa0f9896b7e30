import pytest
from hypothesis import given
from hypothesis import strategies as st

from mqtt.contract import (
    Ack,
    Birth,
    Command,
    ContractError,
    Event,
    Kind,
    PrivacyViolation,
    Status,
    Topic,
    Topics,
    decode,
    encode,
)

T = Topics("city")


def test_every_topic_builds_and_parses_back() -> None:
    cases = {
        T.status("k1"): Topic(Kind.STATUS, "k1"),
        T.birth("k1"): Topic(Kind.BIRTH, "k1"),
        T.dev_state("k1", "printer"): Topic(Kind.DEV_STATE, "k1", "printer"),
        T.dev_tele("k1", "printer"): Topic(Kind.DEV_TELE, "k1", "printer"),
        T.event("k1", "rating"): Topic(Kind.EVENT, "k1", "rating"),
        T.request("k1", "take_number"): Topic(Kind.REQUEST, "k1", "take_number"),
        T.term_res("k1"): Topic(Kind.TERM_RES, "k1"),
        T.center_status(): Topic(Kind.CENTER_STATUS),
        T.ack("k1"): Topic(Kind.ACK, "k1"),
        T.ctl_res("k1"): Topic(Kind.CTL_RES, "k1"),
        T.command("k1", "print"): Topic(Kind.COMMAND, "k1", "print"),
        T.hall_channel("calls"): Topic(Kind.HALL, name="calls"),
    }
    for topic, parsed in cases.items():
        assert topic.startswith("onetrip/city/")
        assert T.parse(topic) == parsed
    assert T.all_terminals("evt/+") == "onetrip/city/term/+/evt/+"
    assert T.own_control("k1") == "onetrip/city/ctl/k1/#"


@pytest.mark.parametrize("topic", ["onetrip/other/term/k1/status", "onetrip/city/term/k1", "onetrip/city/x/y",
                                   "onetrip/city/term/k1/dev/p/x", "onetrip/city/ctl/k1/cmd"])
def test_foreign_or_malformed_topics_are_typed_errors(topic: str) -> None:
    with pytest.raises(ContractError):
        T.parse(topic)


def test_payloads_round_trip() -> None:
    for kind, payload in [
        (Kind.STATUS, Status(state="online", session=3, ts=1.0)),
        (Kind.BIRTH, Birth(session=3, devices=[{"name": "printer", "family": "escpos"}])),
        (Kind.EVENT, Event(event_id="e" * 32, seq=7, ts=2.0, data={"level": 5})),
        (Kind.ACK, Ack(event_ids=["e" * 32])),
        (Kind.COMMAND, Command(command_id="c" * 32, args={"text": "A001"}, ttl=9.0)),
    ]:
        assert decode(kind, encode(payload)) == payload


def test_misfit_payload_error_names_fields_but_never_values() -> None:
    secret = "110105194912310021"
    with pytest.raises(ContractError) as err:
        decode(Kind.EVENT, f'{{"event_id": "short", "seq": 0, "ts": 1, "id_number": "{secret}"}}'.encode())
    message = str(err.value)
    assert "event_id" in message and "seq" in message and secret not in message
    with pytest.raises(ContractError, match="json_invalid"):
        decode(Kind.STATUS, b"\xff\xfe")


def test_encode_refuses_id_numbers_anywhere() -> None:
    with pytest.raises(PrivacyViolation):
        encode(Event(event_id="e" * 32, seq=1, ts=0, data={"note": "card 11010519491231002X"}))
    with pytest.raises(PrivacyViolation):
        encode(Event(event_id="e" * 32, seq=1, ts=0, data={"n": 110105194912310021}))
    # a full-precision float's fraction has 18 digits but is no ID number: it must pass
    assert encode(Event(event_id="e" * 32, seq=1, ts=0, data={"wait_h": 0.012345678901234567}))


@given(st.binary(max_size=300))
def test_arbitrary_bytes_only_raise_contract_errors(data: bytes) -> None:
    for kind in Kind:
        try:
            decode(kind, data)
        except ContractError:
            pass
