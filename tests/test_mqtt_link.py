"""The hall link against a real Mosquitto: presence, requests, commands, malformed input."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from core.answers import TicketAnswer
from core.clock import FakeClock
from core.errors import CenterUnreachable, OneTripError, RequestTimeout
from mqtt.center import CenterLink
from mqtt.contract import Command, CommandResult, ContractError, Kind, Status, Topics, decode, encode
from mqtt.ledger import SqliteLedger
from mqtt.payloads import InvalidArgs, hall_data
from mqtt.terminal import RequestFailed, TerminalLink
from tests.conftest import wait_until


class NoSuchCategory(OneTripError):
    pass


@pytest.fixture
def center(mqtt_settings, tmp_path: Path):
    link = CenterLink(mqtt_settings, SqliteLedger(tmp_path / "ledger.sqlite"))

    def take_number(terminal: str, args: dict) -> dict:
        if args.get("category") == "Z":
            raise NoSuchCategory("no category Z")
        if args.get("slow"):
            time.sleep(args["slow"])
        return {"terminal": terminal, "echo": args.get("n")}

    link.on_request("take_number", take_number)
    link.start()
    assert link.wait_connected(5)
    yield link
    link.stop()


@pytest.fixture
def make_terminal(mqtt_settings, tmp_path: Path):
    made: list[TerminalLink] = []

    def make(name: str = "kiosk-1", **kw) -> TerminalLink:
        link = TerminalLink(mqtt_settings, name, tmp_path / name, **kw)
        link.start()
        assert link.wait_connected(5)
        made.append(link)
        return link

    yield make
    for link in made:
        link.stop(graceful=False)


def raw_client(settings) -> paho.Client:
    c = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    c.connect(settings.host, settings.port)
    c.loop_start()
    return c


def test_birth_then_clean_exit_marks_offline(center, make_terminal) -> None:
    term = make_terminal()
    view = wait_until(lambda: center.terminals.get("kiosk-1") if center.terminals.get("kiosk-1", None)
                      and center.terminals["kiosk-1"].birth else None)
    assert view.online and view.birth.session == view.session == term.session.value >= 1
    term.stop()
    wait_until(lambda: not center.terminals["kiosk-1"].online)


def test_killed_terminal_process_fires_its_last_will(center, mqtt_settings, tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tests.mqtt_peer", str(mqtt_settings.port), mqtt_settings.hall,
                             "kiosk-9", str(tmp_path / "k9"), "1"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("emitted")
        wait_until(lambda: center.terminals.get("kiosk-9") and center.terminals["kiosk-9"].online)
        session = center.terminals["kiosk-9"].session
    finally:
        proc.kill()
        proc.wait()
    wait_until(lambda: not center.terminals["kiosk-9"].online)
    assert center.terminals["kiosk-9"].session == session  # the will names the same session


def test_late_offline_of_an_old_session_is_ignored(center, make_terminal, mqtt_settings) -> None:
    term = make_terminal()
    wait_until(lambda: center.terminals.get("kiosk-1") and center.terminals["kiosk-1"].online)
    old = Status(state="offline", session=term.session.value - 1 if term.session.value > 1 else 0, ts=0)
    c = raw_client(mqtt_settings)
    c.publish(Topics(mqtt_settings.hall).status("kiosk-1"), encode(old), qos=1, retain=True).wait_for_publish(2)
    c.loop_stop()
    wait_until(lambda: center.stats["stale_status_ignored"] >= 1)
    assert center.terminals["kiosk-1"].online
    # and the terminal restores its own retained status, so a center started later sees it online
    seen: list[Status] = []
    c2 = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    c2.on_message = lambda cl, u, m: seen.append(decode(Kind.STATUS, m.payload))
    c2.connect(mqtt_settings.host, mqtt_settings.port)
    c2.subscribe(Topics(mqtt_settings.hall).status("kiosk-1"), qos=1)
    c2.loop_start()
    wait_until(lambda: seen and seen[-1].state == "online")
    c2.loop_stop()


def test_concurrent_requests_each_get_their_own_answer(center, make_terminal) -> None:
    term = make_terminal()
    wait_until(lambda: term.center_reachable)
    answers: dict[int, dict] = {}

    def ask(base: int) -> None:
        for i in range(base, base + 25):
            answers[i] = term.request("take_number", {"n": i})

    threads = [threading.Thread(target=ask, args=(k * 100,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 200
    assert all(a == {"terminal": "kiosk-1", "echo": n} for n, a in answers.items())


def test_request_errors_are_typed(center, make_terminal) -> None:
    term = make_terminal()
    wait_until(lambda: term.center_reachable)
    with pytest.raises(RequestFailed) as err:
        term.request("take_number", {"category": "Z"})
    assert err.value.type == "NoSuchCategory"
    with pytest.raises(RequestFailed, match="no op"):
        term.request("no_such_op")
    with pytest.raises(RequestTimeout):
        term.request("take_number", {"slow": 1.5}, timeout=0.3)


def test_an_answer_is_held_to_its_shape_at_both_ends(center, make_terminal) -> None:
    """The center's answer is checked before it leaves and again when it arrives: a field
    renamed on one side fails at the border, never on the citizen's paper."""
    term = make_terminal()
    wait_until(lambda: term.center_reachable)
    ticket = {"ticket_id": "7", "ticket_ref": "r" * 16, "number": "A007", "category": "A", "category_name": "不动产登记",
              "service": "不动产转移登记", "ahead": 2}
    center.on_request("issue", lambda terminal, args: {**ticket, **args}, answer=TicketAnswer)
    got = term.request("issue", {}, answer=TicketAnswer)
    assert got["number"] == "A007" and got["materials"] == [] and got["wait_min"] is None  # the shape's defaults
    with pytest.raises(RequestFailed) as err:  # the center's own misfit: logged there, InternalError here
        term.request("issue", {"letter": "A"}, answer=TicketAnswer)
    assert err.value.type == "InternalError"
    center.on_request("issue", lambda terminal, args: {**ticket, "letter": "A"})  # a center that does not check
    with pytest.raises(ContractError, match="TicketAnswer"):
        term.request("issue", {}, answer=TicketAnswer)


