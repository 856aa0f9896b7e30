"""Figures for the benchmarks: percentiles (stdlib `statistics.quantiles` needs ≥2 points and no
p100) and rates."""
from __future__ import annotations

import time
from typing import Callable


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"


def rate(work: Callable[[], int], seconds: float = 0.5) -> float:
    """Items per second of `work` (which returns how many items it did), run for about `seconds`."""
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += work()
    return done / elapsed
