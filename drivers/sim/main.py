"""`onetrip sim`: the hall's devices without the hall — simulators started from one TOML file.

Each simulator speaks its device's wire protocol on a pty, a TCP port or a FIFO, exactly
where a terminal's config points its drivers. People and tests steer them with one-line
commands (`card insert 张三`, `printer paper out`, `bus key 3 rate 5`, `scan A001`), typed
on stdin or sent to the Unix control socket: one line in, one line out. The first word
picks the simulator; `unplug <device>` / `plug <device>` pull and put back its cable.
"""
from __future__ import annotations

import argparse
import signal
import socketserver
import sys
import threading
from pathlib import Path
from typing import Literal, Protocol

from pydantic import Field, field_validator

from core.config import ConfigModel, load_config
from core.paths import CONFIG_DIR, state_dir


class Sim(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def handle_command(self, words: list[str]) -> str: ...
    def describe(self) -> str: ...


# ---- config: every path is a name inside the run directory ----------------------------
class CardSimSettings(ConfigModel):
    link: str = "idcard"


class PrinterSimSettings(ConfigModel):
    tcp_port: int = Field(9100, ge=0, le=65535, description="0 = any free port")
    link: str | None = "printer"
    width_dots: Literal[384, 576] = 576
    tickets: str = "tickets"


class BusSimSettings(ConfigModel):
    link: str = "windowbus"
    profile: Literal["ft12", "modbus"] = "ft12"
    addresses: list[int] = Field([1, 2, 3, 4], min_length=1)

    @field_validator("addresses")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value) or not all(1 <= a <= 247 for a in value):
            raise ValueError("addresses must be distinct and within 1..247")
        return value


class ScannerSimSettings(ConfigModel):
    node: str = "scanner.events"


class SimConfig(ConfigModel):
    control_socket: str = "control.sock"
    card: CardSimSettings | None = None
    printer: PrinterSimSettings | None = None
    bus: BusSimSettings | None = None
    scanner: ScannerSimSettings | None = None


def build(config: SimConfig, run_dir: Path) -> dict[str, Sim]:
    """The configured simulators, by the device word that steers them (not yet started)."""
    sims: dict[str, Sim] = {}
    if config.card:
        from drivers.sim.idcard import IdCardSim

        sims["card"] = IdCardSim(run_dir / config.card.link)
    if config.printer:
        from drivers.sim.printer import PrinterSim

        p = config.printer
        sims["printer"] = PrinterSim(run_dir / p.tickets, tcp_port=p.tcp_port,
                                     link=run_dir / p.link if p.link else None, width_dots=p.width_dots)
    if config.bus:
        from drivers.sim.windowbus import WindowBusSim

        sims["bus"] = WindowBusSim(run_dir / config.bus.link, config.bus.addresses, config.bus.profile)
    if config.scanner:
        from drivers.sim.scanner import ScannerSim

        sims["scanner"] = ScannerSim(run_dir / config.scanner.node)
    return sims


# ---- the console -----------------------------------------------------------------------
ALIASES = {"scan": "scanner"}  # `scan <code>` goes to the scanner


class Console:
    """Turns one command line into one answer line; shared by stdin and the control socket."""

    def __init__(self, sims: dict[str, Sim], stop: threading.Event) -> None:
        self.sims, self.stop = sims, stop
        self._lock = threading.Lock()

    def handle(self, line: str) -> str:
        words = line.split()
        with self._lock:
            try:
                answer = self._route(words)
            except Exception as exc:  # a console typo must never take the simulators down
                answer = f"error: {type(exc).__name__}: {exc}"
        return " / ".join(answer.splitlines())

    def _route(self, words: list[str]) -> str:
        match words:
            case [] | ["help"]:
                return ("commands: " + " | ".join(f"{name} …" for name in self.sims if name != "scanner")
                        + (" | scan <code> | scanner …" if "scanner" in self.sims else "")
                        + " | unplug <device> | plug <device> | status | quit; '<device>' alone shows its usage")
            case ["status"]:
                return " ; ".join(sim.describe() for sim in self.sims.values()) or "no simulators"
            case ["quit" | "exit"]:
                self.stop.set()
                return "bye"
            case ["unplug" | "plug" | "replug" as verb, device] if device in self.sims:
                return self.sims[device].handle_command([device, "plug" if verb == "replug" else verb])
            case [word, *_] if ALIASES.get(word, word) in self.sims:
                return self.sims[ALIASES.get(word, word)].handle_command(words)
        return f"error: no simulator answers {words[0]!r} (running: {', '.join(self.sims) or 'none'}); try help"


class _ControlHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        console: Console = self.server.console  # type: ignore[attr-defined]
        for raw in self.rfile:
            answer = console.handle(raw.decode("utf-8", errors="replace"))
            self.wfile.write(answer.encode("utf-8") + b"\n")


class ControlServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, console: Console) -> None:
        path.unlink(missing_ok=True)  # a socket left by a killed run
        super().__init__(str(path), _ControlHandler)
        self.console = console


# ---- the command -----------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=CONFIG_DIR / "sim.toml",
                        help="simulators to run (default: %(default)s)")
    parser.add_argument("--run-dir", type=Path, default=None,
                        help="where links, FIFOs, tickets and the control socket go (default: $ONETRIP_STATE_DIR/sim)")


def _read_stdin(console: Console) -> None:
    for line in sys.stdin:
        if line.strip():
            print(console.handle(line), flush=True)
    # end of input (e.g. started in the background): keep serving the control socket


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, SimConfig)
    run_dir = args.run_dir or state_dir("sim")
    run_dir.mkdir(parents=True, exist_ok=True)
    sims = build(config, run_dir)
    stop = threading.Event()
    console = Console(sims, stop)
    started: list[Sim] = []
    server: ControlServer | None = None
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        for sim in sims.values():
            sim.start()
            started.append(sim)
        socket_path = run_dir / config.control_socket
        server = ControlServer(socket_path, console)
        threading.Thread(target=server.serve_forever, name="sim-control", daemon=True).start()
        for name, sim in sims.items():
            print(f"{name}: {sim.describe()}")
        if config.printer:
            print(f"tickets: {run_dir / config.printer.tickets}")
        print(f"control: {socket_path}")
        print("ready; type help", flush=True)
        threading.Thread(target=_read_stdin, args=(console,), name="sim-stdin", daemon=True).start()
        stop.wait()
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
            Path(server.server_address).unlink(missing_ok=True)  # type: ignore[arg-type]
        for sim in reversed(started):
            sim.stop()
    return 0

