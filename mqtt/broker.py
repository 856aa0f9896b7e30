"""Run a real Mosquitto with the project's config on a free loopback port (tests, demo, bench)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from core.paths import CONFIG_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A mosquitto child process; `restart()` keeps its port and persistence (outage tests)."""

    def __init__(self, port: int | None = None, config: Path | None = None, workdir: Path | None = None,
                 extra: str = "") -> None:
        self.port = port or free_port()
        self.template = config or CONFIG_DIR / "mosquitto" / "onetrip.conf"
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="onetrip-broker-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 5.0) -> "Broker":
        exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        conf = self.dir / "mosquitto.conf"
        text = self.template.read_text().format(port=self.port, dir=self.dir) + self.extra
        conf.write_text(text + "\nuser root\n" if _is_root() else text)
        self.proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir / "mosquitto.log", "ab"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited: {(self.dir / 'mosquitto.log').read_text()[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"mosquitto did not listen on {self.port}")

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if kill else self.proc.terminate()
            self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> "Broker":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _is_root() -> bool:
    import os

    return os.geteuid() == 0
