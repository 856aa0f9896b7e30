"""`python -m hallrig.kiosk_shots [DIR]`: screenshots of every kiosk screen for people to look at.

Every screen in portrait and landscape, Chinese and English, standard and elder mode, plus
the failure and idle screens, under a private Xvfb; written to docs/img/kiosk/ by default. Prints any label
whose text does not fit its widget and any 适老化 problem (the same checks the UI tests make).
"""
from __future__ import annotations

import sys
from pathlib import Path

from hallrig.kiosk_xvfb import ROOT, run_driver, xvfb

# every screen in every mode (zh/en × standard/elder) in both orientations (`screens` switches
# the modes itself), then the flows' own moments: thanks, refusals, failures, idle
RUNS = [("screens", "portrait", "zh", False), ("screens", "landscape", "zh", False),
        ("tour", "portrait", "zh", False), ("tour", "landscape", "en", True),
        ("rating_belongs", "portrait", "zh", False), ("take_your_card", "landscape", "zh", True),
        ("failures", "portrait", "zh", False), ("failures", "landscape", "en", False),
        ("idle", "portrait", "en", False), ("elderly", "landscape", "zh", True)]


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else ROOT / "docs" / "img" / "kiosk"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.glob("*.png"):  # no stale picture of a screen that changed or went
        old.unlink()
    failed = 0
    with xvfb() as display:
        for scenario, orientation, language, elder in RUNS:
            report = run_driver(display, scenario, orientation=orientation, language=language, elder=elder,
                                shots=target, extra=["--idle", "3"] if scenario == "idle" else [], timeout=300)
            status = "ok" if report["ok"] and not report["overflows"] and not report.get("a11y") else "PROBLEM"
            failed += status != "ok"
            print(f"{status:7} {scenario:9} {orientation:9} {language} {'elder' if elder else '':5} "
                  f"{len(report.get('shots', []))} shots", flush=True)
            if not report["ok"]:
                print("   ", report.get("error"))
            for overflow in report.get("overflows", []):
                print("    does not fit:", overflow)
            for problem in report.get("a11y", []):
                print("    适老化:", problem)
    print(f"screenshots in {target}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
