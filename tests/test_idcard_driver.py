"""The ID-card driver against the simulated reader over a real pty."""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import serial

from core.config import parse_config
from core.devstate import Condition, DeviceState, Reason
from core.errors import ConfigError
from core.sansio import NEED_DATA
from drivers.idcard.card import build_text
from drivers.idcard.codec import HostCodec, SamCommand, SamOp, SamReply, SamStatus
from drivers.idcard.driver import OUTCOMES, CardError, CardRead, CardRemoved, IdCardReader, IdCardSettings, Outcome
from drivers.idcard.sim import DEFAULT_CITIZENS, IdCardSim
from tests.conftest import wait_until


@dataclass
class Rig:
    sim: IdCardSim
    reader: IdCardReader
    events: list[Any] = field(default_factory=list)
    states: list[Condition] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, kind: type) -> list[Any]:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]

    def saw(self, state: DeviceState, reason: Reason = Reason.NONE) -> bool:
        with self.lock:
            return any(c.state is state and c.reason is reason for c in self.states)

    def clear(self) -> None:
        with self.lock:
            self.events.clear()
            self.states.clear()


def make_rig(tmp_path: Path, **settings: Any) -> Rig:
    link = tmp_path / "idcard"
    sim = IdCardSim(link)
    sim.start()
    rig = Rig(sim, None)  # type: ignore[arg-type]

    def on_event(name: str, event: Any) -> None:
        with rig.lock:
            rig.events.append(event)

    def on_state(name: str, condition: Condition) -> None:
        with rig.lock:
            rig.states.append(condition)

    rig.reader = IdCardReader.from_settings("idcard", IdCardSettings(port=str(link), **settings),
                                            on_event=on_event, on_state=on_state)
    rig.reader.start()
    wait_until(lambda: rig.reader.condition.state is DeviceState.ONLINE, 5)
    return rig


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = make_rig(tmp_path)
    yield rig
    rig.reader.stop()
    rig.sim.stop()


def read_and_lift(rig: Rig, who: str | int) -> None:
    before = len(rig.of(CardRead)), len(rig.of(CardRemoved))
    rig.sim.insert_card(who)
    wait_until(lambda: len(rig.of(CardRead)) > before[0], 5)
    rig.sim.remove_card()
    wait_until(lambda: len(rig.of(CardRemoved)) > before[1], 5)


def test_handshake_reads_the_sam_id(rig: Rig) -> None:
    status = rig.reader.get_status()
    assert status["info"]["sam_id"] == "05.01-20230615-0000123456-3000001234"
    assert status["info"]["model"] and status["state"] == "online" and status["card_present"] is False
    assert status["counters"]["frames_ok"] >= 2


def test_a_card_on_the_reader_is_read_once_and_removed_once(rig: Rig) -> None:
    rig.sim.insert_card("张三")
    wait_until(lambda: rig.of(CardRead), 5)
    card = rig.of(CardRead)[0].card
    assert card == DEFAULT_CITIZENS[0] and card.photo == DEFAULT_CITIZENS[0].photo
    assert rig.reader.get_status()["card_present"] is True
    polls = rig.sim.answered
    wait_until(lambda: rig.sim.answered >= polls + 6, 5)  # it keeps lying there for a few polls
    assert len(rig.of(CardRead)) == 1 and not rig.of(CardRemoved)
    rig.sim.remove_card()
    wait_until(lambda: rig.of(CardRemoved), 5)
    polls = rig.sim.answered
    wait_until(lambda: rig.sim.answered >= polls + 4, 5)
    assert [type(e) for e in rig.events] == [CardRead, CardRemoved]


def test_a_card_lying_on_the_reader_is_read_again_when_asked(rig: Rig) -> None:
    """Issue 15, finding 7: the kiosk forgot the citizen, the card still lies there; a flow that
    asks for a card gets it read again (no 30 s wait, no "未检测到证件")."""
    assert rig.reader.read_again() is False  # nothing lies there
    rig.sim.insert_card("张三")
    wait_until(lambda: rig.of(CardRead), 5)
    assert rig.reader.read_again() is True
    wait_until(lambda: len(rig.of(CardRead)) == 2, 5)
    assert rig.of(CardRead)[1].card == DEFAULT_CITIZENS[0] and not rig.of(CardRemoved)
    rig.sim.remove_card()
    wait_until(lambda: rig.of(CardRemoved), 5)
    assert rig.reader.read_again() is False


