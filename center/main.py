"""`onetrip center`: the hall control center."""
from __future__ import annotations

import argparse

from core.paths import CONFIG_DIR


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=str(CONFIG_DIR / "hall.toml"), help="hall config (TOML)")


def run(args: argparse.Namespace) -> int:
    raise SystemExit("onetrip center: the center service lands with the center issue")
