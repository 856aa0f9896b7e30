"""`bench/devices.py`: every device family's figures in one run (issue: drivers)."""
from __future__ import annotations

import importlib

FAMILIES = ["bench.dev_idcard", "bench.dev_printer", "bench.dev_bus"]


def run() -> list[str]:
    lines: list[str] = []
    for name in FAMILIES:
        lines += importlib.import_module(name).run()
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
