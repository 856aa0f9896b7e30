"""The hardware daemon against a real broker and the simulators over ptys and TCP."""
from __future__ import annotations

import hashlib
import itertools
import socket
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from center.queue_errors import NotIssuingNow, TooEarly
from core.clock import local_datetime
from core.errors import OneTripError
from core.localapi import LineCodec
from daemon.config import load_terminal
from daemon.systemd import Notifier
from daemon.terminal import Terminal
from drivers.idcard.sim import IdCardSim
from drivers.printer.sim import PrinterSim
from drivers.registry import PRINTER
from drivers.windowbus.codec import CallerKey
from drivers.windowbus.sim import WindowBusSim
from hallrig.apiclient import ApiClient
from mqtt.center import CenterLink
from mqtt.ledger import SqliteLedger
from tests.conftest import wait_until

PIN = "2468"


class Refused(OneTripError):
    pass


HOLIDAY_NOTICE = "今天是法定节假日（国庆节），暂停取号。近期暂无开放安排"


class FakeQueue:
    """Just enough of the center for the daemon: numbers, and a record of what it was told."""

    def __init__(self) -> None:
        self.issued: list[dict] = []
        self._n = itertools.count(1)

    def take_number(self, terminal: str, args: dict) -> dict:
        if args["category"] == "H":  # a category on holiday: the center's own refusal, with its notice
            raise NotIssuingNow("H", None, HOLIDAY_NOTICE)
        if args["category"] == "T":  # a refusal with values the kiosk words itself
            raise TooEarly(datetime(2026, 11, 23, 11, 30))
        n = next(self._n)
        ticket = {"ticket_id": f"t{n:06d}", "ticket_ref": f"ref{n:019d}", "number": f"{args['category']}{n:03d}",
                  "category": args["category"], "category_name": "不动产登记", "service": "不动产登记",
                  "ahead": n - 1, "wait_min": 5, "wait_max": 10, "window_area": "二楼 A 区 1–12 号窗口",
                  "materials": [{"name": "不动产权证书", "note": "原件"}]}
        self.issued.append({**ticket, "args": args})
        return ticket


def write_config(tmp: Path, broker_port: int, printer_port: int, *, role: str = "kiosk", profile: str = "ft12") -> Path:
    pin = hashlib.sha256(PIN.encode()).hexdigest()
    devices = (f"""
[devices.idcard]
family = "idcard"
port = "{tmp}/sim/idcard"
[devices.printer]
family = "printer"
transport = "tcp"
tcp_port = {printer_port}
""" if role == "kiosk" else f"""
[devices.bus]
family = "windowbus"
port = "{tmp}/sim/windowbus"
windows = {{1 = 1, 2 = 2, 3 = 3}}
profile = "{profile}"
""")
    path = tmp / f"{role}.toml"
    path.write_text(f"""
terminal = "{'kiosk-01' if role == 'kiosk' else 'bus-01'}"
role = "{role}"
citizen_key_secret = "test-secret-0123456789"
maintenance_pin_sha256 = "{pin}"
state_dir = "{tmp}/state-{role}"
debounce = 0.3
[mqtt]
port = {broker_port}
hall = "testhall"
keepalive = 5
[local_api]
socket = "{tmp}/{role}.sock"
[telemetry]
period = 1
{devices}""", encoding="utf-8")
    return path


@pytest.fixture
def center(mqtt_settings, tmp_path: Path):
    link = CenterLink(mqtt_settings, SqliteLedger(tmp_path / "ledger.sqlite"))
    link.queue = FakeQueue()
    link.on_request("take_number", link.queue.take_number)
    link.start()
    assert link.wait_connected(5)
    yield link
    link.stop()


