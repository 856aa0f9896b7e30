"""The kiosk UI run in its own process (Kivy makes one window per process): the world (the
fake daemon, or a real hall's kiosk), the app, and one scenario of hallrig/kiosk_scenarios.py
driven by hallrig/kiosk_driver.py. `hallrig.kiosk_xvfb.run_driver` starts it with `-m`."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.clock import Clock, FakeClock
from hallrig import kiosk_scenarios
from hallrig.kiosk_driver import OPEN_TIME, DaemonControl, Driver, Step
from hallrig.kiosk_fake_daemon import FakeDaemon
from kiosk.main import configure_kivy
from kiosk.settings import KioskSettings


def settings_for(socket_path: Path, args: argparse.Namespace) -> KioskSettings:
    return KioskSettings(socket=socket_path, orientation=args.orientation, fullscreen=False,
                         language=args.language, idle_seconds=args.idle, countdown_seconds=2, card_timeout=30,
                         result_seconds=120, request_timeout=3, maintenance_taps=5)


@contextmanager
def world(args: argparse.Namespace) -> Iterator[tuple[DaemonControl, KioskSettings, Clock]]:
    """The fake daemon at 10:00 on a working day, or (`--hall`) a real hall's daemon on its clock."""
    if args.hall:
        from hallrig.kiosk_hall_adapter import HallDaemon

        hall = HallDaemon(**json.loads(args.hall))
        try:
            yield hall, settings_for(hall.socket, args), hall.clock
        finally:
            hall.close()
        return
    work = Path(tempfile.mkdtemp(prefix="kiosk-drv-"))
    daemon = FakeDaemon(work / "localapi.sock")
    daemon.start()
    clock = FakeClock()
    clock.set(OPEN_TIME)
    try:
        yield daemon, settings_for(work / "localapi.sock", args), clock
    finally:
        daemon.stop()


def main(argv: list[str]) -> int:

    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(kiosk_scenarios.SCENARIOS))
    parser.add_argument("--report", required=True)
    parser.add_argument("--orientation", default="portrait", choices=["portrait", "landscape"])
    parser.add_argument("--language", default="zh", choices=["zh", "en"])
    parser.add_argument("--elder", action="store_true")
    parser.add_argument("--shots", default=None)
    parser.add_argument("--idle", type=float, default=600)
    parser.add_argument("--hall", default=None, help="JSON: a real hall's kiosk (HallControl.spec())")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    with world(args) as (daemon, settings, clock):
        return drive(args, daemon, settings, clock)


def drive(args: argparse.Namespace, daemon: DaemonControl, settings: KioskSettings, clock: Clock) -> int:

    configure_kivy(settings)
    from kivy.clock import Clock as KivyClock

    from kiosk.app import KioskApp
    from kiosk.widgets import STYLE

    app = KioskApp(settings, clock)
    tag = f"{args.orientation}-{args.language}" + ("-elder" if args.elder else "")
    shots = Path(args.shots) if args.shots else Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    driver = Driver(app, daemon, clock, shots, tag)
    driver.keep_shots = bool(args.shots)
    report: dict[str, Any] = {"ok": False, "scenario": args.scenario, "tag": tag}
    scenario = kiosk_scenarios.SCENARIOS[args.scenario]

    def steps() -> Step:
        yield from driver.screen("home", timeout=20)
        if args.elder:
            yield from driver.tap("toggle_elder")
            driver.check(STYLE.elder, "elder mode on")
        yield from scenario(driver)

    gen = steps()
    wake = [0.0]

    def advance(_dt: float) -> None:
        if time.monotonic() < wake[0]:
            return
        try:
            delay = next(gen)
            wake[0] = time.monotonic() + float(delay or 0)
        except StopIteration:
            report["ok"] = True
            finish()
        except Exception as exc:
            report["error"] = f"{type(exc).__name__}: {exc}"
            report["traceback"] = traceback.format_exc()[-3000:]
            finish()

    def finish() -> None:
        event.cancel()
        report.update(shots=driver.shots, overflows=driver.overflows, notes=driver.notes, a11y=driver.a11y)
        if isinstance(daemon, FakeDaemon):
            report["requests"] = [op for op, _ in daemon.requests]
        Path(args.report).write_text(json.dumps(report, ensure_ascii=False, indent=1))
        app.stop()

    event = KivyClock.schedule_interval(advance, 0.02)
    app.run()
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
