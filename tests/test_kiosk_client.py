"""The kiosk's local-API client against a real Unix socket server speaking the contract."""
from __future__ import annotations

import queue
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from core.localapi import LineCodec
from hallrig.kiosk_fake_daemon import FakeDaemon
from kiosk.client import DaemonUnreachable, LocalApiCallError, LocalApiClient
from tests.conftest import wait_until


class Recorder:
    """Collects what the client hands to the UI, through a `call_soon` like Kivy's."""

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.threads: set[str] = set()

    def call_soon(self, callback: Any) -> None:
        self.threads.add(threading.current_thread().name)
        callback()

    def next(self, kind: str, timeout: float = 5.0) -> Any:
        while True:
            got, value = self.calls.get(timeout=timeout)
            if got == kind:
                return value


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[FakeDaemon]:
    d = FakeDaemon(tmp_path / "localapi.sock")
    d.start()
    yield d
    d.stop()


@pytest.fixture
def ui() -> Recorder:
    return Recorder()


@pytest.fixture
def client(daemon: FakeDaemon, ui: Recorder) -> Iterator[LocalApiClient]:
    c = LocalApiClient(daemon.path, on_hello=lambda s: ui.calls.put(("hello", s)),
                       on_lost=lambda: ui.calls.put(("lost", None)),
                       on_event=lambda n, d: ui.calls.put(("event", (n, d))),
                       call_soon=ui.call_soon, retry_min=0.05, retry_max=0.2)
    c.start()
    yield c
    c.stop()


def test_hello_on_connect_gives_the_whole_state(client: LocalApiClient, ui: Recorder) -> None:
    state = ui.next("hello")
    assert state["version"] == 1 and state["devices"]["printer"]["state"] == "online"
    assert client.get_status()["connects"] == 1


def test_request_returns_the_result(client: LocalApiClient, daemon: FakeDaemon, ui: Recorder) -> None:
    ui.next("hello")
    daemon.card = {"masked_name": "张*"}
    result = client.request("take_number", {"category": "B", "use_card": True})
    assert result["number"].startswith("B") and result["printed"] is True
    assert daemon.ops("take_number") == [{"category": "B", "use_card": True}]


def test_error_reply_is_a_typed_error(client: LocalApiClient, daemon: FakeDaemon, ui: Recorder) -> None:
    ui.next("hello")
    daemon.set_printer("offline", "paper_out")
    with pytest.raises(LocalApiCallError) as caught:
        client.request("print_checklist", {"service": "不动产转移登记", "materials": []})
    assert caught.value.type == "PrinterNotReady"
    with pytest.raises(LocalApiCallError) as caught:
        client.request("no_such_op")
    assert caught.value.type == "BadRequest"


def test_events_arrive_in_order_through_call_soon(client: LocalApiClient, daemon: FakeDaemon, ui: Recorder) -> None:
    ui.next("hello")
    daemon.place_card("李*", elderly=True)
    daemon.scan("AP-1")
    assert ui.next("event") == ("card_read", daemon.card)
    assert ui.next("event") == ("code_scanned", {"code": "AP-1"})
    assert ui.threads == {"kiosk-localapi"}  # one reader thread hands everything over


def test_submit_runs_off_the_caller_and_calls_back(client: LocalApiClient, ui: Recorder) -> None:
    ui.next("hello")
    client.submit("call_helper", {"topic": "不会操作"}, lambda r: ui.calls.put(("ok", r)),
                  lambda e: ui.calls.put(("err", e)))
    assert ui.next("ok") == {"queued": True}
    client.submit("test_print", {}, lambda r: ui.calls.put(("ok", r)), lambda e: ui.calls.put(("err", e)))
    assert ui.next("err").type == "NotAllowed"
    assert any(name.startswith("kiosk-req") for name in ui.threads)


def test_daemon_gone_then_back_reconnects_and_says_hello(client: LocalApiClient, daemon: FakeDaemon,
                                                         ui: Recorder) -> None:
    ui.next("hello")
    daemon.stop()
    ui.next("lost")
    with pytest.raises(DaemonUnreachable):
        client.request("hello")
    daemon.maintenance = True
    daemon.start()
    assert ui.next("hello")["maintenance"] is True
    assert client.get_status()["connects"] == 2 and client.get_status()["losses"] == 1


def test_no_daemon_at_start_is_reported_once_then_connects(tmp_path: Path, ui: Recorder) -> None:
    path = tmp_path / "late.sock"
    c = LocalApiClient(path, on_hello=lambda s: ui.calls.put(("hello", s)),
                       on_lost=lambda: ui.calls.put(("lost", None)), on_event=lambda n, d: None,
                       call_soon=ui.call_soon, retry_min=0.05, retry_max=0.1)
    c.start()
    try:
        ui.next("lost")
        wait_until(lambda: c.get_status()["losses"] == 1)
        late = FakeDaemon(path)
        late.start()
        ui.next("hello")
        assert c.get_status()["losses"] == 1  # failed attempts while away are one outage
        late.stop()
    finally:
        c.stop()


def test_pending_request_fails_when_the_daemon_dies(tmp_path: Path, ui: Recorder) -> None:
    """A daemon that accepts a request and dies before answering: the caller is told at once."""
    path = str(tmp_path / "mute.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    c = LocalApiClient(path, on_hello=lambda s: None, on_lost=lambda: ui.calls.put(("lost", None)),
                       on_event=lambda n, d: None, call_soon=ui.call_soon, retry_min=5, retry_max=5)
    c.start()
    conn, _ = server.accept()
    outcome: queue.Queue[Any] = queue.Queue()
    c.submit("take_number", {"category": "A"}, outcome.put, outcome.put, timeout=10)
    codec = LineCodec()
    while True:  # read hello and the request, answer neither
        codec.receive_data(conn.recv(4096))
        messages = []
        while isinstance(m := codec.next_event(), dict):
            messages.append(m)
        if any(m.get("op") == "take_number" for m in messages):
            break
    conn.close()
    error = outcome.get(timeout=5)
    assert isinstance(error, DaemonUnreachable) and error.type == "Unreachable"
    c.stop()
    server.close()


def test_request_timeout_is_typed(tmp_path: Path, ui: Recorder) -> None:
    path = str(tmp_path / "slow.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    c = LocalApiClient(path, on_hello=lambda s: None, on_lost=lambda: None, on_event=lambda n, d: None,
                       call_soon=ui.call_soon)
    c.start()
    conn, _ = server.accept()
    deadline = time.monotonic() + 5  # accept() returns before the client marks itself connected
    while not c.connected and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(LocalApiCallError) as caught:
        c.request("queue_summary", timeout=0.3)
    assert caught.value.type == "RequestTimeout"
    assert c.get_status()["pending"] <= 1  # only the unanswered hello remains
    conn.close()
    c.stop()
    server.close()


def test_garbage_lines_are_skipped(tmp_path: Path, ui: Recorder) -> None:
    path = str(tmp_path / "noisy.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    c = LocalApiClient(path, on_hello=lambda s: None, on_lost=lambda: None,
                       on_event=lambda n, d: ui.calls.put(("event", (n, d))), call_soon=ui.call_soon)
    c.start()
    conn, _ = server.accept()
    conn.sendall(b"not json\n[1,2]\n" + LineCodec.send({"event": "center", "data": {"reachable": False}}))
    assert ui.next("event") == ("center", {"reachable": False})
    assert c.get_status()["bad_lines"] == 2
    conn.close()
    c.stop()
    server.close()