@pytest.fixture
def kiosk(broker, center, tmp_path: Path):
    card = IdCardSim(tmp_path / "sim" / "idcard")
    printer = PrinterSim(tmp_path / "tickets", tcp_port=0)
    card.start()
    printer.start()
    terminal = Terminal(load_terminal(write_config(tmp_path, broker.port, printer.tcp_port)))
    terminal.start()
    runner = threading.Thread(target=terminal.run, daemon=True)
    runner.start()
    client = ApiClient(terminal.api.path)
    wait_until(lambda: terminal.link.center_reachable and
               all(c.state.value == "online" for c in terminal.supervisor.states().values())
               and len(terminal.supervisor.states()) == 2)
    yield terminal, client, card, printer
    client.close()
    terminal.stop()
    card.stop()
    printer.stop()


def test_card_read_reaches_the_kiosk_masked(kiosk, center, caplog) -> None:
    terminal, client, card, _ = kiosk
    citizen = card.insert_card(0)
    data = client.next_event("card_read")
    assert data["masked_name"] == citizen.masked_name and len(data["citizen_key"]) == 32
    assert citizen.number not in repr(data) and citizen.number not in caplog.text
    card.remove_card()
    client.next_event("card_removed")
    assert client.call("hello")["result"]["card"]["masked_name"] == citizen.masked_name


def test_read_card_reads_a_card_lying_on_the_reader_again_for_a_forgotten_citizen(kiosk) -> None:
    """The local API's read_card reaches the reader: after forget_citizen, a card still lying
    there is read again (a second card_read), and with none there the answer says so."""
    terminal, client, card, _ = kiosk
    assert client.call("read_card")["result"] == {"reading": False}
    citizen = card.insert_card(0)
    client.next_event("card_read")
    assert client.call("forget_citizen")["result"] == {"forgotten": True}
    assert client.call("hello")["result"]["card"] is None
    assert client.call("read_card")["result"] == {"reading": True}
    assert client.next_event("card_read")["masked_name"] == citizen.masked_name
    assert client.call("hello")["result"]["card"]["masked_name"] == citizen.masked_name


def test_take_number_prints_the_ticket_and_tells_the_center(kiosk, center) -> None:
    terminal, client, card, printer = kiosk
    card.insert_card(0)
    key = client.next_event("card_read")["citizen_key"]
    reply = client.call("take_number", category="A")
    assert reply["ok"], reply
    ticket = reply["result"]
    assert ticket["printed"] and ticket["number"] == "A001"
    assert center.queue.issued[0]["args"]["citizen_key"] == key  # the keyed hash, never the number
    wait_until(lambda: len(printer.tickets) == 1)
    assert "A001" in printer.tickets[0].text and printer.tickets[0].png.exists()
    assert "请到 二楼 A 区 1–12 号窗口 等候叫号" in printer.tickets[0].text  # issue 15, finding 9: where to wait
    wait_until(lambda: [e[1] for e in center.applier.events("kiosk-01")] == ["ticket_printed"])


def test_no_number_while_the_outbox_is_full(kiosk, center, monkeypatch) -> None:
    """A number needs one outbox row afterwards (printed or cancelled): with none left, the
    center issues nothing and the kiosk is told why (OutboxFull, which it words)."""
    terminal, client, _, printer = kiosk
    monkeypatch.setattr(terminal.link.outbox, "max_rows", terminal.link.outbox.depth())
    reply = client.call("take_number", category="A")
    assert reply["error"]["type"] == "OutboxFull" and not center.queue.issued and not printer.tickets


def test_no_ghost_ticket_when_the_printer_is_out_of_paper(kiosk, center) -> None:
    terminal, client, _, printer = kiosk
    printer.handle_command(["printer", "paper", "out"])
    wait_until(lambda: terminal.supervisor.states()["printer"].reason.value == "paper_out")
    reply = client.call("take_number", category="A", use_card=False)
    assert not reply["ok"] and reply["error"]["type"] == "PrinterNotReady"
    assert center.queue.issued == []  # the center was never asked: no ticket exists
    data = client.call("device_states")["result"]["devices"]["printer"]
    assert (data["state"], data["reason"]) == ("offline", "paper_out")


