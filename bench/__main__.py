"""`make bench`: run every benchmark module present and print its figures; the simple hall app
(the baseline every center figure is compared with) is measured once, first."""
from __future__ import annotations

import importlib
import sys

MODULES = ["bench.simple_hall", "bench.mqtt_rtt", "bench.devices", "bench.center_queue", "bench.estimates", "bench.center", "bench.daemon",
           "bench.kiosk"]


def main(names: list[str]) -> None:
    for name in names or MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            print(f"[{name}] not present ({exc.name})")
            continue
        print(f"[{name}]")
        print("\n".join(module.run()), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
