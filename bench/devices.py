"""`bench/devices.py`: every device family's figures in one run, one bench per family of the registry.

A family's bench is `bench/dev_<family>.py` with a `run()` giving its lines.
"""
from __future__ import annotations

import importlib

from drivers.registry import FAMILIES


def bench_module(family: str) -> str:
    return f"bench.dev_{family}"


def run() -> list[str]:
    lines: list[str] = []
    for family in FAMILIES:
        lines += importlib.import_module(bench_module(family.name)).run()
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
