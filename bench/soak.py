"""Soak: compressed hall days through the whole system, watching memory, latency and logs.

`python -m bench.soak [--visits 10000] [--speed 150]`. The hall (broker, center, kiosks, the
window bus, simulators: real processes) runs the steady load of hallrig/load.py until
`--visits` citizens have been told a number. A number series holds 999 tickets a day and the
load's five window pools use six categories, so the soak's catalog opens every category
00:00–23:00 every day with a cap of 999, and the clock runs fast enough that 10,000 visits
span about three hall days; the last hour of each day issues nothing, which lets the windows
empty the queue before the numbers start again at midnight.

Reported: each process's RSS at start, after the warm-up (the first tenth of the visits:
caches, pools and the SQLite page cache fill there) and at the end; the kiosk's take-a-number
latency (p50/p99, printing on the simulated printer included); the audit of every event;
every WARNING and ERROR line of every log, grouped and counted.
"""
from __future__ import annotations

import argparse
import re
import shutil
import time
import tomllib
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil

from bench.stats import pct
from core.paths import CONFIG_DIR, state_dir
from hallrig import audit
from hallrig.hall import Hall, clean
from hallrig.load import Load, LoadSettings
from hallrig.rig import write_toml

LOG_LINE = re.compile(r"^\S+ (WARNING|ERROR|CRITICAL) (\S+): (.*?)(?= \w+=| \||$)")
SOAK_MIX = {"A": 2, "C": 2, "D": 1, "G": 1, "E": 1, "F": 1}
GROWTH_BOUND_MB = 8.0  # warm-up → end growth we accept per process; beyond it is a leak to find


class SoakHall(Hall):
    """The demo hall with a soak catalog: every category open 00:00–23:00, 999 numbers a day."""

    def soak_catalog(self) -> Path:
        target = self.work / "catalog"
        shutil.copytree(CONFIG_DIR / "catalog", target, dirs_exist_ok=True)
        header = target / "00-hall.toml"
        every_day = ", ".join(f'{day} = "00:00-23:00"' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
        text = re.sub(r"(?m)^hours = \{.*\}$", f"hours = {{ {every_day} }}", header.read_text(encoding="utf-8"))
        header.write_text(re.sub(r"(?m)^daily_cap = \d+$", "daily_cap = 999", text), encoding="utf-8")
        return target

    def center_config(self) -> Path:
        path = super().center_config()
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        data["catalog"] = str(self.soak_catalog())
        return write_toml(path, data)


def rss(hall: Hall) -> dict[str, float]:
    """Resident memory of every process of the hall, in MB."""
    procs = {p.name: p.pid for p in hall.procs() if p.alive()}
    if hall.broker and hall.broker.proc:
        procs["broker"] = hall.broker.proc.pid
    found = {}
    for name, pid in procs.items():
        try:
            found[name] = psutil.Process(pid).memory_info().rss / 2**20
        except psutil.NoSuchProcess:
            continue
    return found


def log_lines(logs: Path) -> Counter[tuple[str, str, str, str]]:
    """(process, level, logger, message) of every WARNING/ERROR line, counted."""
    found: Counter[tuple[str, str, str, str]] = Counter()
    for log in sorted(logs.glob("*.log")):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            match = LOG_LINE.match(line)
            if match:
                found[(log.stem, *match.groups())] += 1
    return found


def run(visits: int = 10_000, speed: float = 150.0, kiosks: int = 2, work: Path | None = None,
        max_minutes: float = 60.0) -> list[str]:
    work = work or state_dir("soak")
    clean(work)
    tz = ZoneInfo("Asia/Shanghai")
    start_at = (datetime.now(tz) + timedelta(days=1)).replace(hour=0, minute=0, second=30, microsecond=0)
    hall = SoakHall(work, kiosks=kiosks, speed=speed, start_at=start_at)
    lines = [f"soak: {visits} visits, {kiosks} kiosks, hall clock ×{speed:g} from {start_at:%a %Y-%m-%d %H:%M}"]
    try:
        hall.start()
        hall.wait_ready()
        at_start = rss(hall)
        mark = audit.mark(hall)
        load = Load(hall, LoadSettings(take_interval=0.1, service_time=0.4, max_waiting=16, categories=SOAK_MIX))
        started = time.monotonic()
        load.start()
        warm: dict[str, float] = {}
        while len(load.ledger.tickets) < visits and time.monotonic() - started < max_minutes * 60:
            load.run_for(15)
            done = len(load.ledger.tickets)
            if not warm and done >= visits // 10:
                warm = rss(hall)
            print(f"  {time.monotonic() - started:6.0f} s  {done} visits  "
                  f"{sum(rss(hall).values()):.0f} MB in all", flush=True)
        load.stop()
        elapsed = time.monotonic() - started
        settled = audit.settle(hall, timeout=120)
        result = audit.audit(hall, load.ledger, mark)
        at_end = rss(hall)
    finally:
        hall.stop()
    latency = load.ledger.take_latency
    lines.append(f"  {len(load.ledger.tickets)} visits in {elapsed:.0f} s ({len(load.ledger.tickets) / elapsed:.1f}/s), "
                 f"web visits {load.ledger.web_visits}, kiosk ratings {load.ledger.kiosk_ratings}, settled {settled}")
    lines.append(f"  take a number (kiosk's view, printing included): p50 {pct(latency, 50) * 1e3:.0f} ms, "
                 f"p99 {pct(latency, 99) * 1e3:.0f} ms, max {max(latency) * 1e3:.0f} ms")
    lines.append(f"  refusals told to citizens: {dict(load.ledger.refusals) or 'none'}")
    lines.append(result.table())
    lines.append(f"  {'process':<22}{'start MB':>10}{'warm MB':>10}{'end MB':>10}{'growth':>9}")
    for name in sorted(at_start):
        grown = at_end.get(name, 0) - warm.get(name, at_start[name])
        flag = "  <-- beyond the bound" if grown > GROWTH_BOUND_MB else ""
        lines.append(f"  {name:<22}{at_start[name]:>10.1f}{warm.get(name, float('nan')):>10.1f}"
                     f"{at_end.get(name, float('nan')):>10.1f}{grown:>+9.1f}{flag}")
    lines.append("  WARNING/ERROR lines, grouped:")
    for (process, level, logger, message), count in log_lines(hall.logs).most_common():
        lines.append(f"    {count:>6} {process} {level} {logger}: {message[:110]}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=10_000)
    parser.add_argument("--speed", type=float, default=150.0)
    parser.add_argument("--kiosks", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--max-minutes", type=float, default=60.0)
    args = parser.parse_args()
    print("\n".join(run(args.visits, args.speed, args.kiosks, args.workdir, args.max_minutes)), flush=True)


if __name__ == "__main__":
    main()
