"""`onetrip daemon`: a terminal's hardware daemon (run by systemd as Type=notify)."""
from __future__ import annotations

import argparse
import signal

from core.paths import CONFIG_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=str(CONFIG_DIR / "kiosk-01.toml"), help="terminal config (TOML)")
    parser.add_argument("--check", action="store_true", help="validate the config and exit")


def run(args: argparse.Namespace) -> int:
    from daemon.config import load_terminal
    from daemon.terminal import Terminal

    setup = load_terminal(args.config)
    if args.check:
        print(f"{args.config}: ok ({setup.config.terminal}, {len(setup.devices)} devices, hash {setup.config_hash})")
        return 0
    terminal = Terminal(setup, clock=setup.config.clock.clock())
    signal.signal(signal.SIGTERM, lambda *_: terminal.request_stop())
    terminal.start()
    try:
        terminal.run()
    except KeyboardInterrupt:
        pass
    finally:
        terminal.stop()
    return 0
