"""Figures for the benchmarks: percentiles (stdlib `statistics.quantiles` needs ≥2 points and no
p100) and rates."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable


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


def at_once(clients: list[Callable[[int], object]], n: int) -> tuple[float, list[float]]:
    """Every client makes its `n` requests (`client(round)`) as fast as it is answered, all
    at once from a common start: (elapsed, every request's latency)."""
    samples: list[list[float]] = [[] for _ in clients]
    gate = threading.Barrier(len(clients) + 1)

    def run(i: int) -> None:
        gate.wait()
        for j in range(n):
            started = time.perf_counter()
            clients[i](j)
            samples[i].append(time.perf_counter() - started)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    gate.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - started, [s for each in samples for s in each]
