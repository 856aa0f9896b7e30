"""The center through its real interfaces — take_number from kiosk links (one, then 8 at once),
whole visits with the counter console — against the simple hall app of the same run
(bench/simple_hall.py), and telemetry fan-in. Queue throughput at the engine: bench/center_queue.py.

Fan-in: publisher processes send telemetry for 2,000 simulated terminals × 5 devices every
10 s (1,000 msg/s, QoS 0, as `TerminalLink.telemetry` does) through the real broker. In the
same run a bare paho subscriber counts what arrives (the ceiling), and the center's
`CenterLink` records the lag from each message's timestamp to its handling.
Budget (DESIGN.md §5): 1,000 msg/s with < 1 s lag.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho

from bench import simple_hall
from bench.simple_hall import ratio
from bench.stats import at_once, ms, pct
from core.config import MqttSettings
from mqtt.broker import Broker
from mqtt.center import CenterLink
from mqtt.contract import Telemetry, Topics, encode
from mqtt.ledger import SqliteLedger

RATE = int(os.environ.get("BENCH_FANIN_RATE", 1000))
SECONDS = float(os.environ.get("BENCH_FANIN_SECONDS", 20))
PUBLISHERS = 2
TERMINALS, DEVICES = 2000, ("idcard", "printer", "scanner", "system", "bus")


def _publish(port: int, share: int, offset: int, rate: float, seconds: float) -> None:
    topics = Topics("bench")
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    interval, start, sent = 1.0 / rate, time.perf_counter(), 0
    while (now := time.perf_counter()) - start < seconds:
        due = int((now - start) * rate)
        while sent < due:
            terminal = f"kiosk-{(offset + sent * share) % TERMINALS:04d}"
            device = DEVICES[sent % len(DEVICES)]
            payload = encode(Telemetry(ts=time.time(), values={"frames_ok": sent, "state": "online"}))
            client.publish(topics.dev_tele(terminal, device), payload, qos=0)
            sent += 1
        time.sleep(interval)
    client.loop_stop()
    client.disconnect()


class LagProbe(CenterLink):
    """The center's link, recording how late each telemetry message is handled."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lags: list[float] = []

    def _on_telemetry(self, topic, msg) -> None:
        super()._on_telemetry(topic, msg)
        self.lags.append(time.time() - self.terminals[topic.terminal].telemetry[topic.name].ts)


def fan_in(workdir: Path) -> list[str]:
    with Broker(workdir=workdir / "broker") as broker:
        settings = MqttSettings(port=broker.port, hall="bench")
        center = LagProbe(settings, SqliteLedger(workdir / "ledger.sqlite"))
        center.start()
        center.wait_connected(5)
        bare_count = [0]
        bare = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        bare.on_message = lambda c, u, m: bare_count.__setitem__(0, bare_count[0] + 1)
        bare.connect("127.0.0.1", broker.port)
        bare.subscribe(Topics("bench").all_terminals("dev/+/tele"), qos=0)
        bare.loop_start()
        time.sleep(0.5)
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=_publish, args=(broker.port, PUBLISHERS, i, RATE / PUBLISHERS, SECONDS))
                 for i in range(PUBLISHERS)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        time.sleep(1.0)  # let the last messages drain
        elapsed = SECONDS  # rates over the offered window, not the processes' start-up
        bare.loop_stop()
        center.stop()
    got = len(center.lags)
    return [f"telemetry fan-in: {RATE} msg/s offered for {SECONDS:.0f} s ({TERMINALS} terminals × {len(DEVICES)} devices "
            f"/ 10 s), QoS 0, {PUBLISHERS} publisher processes",
            f"  bare subscriber (ceiling): {bare_count[0]} msgs = {bare_count[0] / elapsed:.0f} msg/s",
            f"  center link: {got} msgs = {got / elapsed:.0f} msg/s ({got / max(bare_count[0], 1):.3f} of the ceiling)",
            f"  lag p50 {ms(pct(center.lags, 50))}  p99 {ms(pct(center.lags, 99))}  max {ms(max(center.lags))}"
            f" (budget < 1 s)" if center.lags else "  no telemetry reached the center"]


