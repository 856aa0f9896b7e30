"""Where OneTrip keeps state: one root, overridable for tests and systemd's StateDirectory."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"


def state_dir(*parts: str) -> Path:
    """`$ONETRIP_STATE_DIR` (systemd sets `STATE_DIRECTORY`), else `./var`; created on demand."""
    base = os.environ.get("ONETRIP_STATE_DIR") or os.environ.get("STATE_DIRECTORY") or str(PROJECT_ROOT / "var")
    path = Path(base, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