def test_every_card_type_and_a_swap_between_polls_with_no_number_in_logs(
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rig.sim.inject_fault(SamStatus.READ_FAILED, 1)  # a CardError goes through the logs too
    for index, citizen in enumerate(DEFAULT_CITIZENS):
        rig.sim.insert_card(index)
        wait_until(lambda c=citizen: any(e.card == c for e in rig.of(CardRead)), 5)
    reads = [e.card for e in rig.of(CardRead)]
    assert reads == list(DEFAULT_CITIZENS)
    assert len(rig.of(CardRemoved)) == len(reads) - 1  # each swap lifted the card before
    assert [e.reason for e in rig.of(CardError)] == ["read_failed"]
    seen = [r.getMessage() + repr(vars(r)) for r in caplog.records]
    seen += [repr(e) for e in rig.events] + [str(rig.reader.get_status()), rig.sim.describe(),
                                             rig.sim.handle_command(["card", "list"])]
    assert any("card read" in line for line in seen) and any("read_failed" in line for line in seen)
    for citizen in DEFAULT_CITIZENS:
        assert not any(citizen.number in line for line in seen)


def test_every_status_code_has_an_outcome() -> None:
    assert set(OUTCOMES) == set(SamStatus)


def _codes(outcome: Outcome) -> list[SamStatus]:
    return [s for s, o in OUTCOMES.items() if o is outcome]


def test_card_faults_tell_the_citizen_then_the_card_reads(rig: Rig) -> None:
    for status in _codes(Outcome.CARD_FAULT):
        rig.clear()
        rig.sim.inject_fault(status, 1)
        rig.sim.insert_card("王建国")
        wait_until(lambda: rig.of(CardRead), 5)
        assert [e.reason for e in rig.of(CardError)] == [status.name.lower()], status
    assert rig.reader.condition.state is DeviceState.ONLINE


def test_no_card_codes_are_quiet(rig: Rig) -> None:
    for status in _codes(Outcome.NO_CARD):
        rig.clear()
        rig.sim.inject_fault(status, 2)
        rig.sim.insert_card(0)
        wait_until(lambda: rig.of(CardRead), 5)
        assert not rig.of(CardError) and not rig.states, status


@pytest.mark.parametrize(("outcome", "state", "reason"), [
    (Outcome.SAM_DEGRADED, DeviceState.DEGRADED, Reason.SAM_FAULT),
    (Outcome.SAM_DOWN, DeviceState.OFFLINE, Reason.SAM_FAULT),
    (Outcome.LINK, DeviceState.DEGRADED, Reason.PROTOCOL_ERRORS),
])
def test_sam_and_link_faults_change_the_device_state(rig: Rig, outcome: Outcome, state: DeviceState,
                                                      reason: Reason) -> None:
    for status in _codes(outcome):
        rig.clear()
        rig.sim.inject_fault(status, 3)
        wait_until(lambda: rig.saw(state, reason), 5)
        wait_until(lambda: rig.reader.condition.state is DeviceState.ONLINE, 5)
    read_and_lift(rig, 1)  # and it reads cards again


def test_an_invalid_card_is_reported_not_read(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    good = build_text(DEFAULT_CITIZENS[0])
    broken = good[:156] + "6".encode("utf-16-le") + good[158:]  # a wrong check digit
    monkeypatch.setattr("drivers.idcard.sim.build_text", lambda card: broken)
    rig.sim.insert_card(0)
    wait_until(lambda: rig.of(CardError), 5)
    [error] = rig.of(CardError)
    assert error.reason == "invalid_card" and "check character" in error.detail
    assert DEFAULT_CITIZENS[0].number[:17] not in repr(error) and not rig.of(CardRead)


def test_a_slow_reader_still_works(rig: Rig) -> None:
    rig.sim.handle_command(["card", "slow", "on"])
    read_and_lift(rig, "李秀英")
    assert rig.of(CardRead)[0].card.valid_to is None
    assert not rig.of(CardError) and rig.reader.condition.state is DeviceState.ONLINE


def test_a_transaction_gets_one_strict_try(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, read_timeout=0.1)  # the slow read reply takes ~1.3 s
    try:
        rig.sim.slow = True
        rig.sim.insert_card(0)
        wait_until(lambda: rig.of(CardError), 5)
        assert rig.of(CardError)[0].reason == "no_answer" and not rig.of(CardRead)
    finally:
        rig.reader.stop()
        rig.sim.stop()


def test_garbage_and_broken_frames_are_counted_and_survived(rig: Rig) -> None:
    rig.sim.handle_command(["card", "garbage", "2"])
    rig.sim.handle_command(["card", "corrupt", "1"])
    read_and_lift(rig, 0)
    counters = rig.reader.get_status()["counters"]
    assert counters["garbage_bytes"] >= 26 and counters["frames_bad"] >= 1
    assert rig.reader.condition.state is DeviceState.ONLINE


def test_silent_reader_goes_offline_and_comes_back(rig: Rig) -> None:
    rig.sim.handle_command(["card", "silent", "on"])
    wait_until(lambda: rig.saw(DeviceState.OFFLINE, Reason.NO_ANSWER), 3)
    rig.sim.handle_command(["card", "silent", "off"])
    wait_until(lambda: rig.reader.condition.state is DeviceState.ONLINE, 5)


def test_unplug_goes_offline_and_replug_recovers(rig: Rig) -> None:
    rig.sim.insert_card(0)
    wait_until(lambda: rig.of(CardRead), 20)
    assert rig.sim.handle_command(["unplug"]) == "ok: unplugged"
    wait_until(lambda: rig.saw(DeviceState.OFFLINE, Reason.PORT_GONE), 20)
    assert rig.of(CardRemoved)  # a vanished reader holds no card
    rig.sim.handle_command(["plug"])
    wait_until(lambda: rig.reader.condition.state is DeviceState.ONLINE, 20)
    assert rig.reader.counters.reconnects >= 1
    read_and_lift(rig, 2)


def test_poll_interval_below_300ms_is_refused() -> None:
    with pytest.raises(ConfigError, match="poll_interval"):
        parse_config({"poll_interval": 0.1}, IdCardSettings, "terminal.toml", environ={})
    assert parse_config({"baud": 9600}, IdCardSettings, "terminal.toml", environ={}).baud == 9600


def test_sim_text_commands(tmp_path: Path) -> None:
    sim = IdCardSim(tmp_path / "idcard")
    assert sim.handle_command(["card", "insert", "张三"]).startswith("ok: inserted Card(resident 张*")
    assert "张*" in sim.describe()
    assert sim.handle_command(["card", "fault", "9F", "2"]) == "ok: next 2 replies CARD_FOUND (9F)"
    assert sim.handle_command(["card", "fault", "55"]).startswith("error:")
    assert sim.handle_command(["card", "insert", "nobody"]).startswith("error:")
    assert sim.handle_command(["card", "slow", "maybe"]).startswith("error:")
    assert sim.handle_command(["dance"]).startswith("error:")
    assert sim.handle_command(["card", "remove"]) == "ok: card removed"
    assert len(sim.handle_command(["card", "list"]).split("; ")) == len(DEFAULT_CITIZENS)


def test_sim_answers_broken_commands_like_a_reader(tmp_path: Path) -> None:
    sim = IdCardSim(tmp_path / "idcard")
    sim.start()
    try:
        with serial.Serial(str(tmp_path / "idcard"), timeout=2) as port:
            host = HostCodec()
            for op in (SamOp.FIND, SamOp.SELECT, SamOp.SAM_STATUS):  # three replies to three broken frames
                host.send(SamCommand(op))
            port.write(bytes.fromhex("AA AA AA 96 69 00 03 20 01 23"))       # bad checksum
            port.write(bytes.fromhex("AA AA AA 96 69 00 03 55 01 57"))       # unknown command
            port.write(bytes.fromhex("AA AA AA 96 69 00 03 60 04 67"))       # baud 9600: ok
            replies: list[SamReply] = []
            while len(replies) < 3:
                host.receive_data(port.read(1) + port.read(port.in_waiting))
                while (event := host.next_event()) is not NEED_DATA:
                    replies.append(event)
        assert [r.status for r in replies] == [SamStatus.CHECKSUM_ERROR, SamStatus.BAD_COMMAND, SamStatus.OK]
        assert sim.baud == 9600
    finally:
        sim.stop()
