"""The hardware daemon: RSS and CPU at idle with four simulated devices, and card latency.

The daemon runs as its own process (`onetrip daemon`), exactly as systemd starts it; the
simulators run in this process. Budgets (DESIGN.md §5): ≤ 40 MB RSS, ≤ 1 % of a core at
idle; card on reader → kiosk event ≤ poll interval + wire time of the 1,295-byte reply + 50 ms.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import psutil

from bench.stats import ms, pct
from daemon.config import load_terminal
from drivers.idcard.sim import IdCardSim
from drivers.printer.sim import PrinterSim
from drivers.scanner.sim import ScannerSim
from drivers.windowbus.sim import WindowBusSim
from hallrig.apiclient import ApiClient
from hallrig.rig import Proc, free_port, terminal_config, wait_for
from mqtt.broker import Broker

IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", 60))
CARDS = 20


def run() -> list[str]:
    run_dir = Path(tempfile.mkdtemp(prefix="onetrip-bench-daemon-"))
    sims = run_dir / "sim-kiosk-bench"
    printer_port = free_port()
    devices = [IdCardSim(sims / "idcard"), PrinterSim(sims / "tickets", tcp_port=printer_port),
               ScannerSim(sims / "scanner.events"), WindowBusSim(sims / "windowbus", addresses=(1, 2, 3, 4))]
    for sim in devices:
        sim.start()
    card = devices[0]
    lines = []
    with Broker(workdir=run_dir / "broker") as broker:
        config = terminal_config(run_dir, "kiosk-bench", broker.port, printer_port=printer_port,
                                 bus_windows={1: 1, 2: 2, 3: 3, 4: 4})
        settings = load_terminal(config).devices[0].settings
        daemon = Proc("daemon", ["daemon", "--config", str(config)], run_dir)
        try:
            client = ApiClient(run_dir / "kiosk-bench" / "kiosk.sock", timeout=20)
            wait_for(lambda: all(d["state"] == "online" for d in
                                 client.call("device_states")["result"]["devices"].values())
                     and len(client.call("device_states")["result"]["devices"]) >= 4, 20, "devices online")
            proc = psutil.Process(daemon.pid)
            time.sleep(2)
            cpu0, t0 = proc.cpu_times(), time.monotonic()
            rss0 = proc.memory_info().rss
            time.sleep(IDLE_SECONDS)
            cpu1, t1 = proc.cpu_times(), time.monotonic()
            rss1 = proc.memory_info().rss
            busy = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (t1 - t0)
            uss = proc.memory_full_info().uss
            lines += [f"daemon idle, 4 simulated devices (ID reader, printer, scanner, bus of 4 windows), {IDLE_SECONDS:.0f} s",
                      f"  RSS {rss0 / 2**20:.1f} → {rss1 / 2**20:.1f} MB (USS {uss / 2**20:.1f} MB; budget ≤ 40 MB)",
                      f"  CPU {busy * 100:.2f} % of one core (budget ≤ 1 %)"]
            latencies = []
            for i in range(CARDS):
                started = time.perf_counter()
                card.insert_card(i % 3)
                client.next_event("card_read", timeout=10)
                latencies.append(time.perf_counter() - started)
                card.remove_card()
                client.next_event("card_removed", timeout=10)
            wire = 1295 * 10 / settings.baud
            budget = settings.poll_interval + wire + 0.050
            lines += [f"card on reader → card_read on the local API (n={CARDS}, poll {settings.poll_interval * 1e3:.0f} ms, "
                      f"{settings.baud} baud)",
                      f"  p50 {ms(pct(latencies, 50))}  p99 {ms(pct(latencies, 99))}  max {ms(max(latencies))}",
                      f"  budget poll + wire({wire * 1e3:.0f} ms) + 50 ms = {ms(budget)};"
                      f" p99/budget = {pct(latencies, 99) / budget:.2f}"]
            client.close()
        finally:
            daemon.stop()
            for sim in devices:
                sim.stop()
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
