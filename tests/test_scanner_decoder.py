"""The scanner's decoder on InputEvents and raw records, the simulator's event sequences, the grab logic."""
from __future__ import annotations

import os
from collections import deque
from pathlib import Path

import pytest
from evdev import InputEvent, ecodes
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import parse_config
from core.devstate import DeviceState, Reason
from core.errors import ConfigError
from core.sansio import NEED_DATA
from drivers.scanner.codec import RECORD, CodeScanned, HostCodec, ScanTooLong
from drivers.scanner.driver import InputNodes, Scanner, ScannerSettings, find_nodes
from drivers.scanner.sim import key_events, records
from drivers.transport import TransportError

A1_ENTER = [(1, 42, 1), (0, 0, 0), (1, 30, 1), (0, 0, 0), (1, 30, 0), (1, 42, 0), (0, 0, 0),
            (1, 2, 1), (1, 2, 0), (0, 0, 0), (1, 28, 1), (1, 28, 0), (0, 0, 0)]


def codes(decoder: HostCodec) -> list[str]:
    out = []
    while (event := decoder.next_event()) is not NEED_DATA:
        out.append(event.code)  # type: ignore[union-attr]
    return out


def test_a1_vector_as_input_events() -> None:
    decoder = HostCodec()
    decoder.receive_events(InputEvent(1_790_000_000, i, *e) for i, e in enumerate(A1_ENTER))
    assert decoder.next_event() == CodeScanned("A1")
    assert decoder.next_event() is NEED_DATA
    assert not decoder.keys_held


def test_a1_vector_as_raw_records_fed_byte_by_byte() -> None:
    data = b"".join(RECORD.pack(1_790_000_000, 0, *e) for e in A1_ENTER)
    assert len(data) == 24 * len(A1_ENTER)
    decoder = HostCodec()
    found = []
    for i in range(len(data)):
        decoder.receive_data(data[i:i + 1])
        found += codes(decoder)
        if i == 24 * 3 - 1:  # after shift down, SYN, A down: two keys held
            assert decoder.keys_held
    assert found == ["A1"]


def test_the_simulator_types_a1_with_the_vector_key_strokes() -> None:
    keys = [e for e in key_events("A1") if e[0] == ecodes.EV_KEY]
    assert keys == [e for e in A1_ENTER if e[0] == ecodes.EV_KEY]
    assert {e[0] for e in key_events("A1")} == {ecodes.EV_KEY, ecodes.EV_SYN, ecodes.EV_MSC}


def test_right_shift_keypad_enter_autorepeat_and_noise() -> None:
    k = ecodes
    events = [(k.EV_MSC, k.MSC_SCAN, 0x700E5), (k.EV_KEY, k.KEY_RIGHTSHIFT, 1), (k.EV_KEY, k.KEY_B, 1),
              (k.EV_KEY, k.KEY_B, 2), (k.EV_KEY, k.KEY_B, 0), (k.EV_KEY, k.KEY_RIGHTSHIFT, 0),
              (k.EV_KEY, k.KEY_B, 1), (k.EV_KEY, k.KEY_F1, 1), (k.EV_KEY, k.KEY_KP7, 1),
              (k.EV_KEY, k.KEY_KPENTER, 1)]
    decoder = HostCodec()
    decoder.receive_data(records(events))
    assert codes(decoder) == ["Bb7"]  # one B despite autorepeat, F1 unknown, keypad 7
    assert decoder.unknown_keys == 1


def test_a_code_without_enter_is_cut_at_the_limit() -> None:
    decoder = HostCodec(max_length=5)
    decoder.receive_data(records(key_events("123456789")[:-6]))  # drop the Enter press
    with pytest.raises(ScanTooLong):
        decoder.next_event()
    decoder.receive_data(records(key_events("ok")))
    assert codes(decoder) == ["789ok"]  # the overflowing character went with the junk


PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)


@settings(max_examples=150, deadline=None)
@given(code=PRINTABLE, cuts=st.lists(st.integers(0, 100_000), max_size=12))
def test_simulated_scans_decode_back_in_any_chunking(code: str, cuts: list[int]) -> None:
    data = records(key_events(code))
    points = sorted({c % (len(data) + 1) for c in cuts})
    decoder = HostCodec()
    found = []
    for a, b in zip([0, *points], [*points, len(data)]):
        decoder.receive_data(data[a:b])
        found += codes(decoder)
    assert found == [code]
    assert not decoder.keys_held


def test_the_simulator_refuses_what_a_keyboard_cannot_type() -> None:
    with pytest.raises(ValueError):
        key_events("张三")