def test_a_ticket_that_fails_to_print_is_cancelled_at_the_center(kiosk, center, monkeypatch) -> None:
    terminal, client, _, printer = kiosk
    printer_driver = terminal.supervisor.by_family(PRINTER)

    from core.devstate import Reason
    from drivers.printer.driver import PrintNotConfirmed

    def jam(job_id, job):
        raise PrintNotConfirmed(Reason.PAPER_OUT, "paper ran out mid-ticket")
    monkeypatch.setattr(printer_driver, "print_ticket", jam)
    reply = client.call("take_number", category="B", use_card=False)
    assert not reply["ok"] and reply["error"]["type"] == "PrinterNotReady" and "cancelled" in reply["error"]["message"]
    wait_until(lambda: [e[1] for e in center.applier.events("kiosk-01")] == ["ticket_cancelled"])


def test_a_refusal_of_the_center_reaches_the_kiosk_with_its_own_type(kiosk) -> None:
    """The kiosk words each refusal (err_NotIssuingNow, the closed notice), so the daemon must
    not flatten the center's reason into one generic RequestFailed."""
    _, client, card, printer = kiosk
    card.insert_card(0)
    client.next_event("card_read")
    reply = client.call("take_number", category="H")
    assert not reply["ok"] and reply["error"]["type"] == "NotIssuingNow", reply
    assert HOLIDAY_NOTICE in reply["error"]["message"] and not printer.tickets


def test_finding_3_a_refusal_reaches_the_kiosk_with_the_values_it_names(kiosk) -> None:
    """Issue 15: the come-back time of a too-early booking travels with the error, so the
    kiosk can say it in the citizen's language."""
    _, client, _, printer = kiosk
    reply = client.call("take_number", category="T", use_card=False)
    assert not reply["ok"] and reply["error"]["type"] == "TooEarly", reply
    assert reply["error"]["values"] == {"come_back_at": "11:30"} and not printer.tickets


def test_repeated_print_command_prints_once(kiosk, center, mqtt_settings) -> None:
    terminal, client, _, printer = kiosk
    ticket = {"ticket_id": "7", "ticket_ref": "ref-0000000000000007", "number": "C007", "category": "C",
              "category_name": "税务", "service": "税务", "ahead": 2, "wait_min": 3, "wait_max": 6}
    args = {"job_id": "job-000042", "ticket": ticket}
    first = center.command("kiosk-01", "print_ticket", args, command_id="cmd-print-42")
    again = center.command("kiosk-01", "print_ticket", args, command_id="cmd-print-42")
    assert first.ok and again == first
    wait_until(lambda: len(printer.tickets) == 1)
    # a third time, after the printer reported the first: still the one ticket
    assert center.command("kiosk-01", "print_ticket", args, command_id="cmd-print-42") == first
    assert len(printer.tickets) == 1


def test_malformed_local_requests_get_typed_errors(kiosk) -> None:
    terminal, client, _, _ = kiosk
    client.send_raw(b"this is not json\n")
    client.send_raw(LineCodec.send({"id": 5, "op": "format_disk", "args": {}}))
    client.send_raw(LineCodec.send({"id": 6, "op": "rate", "args": {"level": 9, "ticket": "A001"}}))
    bad = client.reply_to(None)
    assert bad["error"]["type"] == "BadRequest"
    assert client.reply_to(5)["error"] == {"type": "BadRequest", "message": "unknown op 'format_disk'"}
    assert client.reply_to(6)["error"]["type"] == "BadArguments"
    assert client.call("take_number", category="a")["error"]["type"] == "BadArguments"  # the border's, not the op's
    assert client.call("maintenance", enter=True, pin="0000")["error"]["type"] == "NotAllowed"
    assert client.call("test_print")["error"]["type"] == "NotAllowed"
    assert client.call("maintenance", enter=True, pin=PIN)["result"] == {"maintenance": True}
    assert client.call("hello")["result"]["version"] == 1  # still serving


def test_unplugged_reader_goes_offline_and_comes_back(kiosk, center) -> None:
    terminal, client, card, _ = kiosk
    card.unplug()
    deadline = time.monotonic() + 5  # earlier "online" events may still be queued: skip them
    while (state := client.next_event("device_state", timeout=deadline - time.monotonic())) != {
            "device": "idcard", "state": "offline", "reason": "port_gone", "detail": state.get("detail")}:
        pass
    wait_until(lambda: center.terminals["kiosk-01"].devices["idcard"].state == "offline")
    card.plug()
    wait_until(lambda: center.terminals["kiosk-01"].devices["idcard"].state == "online", timeout=8)