def test_a_command_is_held_to_its_shape_before_it_is_sent_and_before_it_acts(center, make_terminal) -> None:
    """A command of the contract (payloads.COMMANDS) leaves the center only in its shape, and a
    terminal acts only on its shape: a hand-made misfit is refused with the fields named."""
    term = make_terminal()
    shown: list[dict] = []
    term.on_command("display", lambda args: shown.append(args) or {"shown": args.get("number")})
    with pytest.raises(InvalidArgs, match="window"):
        center.send_command("kiosk-1", "display", {"window": "二号窗", "number": "A017"})
    assert center.command("kiosk-1", "display", {"window": 2, "number": "A017", "waiting": 4}).result == {
        "shown": "A017"}
    misfit = Command(command_id="cmd-misfit-1", args={"window": 2, "number": "A017; rm -rf"}, ttl=30)
    center.publish(center.topics.command("kiosk-1", "display"), misfit)  # past the center's own check
    wait_until(lambda: term.outbox.answer_for("cmd-misfit-1") is not None)
    answer = decode(Kind.TERM_RES, term.outbox.answer_for("cmd-misfit-1"), CommandResult)
    assert not answer.ok and answer.error.type == "InvalidArgs" and "number" in answer.error.message
    assert shown == [{"window": 2, "number": "A017", "waiting": 4}]


def test_a_hall_channel_is_published_and_read_only_in_its_shape(center) -> None:
    """What every screen reads (hall/queue, hall/calls, hall/catalog) leaves the center only in
    its shape, and a reader refuses a misfit as a ContractError, keeping what it had."""
    call = {"announcement_id": 7, "ticket_id": 12, "number": "A012", "category": "A", "window": "3",
            "window_name": "3号窗口", "kind": "recall", "at": 1_795_000_000.0}
    assert hall_data("calls", call) == call
    with pytest.raises(ContractError, match="HallCall"):
        center.publish_hall("calls", {**call, "kind": "shout"})
    with pytest.raises(ContractError, match="HallQueue"):
        hall_data("queue", {"categories": [{"letter": "A", "waiting": 3}]})  # the kiosk's words, not the hall's
    snapshot = {"format": 1, "hash": "3f2a9c0d1e2b", "categories": [], "items": []}
    assert hall_data("catalog", snapshot) == snapshot  # the catalog keeps its own fields


def test_center_unreachable_is_told_at_once(mqtt_settings, make_terminal) -> None:
    """Told by CenterUnreachable, not by waiting out the 30 s timeout (that is RequestTimeout): the
    answer must come within a functional deadline far below it."""
    term = make_terminal()
    with ThreadPoolExecutor(1) as pool:
        asked = pool.submit(term.request, "take_number", timeout=30)
        with pytest.raises(CenterUnreachable):
            asked.result(timeout=10)


