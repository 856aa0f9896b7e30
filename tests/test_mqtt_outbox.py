"""The disk outbox: survives restarts, broker outages and kill -9; the center applies once."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from core.errors import OutboxFull
from mqtt.center import CenterLink
from mqtt.contract import Event, PrivacyViolation, Topics, encode
from mqtt.ledger import SqliteLedger
from mqtt.outbox import Outbox
from mqtt.terminal import TerminalLink
from tests.conftest import wait_until


def test_seq_rises_across_reopen_and_deletion(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite")
    a, b = box.emit("key", {"n": 1}), box.emit("key", {"n": 2})
    assert (a.seq, b.seq) == (1, 2)
    box.ack([a.event_id, b.event_id])
    box.close()
    box = Outbox(tmp_path / "o.sqlite")
    assert box.depth() == 0 and box.emit("key", {"n": 3}).seq == 3
    assert box.emit("key", {}, event_id="same-id-1").seq == box.emit("key", {}, event_id="same-id-1").seq


def test_bound_refuses_loudly_and_keeps_everything(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite", max_rows=3)
    rows = [box.emit("rating", {"n": i}) for i in range(3)]
    with pytest.raises(OutboxFull):
        box.emit("rating", {"n": 3})
    status = box.get_status()
    assert status["outbox_full"] and status["outbox_refused"] == 1 and status["outbox_depth"] == 3
    box.ack([rows[0].event_id])
    assert box.emit("rating", {"n": 3}).seq == 4 and not box.full
    assert [r.data["n"] for r in box.after(0, 10)] == [1, 2, 3]


def test_emit_refuses_id_numbers_before_storing(tmp_path: Path, mqtt_settings) -> None:
    term = TerminalLink(mqtt_settings, "kiosk-1", tmp_path / "k1")
    with pytest.raises(PrivacyViolation):
        term.emit("card", {"number": "11010519491231002X"})
    assert term.outbox.depth() == 0
    term.outbox.close()


@pytest.fixture
def ledger(tmp_path: Path) -> SqliteLedger:
    return SqliteLedger(tmp_path / "ledger.sqlite")


@pytest.fixture
def center(mqtt_settings, ledger):
    link = CenterLink(mqtt_settings, ledger)
    link.start()
    assert link.wait_connected(5)
    yield link
    link.stop()


def test_broker_outage_loses_nothing_and_applies_once(broker, center, ledger, mqtt_settings, tmp_path: Path) -> None:
    term = TerminalLink(mqtt_settings, "kiosk-1", tmp_path / "k1")
    term.start()
    try:
        ids = [term.emit("key", {"n": i}) for i in range(30)]
        wait_until(lambda: len(ledger.events("kiosk-1")) == 30)
        broker.stop()
        wait_until(lambda: not term.connected)
        ids += [term.emit("key", {"n": i}) for i in range(30, 60)]  # the citizen was told: on disk
        assert term.outbox.depth() == 30
        broker.start()
        wait_until(lambda: term.outbox.depth() == 0, timeout=20)
        applied = ledger.events("kiosk-1")
        assert [e[0] for e in applied] == ids  # all, once, in order
        assert [e[2] for e in applied] == list(range(1, 61))
    finally:
        term.stop(graceful=False)


def test_kill_9_of_the_publisher_loses_nothing(center, ledger, mqtt_settings, tmp_path: Path) -> None:
    state = tmp_path / "k7"
    proc = subprocess.Popen([sys.executable, "-m", "tests.mqtt_peer", str(mqtt_settings.port), mqtt_settings.hall,
                             "kiosk-7", str(state), "400"], stdout=subprocess.PIPE, text=True)
    told = 0
    while told < 150:
        told = int(proc.stdout.readline().split()[1])
    proc.kill()
    proc.wait()
    # whatever the dead process had emitted is on disk; a new process drains it
    term = TerminalLink(mqtt_settings, "kiosk-7", state)
    term.start()
    try:
        wait_until(lambda: term.outbox.depth() == 0, timeout=20)
        seqs = [e[2] for e in ledger.events("kiosk-7")]
        assert len(seqs) >= told
        assert sorted(seqs) == list(range(1, len(seqs) + 1))  # none lost in the middle, none twice
    finally:
        term.stop(graceful=False)


def test_center_applies_a_redelivered_event_once_and_acks_both(center, ledger, mqtt_settings) -> None:
    acks: list[bytes] = []
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    c.on_message = lambda cl, u, m: acks.append(m.payload)
    c.connect(mqtt_settings.host, mqtt_settings.port)
    t = Topics(mqtt_settings.hall)
    c.subscribe(t.ack("kiosk-3"), qos=1)
    c.loop_start()
    event = encode(Event(event_id="evt-00000001", seq=1, ts=1.0, data={"level": 5}))
    for _ in range(2):
        c.publish(t.event("kiosk-3", "rating"), event, qos=1).wait_for_publish(2)
    wait_until(lambda: len(acks) == 2)
    c.loop_stop()
    assert len(ledger.events("kiosk-3")) == 1
    assert center.stats["events_applied"] == 1 and center.stats["events_duplicate"] == 1