def test_telemetry_and_birth_reach_the_center(kiosk, center) -> None:
    wait_until(lambda: "kiosk-01" in center.terminals
               and {"idcard", "printer", "system"} <= set(center.terminals["kiosk-01"].telemetry))
    view = center.terminals["kiosk-01"]
    assert {d.name for d in view.birth.devices} == {"idcard", "printer"}
    system = view.telemetry["system"].values
    assert system["outbox_depth"] == 0 and system["rss_mb"] > 0


def test_rating_key_reaches_the_center_once_across_a_broker_restart(broker, center, mqtt_settings, tmp_path) -> None:
    bus = WindowBusSim(tmp_path / "sim" / "windowbus", addresses=(1, 2, 3))
    bus.start()
    terminal = Terminal(load_terminal(write_config(tmp_path, broker.port, 0, role="window-bus")))
    terminal.start()
    try:
        wait_until(lambda: terminal.link.connected)
        wait_until(lambda: terminal.supervisor.states().get("window1.caller") is not None)
        result = center.command("bus-01", "display", {"window": 2, "number": "A017", "waiting": 4})
        assert result.ok
        wait_until(lambda: "017" in bus.screens()[2])
        assert center.command("bus-01", "beep", {"window": 2}).result == {}
        assert center.command("bus-01", "start_rating", {"window": 2}).result == {}
        assert bus.units[2].beeps == 1 and bus.units[2].rating_open
        broker.stop()
        bus.press_rating(2, 5)
        bus.press_key(3, CallerKey.CALL)
        wait_until(lambda: terminal.link.outbox.depth() == 2)
        broker.start()
        wait_until(lambda: terminal.link.outbox.depth() == 0, timeout=20)
        events = center.applier.events("bus-01")
        assert sorted(e[1] for e in events) == ["caller_key", "rating"]
    finally:
        terminal.stop()
        bus.stop()


def test_an_idle_text_screen_shows_hall_time(broker, center, mqtt_settings, tmp_path) -> None:
    bus = WindowBusSim(tmp_path / "sim" / "windowbus", addresses=(1, 2, 3), profile="modbus")
    bus.start()
    terminal = Terminal(load_terminal(write_config(tmp_path, broker.port, 0, role="window-bus", profile="modbus")))
    terminal.start()
    try:
        wait_until(lambda: terminal.link.clock.synced)
        wait_until(lambda: terminal.supervisor.states().get("window1.screen") is not None)
        assert center.command("bus-01", "display", {"window": 1, "number": None}).ok
        minutes = {f"{local_datetime(center.clock.time() + d):%H:%M}" for d in (0, 60)}
        assert bus.screens()[1] in minutes
        assert center.command("bus-01", "display", {"window": 1, "number": "B007"}).ok
        wait_until(lambda: "7" in bus.screens()[1] and ":" not in bus.screens()[1])
        assert terminal.commands.idle_windows == set()
    finally:
        terminal.stop()
        bus.stop()


def test_watchdog_is_fed_only_while_healthy(tmp_path: Path, broker, center) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    sock.settimeout(3)
    terminal = Terminal(load_terminal(write_config(tmp_path, broker.port, 1)),
                        notifier=Notifier(str(tmp_path / "notify")))
    terminal.start()
    try:
        assert b"READY=1" in sock.recv(4096)
        terminal.tick()
        got = [sock.recv(4096) for _ in range(2)]
        assert any(b"WATCHDOG=1" in m for m in got)
        terminal.api.stop()  # a dead local API is the daemon's own failure
        terminal.tick()
        got = [sock.recv(4096) for _ in range(1)]
        assert not any(b"WATCHDOG=1" in m for m in got) and b"unhealthy: local API dead" in got[-1]
    finally:
        terminal.stop()
        sock.close()
