"""Percentiles for the benchmarks (stdlib `statistics.quantiles` needs ≥2 points and no p100)."""
from __future__ import annotations


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"