def test_center_goes_offline_and_back_is_seen(center, make_terminal) -> None:
    term = make_terminal()
    changes: list[bool] = []
    term.center_listeners.append(changes.append)
    wait_until(lambda: term.center_reachable)
    center.stop()
    wait_until(lambda: not term.center_online)
    assert changes[-1] is False


def test_commands_run_once_per_id_and_expire_by_the_time_they_waited_here(center, make_terminal) -> None:
    clock = FakeClock()  # the terminal's own clock: only the test moves it
    term = make_terminal(clock=clock)
    runs: list[dict] = []
    release, slow_running = threading.Event(), threading.Event()
    term.on_command("count", lambda args: runs.append(args) or {"counted": len(runs)})
    term.on_command("slow", lambda args: slow_running.set() or (release.wait(10) and {}))
    first = center.command("kiosk-1", "count", {"n": 1}, command_id="cmd-00000001")
    again = center.command("kiosk-1", "count", {"n": 1}, command_id="cmd-00000001")
    assert first.ok and first == again and len(runs) == 1
    # A command stuck behind a slow one past its ttl is not run, and the center is told.
    center.send_command("kiosk-1", "slow", {}, command_id="cmd-00000002")
    results: list = []
    waiter = threading.Thread(target=lambda: results.append(
        center.command("kiosk-1", "count", {"n": 2}, ttl=5, command_id="cmd-00000003")))
    assert slow_running.wait(10)
    waiter.start()
    wait_until(lambda: term._lanes["commands"].qsize() >= 1)  # the count has arrived and waits behind "slow"
    clock.advance(6)
    release.set()
    waiter.join(15)
    assert results and not results[0].ok and results[0].error.type == "CommandExpired"
    assert term.stats["commands_expired"] == 1 and len(runs) == 1
    unknown = center.command("kiosk-1", "explode", {})
    assert not unknown.ok and unknown.error.type == "UnknownCommand"


def test_a_terminal_whose_clock_is_off_runs_commands_and_keeps_hall_time(center, make_terminal) -> None:
    """The center's clock is hall time; a terminal ten minutes ahead measures its offset,
    stamps hall time and runs a 30 s command all the same (issue 11)."""
    clock = FakeClock(start=time.time() + 600)
    term = make_terminal(clock=clock)
    wait_until(lambda: term.hall_clock.synced)
    assert abs(term.hall_clock.offset + 600) < 5
    assert abs(term.clock.time() - time.time()) < 5  # hall time, whatever its own clock says
    status = term.get_status()
    assert status["clock_synced"] and abs(status["clock_offset_ms"] + 600_000) < 5_000
    term.on_command("count", lambda args: {"ok": 1})
    assert center.command("kiosk-1", "count", {}, ttl=30).ok
    clock.set(datetime.now(timezone.utc))  # the machine's clock is set right: the next measurement follows
    term.measure_offset()
    assert abs(term.hall_clock.offset) < 5


def test_malformed_payloads_on_every_subscribed_topic_are_rejected(center, make_terminal, mqtt_settings) -> None:
    term = make_terminal()
    wait_until(lambda: term.center_reachable)
    t = Topics(mqtt_settings.hall)
    garbage = [b"", b"not json", b'{"ok": "maybe"}', b"\xff" * 10, b'{"state": "online"}']
    topics = [t.status("kiosk-2"), t.birth("kiosk-2"), t.dev_state("kiosk-2", "printer"),
              t.dev_tele("kiosk-2", "printer"), t.event("kiosk-2", "rating"), t.request("kiosk-2", "take_number"),
              t.term_res("kiosk-2"), t.ctl_res("kiosk-1"), t.ack("kiosk-1"), t.command("kiosk-1", "beep"),
              t.center_status()]
    c = raw_client(mqtt_settings)
    for topic in topics:
        for payload in garbage:
            c.publish(topic, payload, qos=1).wait_for_publish(2)
    c.loop_stop()
    wait_until(lambda: center.stats["rejected"] + term.stats["rejected"] >= 40)
    assert center.stats["handler_errors"] == term.stats["handler_errors"] == 0
    assert center.network_alive and term.network_alive
    assert term.request("take_number", {"n": 1}) == {"terminal": "kiosk-1", "echo": 1}