def _kiosks(settings: MqttSettings, workdir: Path, n: int) -> list[Any]:
    from mqtt.terminal import TerminalLink

    kiosks = [TerminalLink(settings, f"kiosk-bench-{i}", workdir / f"kiosk-{i}") for i in range(n)]
    for kiosk in kiosks:
        kiosk.start()
    deadline = time.monotonic() + 10
    while not all(k.center_reachable for k in kiosks) and time.monotonic() < deadline:
        time.sleep(0.01)
    return kiosks


def _take(kiosk: Any, category: str) -> None:
    """What a kiosk's daemon does (daemon/kiosk_ops.py): ask, and once printed, say so."""
    answer = kiosk.request("take_number", {"category": category, "channel": "kiosk"})
    kiosk.emit("ticket_printed", {"ticket_ref": answer["ticket_ref"], "number": answer["number"]})


def _open_windows(service: Any) -> None:
    for code in service.config.windows:
        if next(w for w in service.engine.window_states() if w.code == code).state.value == "closed":
            service.engine.sign_in(code, f"s-{code}")


def _kiosk_side(port: int, workdir: Path, n: int, per_kiosk: int, steps: Any, out: Any) -> None:
    """The kiosks, in a process of their own (as the simple app's server has its own): one
    takes `n` numbers in turn, then, on the next step, all 8 take `per_kiosk` each at once."""
    kiosks = _kiosks(MqttSettings(port=port, hall="bench"), workdir, 8)
    out.put("ready")
    steps.get()
    single = []
    for i in range(n):
        started = time.perf_counter()
        _take(kiosks[0], "AB"[i % 2])
        single.append(time.perf_counter() - started)
    out.put(single)
    steps.get()
    out.put(at_once([lambda j, k=k: _take(k, "AB"[j % 2]) for k in kiosks], per_kiosk))
    for kiosk in kiosks:
        kiosk.stop()


def take_number(workdir: Path, n: int = 280, per_kiosk: int = 60) -> list[str]:
    """A kiosk's take_number through the real broker into the real center (SQLite), against a
    bare QoS 1 round trip (tuned paho pair) and the simple hall app, in the same run; then 8
    kiosk links at once. The kiosks run in a process of their own and confirm each print
    (ticket_printed), as their daemons do. Center CPU: the request handler's own thread time
    per ticket (the print's event is applied on another lane)."""
    from bench.mqtt_rtt import bare_rtt
    from center.service import CenterService
    from core.clock import FakeClock
    from hallrig.center_setup import MONDAY_10AM, center_config

    base = simple_hall.measure()
    with Broker(workdir=workdir / "broker") as broker:
        settings = MqttSettings(port=broker.port, hall="bench")
        clock = FakeClock()
        clock.set(MONDAY_10AM)
        service = CenterService(center_config(workdir, settings), clock=clock)
        cpu = [0.0]
        handler = service.requests.take_number

        def timed(terminal: str, args: dict[str, Any]) -> dict[str, Any]:
            started = time.thread_time()
            try:
                return handler(terminal, args)
            finally:
                cpu[0] += time.thread_time() - started

        service.link.on_request("take_number", timed)
        service.start()
        _open_windows(service)  # the answer's estimate counts the windows serving the category
        ctx = mp.get_context("spawn")
        steps, out = ctx.Queue(), ctx.Queue()
        side = ctx.Process(target=_kiosk_side, args=(broker.port, workdir, n, per_kiosk, steps, out))
        side.start()
        out.get(timeout=60)
        steps.put("one kiosk")
        samples = out.get(timeout=300)
        per_ticket = cpu[0] / n
        clock.advance(86400)  # the next day: new number series (daily caps), the windows opened again
        service.housekeeping.close_day()
        _open_windows(service)
        group = service.db.group
        commits, writes = group.commits, group.writes
        used = time.process_time()  # this process is the center (the kiosks have theirs, the broker its own)
        steps.put("8 kiosks")
        elapsed, many = out.get(timeout=300)
        process_cpu = (time.process_time() - used) / len(many)
        shared = (group.writes - writes) / max(group.commits - commits, 1)
        side.join(30)
        service.stop()
        bare = bare_rtt(broker.port, n=300, nodelay=True)
    p50, p99 = pct(samples, 50), pct(samples, 99)
    rate = len(many) / elapsed
    return [f"take_number, kiosk link → broker → center (SQLite, fsynced issue) → answer, n={n}",
            f"  p50 {ms(p50)} ({ratio(p50, base.p50_s, False)})  p99 {ms(p99)} ({ratio(p99, base.p99_s, False)})"
            " (budget p99 ≤ 15 ms)",
            f"  bare QoS 1 round trip, same broker: p50 {ms(pct(bare, 50))}  p99 {ms(pct(bare, 99))};"
            f" take_number p99 / bare p99 = {p99 / pct(bare, 99):.1f} (budget ≤ 5)",
            f"  center CPU per take_number (handler thread time) {ms(per_ticket)} (target ≤ 1 ms;"
            f" the simple app's whole server: {ms(base.cpu_per_ticket_s)})",
            f"  8 kiosk links at once: {rate:,.0f} tickets/s ({ratio(rate, base.concurrent_per_s)}; target ≥ 2,000),"
            f" p99 {ms(pct(many, 99))} ({ratio(pct(many, 99), base.concurrent_p99_s, False)});"
            f" {shared:.1f} writes per commit (group commit: numbers and print confirmations)",
            f"  the center process's CPU per ticket, all included (MQTT, the request, its print's event):"
            f" {ms(process_cpu)} ({ratio(process_cpu, base.cpu_per_ticket_s, False)} server CPU)"]


