"""`onetrip daemon`: a terminal's hardware daemon."""
from __future__ import annotations

import argparse

from core.paths import CONFIG_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=str(CONFIG_DIR / "kiosk-01.toml"), help="terminal config (TOML)")


def run(args: argparse.Namespace) -> int:
    raise SystemExit("onetrip daemon: lands with the daemon issue")
