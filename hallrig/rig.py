"""Building blocks for running a hall on one machine: configs, processes, simulators.

The demo, the benchmarks and the fault tests all start real processes (`onetrip center`,
`onetrip daemon`, `onetrip sim`, `onetrip kiosk`) against configs written here from the
examples in config/, so what runs is what a hall installs.
"""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterable

from core.paths import PROJECT_ROOT

DEMO_SECRET = "demo-only-secret-replace-on-install"
DEMO_PIN = "2468"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_toml(path: Path, data: dict[str, Any]) -> Path:
    """Tables after plain keys, nested tables as [a.b] headers: enough for our configs."""
    lines: list[str] = []

    def emit(prefix: str, table: dict[str, Any]) -> None:
        plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in table.items() if k not in plain}
        if prefix:
            lines.append(f"\n[{prefix}]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in plain.items())
        for k, v in nested.items():
            emit(f"{prefix}.{k}" if prefix else k, v)

    emit("", data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def terminal_config(run: Path, terminal: str, broker_port: int, *, printer_port: int | None = None,
                    card: bool = True, scanner: bool = True, bus_windows: dict[int, int] | None = None,
                    hall: str = "demo", telemetry_period: float = 10.0, location: str = "",
                    tls: dict[str, str] | None = None, clock: dict[str, Any] | None = None) -> Path:
    """A terminal config whose devices are the simulators under `run/sim-<terminal>/`."""
    sims = run / f"sim-{terminal}"
    devices: dict[str, Any] = {}
    if card:
        devices["idcard"] = {"family": "idcard", "port": str(sims / "idcard")}
    if printer_port is not None:
        devices["printer"] = {"family": "printer", "transport": "tcp", "host": "127.0.0.1", "tcp_port": printer_port}
    if scanner:
        devices["scanner"] = {"family": "scanner", "nodes": [str(sims / "scanner.events")]}
    if bus_windows:
        devices["bus"] = {"family": "windowbus", "port": str(sims / "windowbus"),
                          "windows": {str(k): v for k, v in bus_windows.items()}}
    return write_toml(run / f"{terminal}.toml", {
        "terminal": terminal, "role": "window-bus" if bus_windows and printer_port is None else "kiosk",
        "hall_name": "示范市市民中心", "location": location or terminal,
        "citizen_key_secret": DEMO_SECRET,
        "maintenance_pin_sha256": hashlib.sha256(DEMO_PIN.encode()).hexdigest(),
        "state_dir": str(run / terminal), "debounce": 1.0,
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "hall": hall, **(tls or {})},
        "local_api": {"socket": str(run / terminal / "kiosk.sock")},
        "telemetry": {"period": telemetry_period},
        **({"clock": clock} if clock else {}),
        "devices": devices,
    })


def sim_config(run: Path, terminal: str, *, printer_port: int | None = None, card: bool = True,
               scanner: bool = True, bus_addresses: Iterable[int] = ()) -> Path:
    data: dict[str, Any] = {"control_socket": "control.sock"}
    if card:
        data["card"] = {"link": "idcard"}
    if printer_port is not None:
        data["printer"] = {"tcp_port": printer_port, "link": "printer", "tickets": "tickets"}
    if scanner:
        data["scanner"] = {"node": "scanner.events"}
    if bus_addresses:
        data["bus"] = {"link": "windowbus", "addresses": list(bus_addresses)}
    return write_toml(run / f"sim-{terminal}.toml", data)


class Proc:
    """A child `onetrip …` process with its output in a log file; stopped with SIGTERM."""

    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.popen = subprocess.Popen([sys.executable, "-m", "onetrip.cli", *args], cwd=PROJECT_ROOT,
                                      stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      env={**os.environ, **(env or {})}, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 8.0) -> None:
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.log.close()

    def kill(self) -> None:
        self.popen.kill()
        self.popen.wait()


def wait_for(path_or_check: Path | Any, timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    check = path_or_check.exists if isinstance(path_or_check, Path) else path_or_check
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what or path_or_check} not ready within {timeout}s")