def full_visits(workdir: Path, visits: int = 200) -> list[str]:
    """Whole visits through the real interfaces, one after another at windows 1–4: a kiosk's
    take_number over the broker and its print confirmed (ticket_printed), then the window's
    clerk presses call, start and finish on the counter console (HTTP, keep-alive, signed
    in; each answer carries the window's refreshed desk, as the console shows it). Voice off."""
    from center.service import CenterService
    from center.web import create_app
    from hallrig.staff_accounts import clerk_client, seed
    from tests.web_helpers import WebServer, hall_config, monday_clock

    base = simple_hall.measure()
    categories = {"1": "A", "2": "A", "3": "B", "4": "D"}
    with Broker(workdir=workdir / "broker") as broker:
        settings = MqttSettings(port=broker.port, hall="bench")
        clock = monday_clock()
        config = hall_config(workdir / "center", settings, workdir / "clips")
        config = config.model_copy(update={"voice": config.voice.model_copy(update={"enabled": False})})
        service = CenterService(config, clock=clock)
        confirmed: dict[str, threading.Event] = {}
        applied = service.events.evt_ticket_printed

        def printed(terminal: str, data: Any, event_id: str) -> None:
            applied(terminal, data, event_id)
            confirmed.setdefault(data.ticket_ref, threading.Event()).set()

        service.events.evt_ticket_printed = printed  # type: ignore[method-assign]
        service.start()
        seed(service.db, clock)
        web = WebServer(create_app(service)).start()
        kiosk = _kiosks(settings, workdir, 1)[0]
        clerks = {w: clerk_client(web.url, w) for w in categories}
        for w, http in clerks.items():
            http.post(f"/api/windows/{w}/sign_in", json={}).raise_for_status()
        started = time.perf_counter()
        for i in range(visits):
            w = str(1 + i % 4)
            answer = kiosk.request("take_number", {"category": categories[w], "channel": "kiosk"})
            kiosk.emit("ticket_printed", {"ticket_ref": answer["ticket_ref"], "number": answer["number"]})
            confirmed.setdefault(answer["ticket_ref"], threading.Event()).wait(10)
            for action in ("call", "start", "finish"):
                clerks[w].post(f"/api/windows/{w}/{action}", json={}).raise_for_status()
            clock.advance(7)
        rate = visits / (time.perf_counter() - started)
        for http in clerks.values():
            http.close()
        kiosk.stop()
        web.stop()
        service.stop()
    return [f"full visits through the real interfaces (kiosk link + print confirmed, console HTTP call/start/finish),"
            f" 4 windows, n={visits}: {rate:,.0f} visits/s ({ratio(rate, base.visits_per_s)}; target ≥ 700)"]


def run() -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="onetrip-bench-center-"))
    return take_number(work / "take") + full_visits(work / "visits") + fan_in(work / "fanin")


if __name__ == "__main__":
    work = Path(tempfile.mkdtemp(prefix="onetrip-bench-center-"))
    print("\n".join(simple_hall.run() + take_number(work / "take") + full_visits(work / "visits") + fan_in(work / "fanin")))
