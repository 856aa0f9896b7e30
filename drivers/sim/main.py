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
from typing import Any

from pydantic import create_model

from core.config import ConfigModel, load_config
from core.paths import CONFIG_DIR, state_dir
from drivers.family import Simulator
from drivers.registry import FAMILIES


class SimConfigBase(ConfigModel):
    control_socket: str = "control.sock"


def _sim_config() -> type[SimConfigBase]:
    """sim.toml's model: the control socket, and one optional section per family's simulator."""
    sections: dict[str, Any] = {f.sim.word: (f.sim.settings | None, None) for f in FAMILIES}
    return create_model("SimConfig", __base__=SimConfigBase, **sections)


SimConfig = _sim_config()


def build(config: ConfigModel, run_dir: Path) -> dict[str, Simulator]:
    """The configured simulators, by the word that steers them (not yet started)."""
    return {f.sim.word: f.sim.build(settings, run_dir) for f in FAMILIES
            if (settings := getattr(config, f.sim.word)) is not None}


def outputs(config: ConfigModel, run_dir: Path) -> dict[str, Path]:
    """What the configured simulators write where (the printer's tickets), for the banner."""
    return {label: path for f in FAMILIES if (settings := getattr(config, f.sim.word)) is not None
            for label, path in f.sim.outputs(settings, run_dir).items()}


# ---- the console -----------------------------------------------------------------------
class Console:
    """Turns one command line into one answer line; shared by stdin and the control socket."""

    def __init__(self, sims: dict[str, Simulator], stop: threading.Event) -> None:
        self.sims, self.stop = sims, stop
        self._lock = threading.Lock()
        parts = [f.sim for f in FAMILIES if f.sim.word in sims]
        self._words = {word: part.word for part in parts for word in (part.word, *part.aliases)}
        self._usage = [part.usage or f"{part.word} …" for part in parts]

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
                return ("commands: " + " | ".join(self._usage + ["unplug <device>", "plug <device>", "status", "quit"])
                        + "; '<device>' alone shows its usage")
            case ["status"]:
                return " ; ".join(sim.describe() for sim in self.sims.values()) or "no simulators"
            case ["quit" | "exit"]:
                self.stop.set()
                return "bye"
            case ["unplug" | "plug" | "replug" as verb, device] if device in self.sims:
                return self.sims[device].handle_command([device, "plug" if verb == "replug" else verb])
            case [word, *_] if word in self._words:
                return self.sims[self._words[word]].handle_command(words)
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
    started: list[Simulator] = []
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
        for label, path in outputs(config, run_dir).items():
            print(f"{label}: {path}")
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

