"""`onetrip demo` (`make demo`): the whole hall on this machine with simulated devices.

A Mosquitto broker, the center, two kiosk terminals (daemon + simulators + kiosk window)
and one window-bus terminal driving the LED screens, caller keypads and rating pads of
windows 1–4. With a display it runs until Ctrl-C; with `HEADLESS=1` (or no display) it
runs a scripted hall day instead and writes a report.
"""
from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from core.paths import state_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", type=Path, default=None, help="state, logs and report (default: var/demo)")
    parser.add_argument("--headless", action="store_true", default=os.environ.get("HEADLESS") == "1",
                        help="run a scripted day and write a report (also when no display is present)")
    parser.add_argument("--secure", action="store_true", default=os.environ.get("SECURE") == "1",
                        help="TLS broker with per-terminal certificates and the ACL")
    parser.add_argument("--speed", type=float, default=float(os.environ.get("DEMO_SPEED", 60)),
                        help="how many times faster than real time the hall day runs (default 60)")
    parser.add_argument("--kiosk-windows", type=int, choices=(1, 2), default=int(os.environ.get("DEMO_KIOSKS", 1)),
                        help="kiosk apps on the display: one, or both side by side (each half the screen)")
    parser.add_argument("--visitors", type=int, default=int(os.environ.get("DEMO_VISITORS", 240)),
                        help="citizens in the scripted day (headless)")


def run(args: argparse.Namespace) -> int:
    from hallrig.hall import Hall, clean

    work = args.workdir or state_dir("demo")
    clean(work)
    headless = args.headless or not os.environ.get("DISPLAY")
    hall = Hall(work, speed=args.speed, secure=args.secure, history=headless)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"onetrip demo: starting the hall in {work} (hall time {hall.start_at:%a %Y-%m-%d %H:%M}, "
          f"×{args.speed:g})", flush=True)
    try:
        hall.start(kiosk_windows=0 if headless else args.kiosk_windows)
        hall.wait_ready()
        print("\n".join(hall.addresses()), flush=True)
        if headless:
            from hallrig.day import run_day

            report = run_day(hall, visitors=args.visitors)
            print(f"report: {report}", flush=True)
        else:
            print("the hall is open; Ctrl-C closes it", flush=True)
            stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("closing the hall…", flush=True)
        hall.stop()
    return 0
