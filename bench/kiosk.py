"""The kiosk under Xvfb: cold start to the first drawn home screen, RSS over 100 scripted
visits (take a number / read a guide, alternately), and frame times during screen
transitions. Budgets (DESIGN.md §5): cold start ≤ 3 s, ≤ 250 MB RSS. Needs Xvfb."""
from __future__ import annotations

import os
import time

from bench.stats import ms, pct
from hallrig.kiosk_xvfb import run_driver, xvfb

VISITS = 100


def run() -> list[str]:
    lines = []
    with xvfb() as display:
        for orientation in ("portrait", "landscape"):
            os.environ["KIOSK_BENCH_VISITS"] = str(VISITS)
            started = time.time()
            report = run_driver(display, "visits", orientation=orientation, timeout=900)
            if not report["ok"]:
                return lines + [f"{orientation}: failed: {report.get('error')}"]
            notes = report["notes"]
            frames = notes["frames"]
            mb = 1024 * 1024
            lines += [
                f"{orientation} 1080p: cold start to first drawn home screen {notes['home_at'] - started:.2f} s "
                f"(budget 3 s; includes the Python interpreter and the fake daemon)",
                f"{orientation}: RSS after first home {notes['rss_start'] / mb:.0f} MB, after {notes['visits']} visits "
                f"{notes['rss_end'] / mb:.0f} MB (growth {(notes['rss_end'] - notes['rss_start']) / mb:+.1f} MB; "
                f"budget 250 MB)",
                f"{orientation}: frame time during transitions p50 {ms(pct(frames, 50))}, p95 {ms(pct(frames, 95))}, "
                f"max {ms(max(frames))} over {len(frames)} frames (software GL, llvmpipe)",
            ]
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
