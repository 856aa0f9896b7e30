"""An X server of our own for the kiosk's UI runs (tests, screenshots, bench)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _free_display() -> int:
    for n in range(140, 400):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number")


@contextmanager
def xvfb() -> Iterator[str]:
    """Start Xvfb on a free display, big enough for portrait and landscape; yield DISPLAY."""
    for _ in range(5):
        n = _free_display()
        proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1920x1920x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            time.sleep(0.05)
        if proc.poll() is None:
            break  # else another process took the number first: try the next one
    else:
        raise RuntimeError("Xvfb did not start")
    try:
        yield f":{n}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_driver(display: str, scenario: str, *, orientation: str = "portrait", language: str = "zh",
               elder: bool = False, shots: Path | None = None, timeout: float = 120,
               extra: list[str] | None = None) -> dict[str, Any]:
    """Run one UI scenario in its own process (Kivy makes one window per process)."""
    with tempfile.TemporaryDirectory(prefix="kiosk-run-") as tmp:
        report = Path(tmp) / "report.json"
        env = {**os.environ, "DISPLAY": display, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(Path(tmp) / "kivy"),
               "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1", "ONETRIP_STATE_DIR": str(Path(tmp) / "state")}
        cmd = [sys.executable, "-m", "hallrig.kiosk_run", scenario, "--orientation", orientation,
               "--language", language, "--report", str(report), *(["--elder"] if elder else []),
               *(["--shots", str(shots)] if shots else []), *(extra or [])]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        if not report.exists():
            return {"ok": False, "error": f"driver exited {proc.returncode} without a report",
                    "stderr": proc.stderr[-4000:]}
        result = json.loads(report.read_text())
        result["returncode"] = proc.returncode
        result["stderr"] = proc.stderr
        return result