# ---- discovery -------------------------------------------------------------------------
def test_find_nodes_by_id_glob_and_fixed_paths(tmp_path: Path) -> None:
    (tmp_path / "event7").touch()
    (tmp_path / "event8").touch()
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    (by_id / "usb-Netum_Scanner-event-kbd").symlink_to(tmp_path / "event7")
    (by_id / "usb-Netum_Scanner-if01-event-kbd").symlink_to(tmp_path / "event8")
    (by_id / "usb-Other_Keyboard-event-kbd").symlink_to(tmp_path / "event8")
    found = find_nodes(ScannerSettings(by_id=str(by_id / "usb-Netum_Scanner*-event-kbd")))
    assert found == [str(tmp_path / "event7"), str(tmp_path / "event8")]
    assert find_nodes(ScannerSettings(nodes=[str(tmp_path / "event7"), str(tmp_path / "gone")])) == \
        [str(tmp_path / "event7")]


def test_settings_must_say_how_to_find_the_scanner() -> None:
    with pytest.raises(ConfigError, match="say how to find the scanner"):
        parse_config({"grab": True}, ScannerSettings, "t.toml", environ={})
    with pytest.raises(ConfigError, match="product_id needs vendor_id"):
        parse_config({"product_id": 0x0D10}, ScannerSettings, "t.toml", environ={})


def test_no_node_is_port_gone(tmp_path: Path) -> None:
    nodes = InputNodes(ScannerSettings(nodes=[str(tmp_path / "absent")]))
    with pytest.raises(TransportError) as err:
        nodes.open()
    assert err.value.reason is Reason.PORT_GONE


def test_a_half_record_from_one_node_never_mixes_with_another(tmp_path: Path) -> None:
    paths = [tmp_path / "node0", tmp_path / "node1"]
    fds = []
    for path in paths:
        os.mkfifo(path)
        fds.append(os.open(path, os.O_RDWR | os.O_NONBLOCK))
    nodes = InputNodes(ScannerSettings(nodes=[str(p) for p in paths]))
    nodes.open()
    try:
        a, b = records(key_events("a")), records(key_events("b"))
        os.write(fds[0], a[:30])
        os.write(fds[1], b)
        got = nodes.read(0.5)
        got += nodes.read(0.1)  # the second node's records if select woke for one node only
        os.write(fds[0], a[30:])
        got += nodes.read(0.5)
        decoder = HostCodec()
        decoder.receive_data(got)
        assert sorted(codes(decoder)) == ["a", "b"]
        assert nodes.grabbed  # FIFOs need no grab
    finally:
        nodes.close()
        for fd in fds:
            os.close(fd)


# ---- grab logic (EVIOCGRAB needs a real node: CI has none, so the node set is faked here) ----
class FakeNodes:
    """Stands in for InputNodes on real evdev nodes: scripted reads, grab bookkeeping."""

    def __init__(self) -> None:
        self.reads: deque[bytes] = deque()
        self.grabbed = False
        self.grabs = 0
        self.gone = False

    def open(self) -> None:
        if self.gone:
            raise TransportError(Reason.PORT_GONE, "fake: unplugged")
        self.grabbed = False  # a new node after a replug is not grabbed

    def close(self) -> None:
        pass

    def grab(self) -> None:
        self.grabbed, self.grabs = True, self.grabs + 1

    def read(self, timeout: float) -> bytes:
        if self.gone:
            raise TransportError(Reason.PORT_GONE, "fake: ENODEV")
        return self.reads.popleft() if self.reads else b""

    def write(self, data: bytes) -> None:
        raise AssertionError("a scanner takes no output")

    def describe(self) -> str:
        return "fake"


def test_grabs_only_when_no_key_is_held() -> None:
    nodes = FakeNodes()
    events: list[object] = []
    scanner = Scanner("scanner", nodes, on_event=lambda name, e: events.append(e))  # type: ignore[arg-type]
    nodes.open()
    scanner.handshake()
    sequence = key_events("A")
    nodes.reads.extend([records(sequence[:2]), records(sequence[2:])])  # shift down | the rest
    scanner.poll()  # idle at first: grab, then read shift-down
    assert nodes.grabs == 1 and scanner.decoder.keys_held
    nodes.grabbed = False  # the grab is lost (e.g. another program released it under us)
    scanner.poll()  # shift still held: must not grab now
    assert nodes.grabs == 1
    scanner.poll()  # everything up: grab again
    assert nodes.grabs == 2
    assert events == [CodeScanned("A")]


def test_regrabs_after_a_replug() -> None:
    from tests.conftest import wait_until

    nodes = FakeNodes()
    scanner = Scanner("scanner", nodes)  # type: ignore[arg-type]
    scanner.start()
    try:
        wait_until(lambda: nodes.grabs == 1, 3)
        nodes.gone = True
        wait_until(lambda: scanner.condition.state is DeviceState.OFFLINE, 3)
        nodes.gone = False
        wait_until(lambda: nodes.grabs == 2 and nodes.grabbed, 5)
        assert scanner.condition.state is DeviceState.ONLINE
    finally:
        scanner.stop()
