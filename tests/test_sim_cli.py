"""`onetrip sim` as a process: started from TOML, steered through its control socket and stdin."""
from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from core.devstate import DeviceState
from drivers.scanner.codec import CodeScanned
from drivers.scanner.driver import Scanner, ScannerSettings
from drivers.transport import SerialTransport
from drivers.windowbus.codec import RatingPressed
from drivers.windowbus.driver import WindowBus
from tests.conftest import wait_until

CONFIG = """
control_socket = "ctl.sock"
[card]
[printer]
tcp_port = 0
[bus]
addresses = [1, 2, 3, 4]
[scanner]
"""


class SimProcess:
    def __init__(self, run_dir: Path, config: Path) -> None:
        self.run_dir = run_dir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "onetrip.cli", "--log-level", "WARNING", "sim", "--config", str(config),
             "--run-dir", str(run_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
            cwd=Path(__file__).resolve().parent.parent)
        assert self.proc.stdout is not None
        self.banner: list[str] = []
        for line in self.proc.stdout:
            self.banner.append(line.rstrip("\n"))
            if line.startswith("ready"):
                break
        control = next(line for line in self.banner if line.startswith("control: "))
        self.control = control.removeprefix("control: ")

    def ask(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(self.control)
            sock.sendall(line.encode("utf-8") + b"\n")
            return sock.makefile("r", encoding="utf-8").readline().rstrip("\n")

    def type(self, line: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().rstrip("\n")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimProcess]:
    run_dir = tmp_path_factory.mktemp("sim")
    config = run_dir / "sim.toml"
    config.write_text(CONFIG, encoding="utf-8")
    process = SimProcess(run_dir, config)
    yield process
    if process.proc.poll() is None:
        process.proc.terminate()
    process.proc.wait(10)


def test_banner_says_where_each_simulator_listens(sim: SimProcess) -> None:
    text = "\n".join(sim.banner)
    for needle in (f"card: idcard reader at {sim.run_dir / 'idcard'}", "printer (tcp 127.0.0.1:",
                   f"bus: window bus (ft12) on {sim.run_dir / 'windowbus'}: units 1:ok, 2:ok, 3:ok, 4:ok",
                   f"scanner: scanner on {sim.run_dir / 'scanner.events'}", f"tickets: {sim.run_dir / 'tickets'}"):
        assert needle in text
    assert (sim.run_dir / "windowbus").is_symlink() and (sim.run_dir / "scanner.events").is_fifo()


def test_help_status_and_routing_to_every_simulator(sim: SimProcess) -> None:
    assert sim.ask("help").startswith("commands: card … | printer … | bus …")
    assert sim.ask("status").count(" ; ") == 3
    assert sim.ask("card insert 张三").startswith("ok: inserted")
    assert "paper out" in sim.ask("printer paper out")
    assert "paper ok" in sim.ask("printer paper ok")
    assert sim.ask("bus key 9 call").startswith("error: no window unit at address 9")
    assert sim.ask("toaster on").startswith("error: no simulator answers 'toaster'")
    assert sim.type("bus show") == "1=[] 2=[] 3=[] 4=[]"  # stdin gets the same console


def test_the_window_bus_driver_talks_to_the_simulated_bus(sim: SimProcess) -> None:
    events: list[object] = []
    driver = WindowBus("bus", SerialTransport(str(sim.run_dir / "windowbus"), 9600),
                       windows={w: w for w in (1, 2, 3, 4)}, reply_timeout=0.1, retries=1, probe_interval=0.3,
                       on_event=lambda name, event: events.append(event))
    driver.start()
    try:
        wait_until(lambda: driver.condition.state is DeviceState.ONLINE, 5)
        driver.show(2, 8, waiting=3)
        assert "2=[003008]" in sim.ask("bus show")
        assert sim.ask("bus key 3 rate 5") == "rating 5 pressed on pad 3"
        wait_until(lambda: events, 3)
        assert [(e.window, e.event) for e in events] == [(3, RatingPressed(3, 5))]  # type: ignore[attr-defined]
        assert sim.ask("unplug bus") == "bus unplugged"
        wait_until(lambda: driver.condition.state is DeviceState.OFFLINE, 3)
        assert sim.ask("plug bus") == "bus plugged in"
        wait_until(lambda: driver.condition.state is DeviceState.ONLINE, 5)
    finally:
        driver.stop()


def test_scan_reaches_the_scanner_driver(sim: SimProcess) -> None:
    events: list[object] = []
    scanner = Scanner.from_settings("scanner", ScannerSettings(nodes=[str(sim.run_dir / "scanner.events")]),
                                    on_event=lambda name, event: events.append(event))
    scanner.start()
    try:
        wait_until(lambda: scanner.condition.state is DeviceState.ONLINE, 5)
        assert sim.ask("scan A001") == "scanned 'A001'"
        wait_until(lambda: events, 3)
        assert events == [CodeScanned("A001")]
    finally:
        scanner.stop()


def test_quit_stops_the_process_and_removes_the_socket(sim: SimProcess) -> None:
    assert sim.ask("quit") == "bye"
    assert sim.proc.wait(10) == 0
    assert not Path(sim.control).exists()


def test_a_bad_config_is_one_line_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "sim.toml"
    config.write_text("[bus]\naddresses = [1, 1]\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "onetrip.cli", "sim", "--config", str(config),
                           "--run-dir", str(tmp_path)], capture_output=True, text=True, timeout=30,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 2
    assert "bus.addresses" in done.stderr and "distinct" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
