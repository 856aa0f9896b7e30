"""Round trip of a QoS 1 request/response: the hall link vs a bare paho client.

Three runs in one process: `TerminalLink.request()` → `CenterLink` on a broker with the
project's config; a bare paho client at its defaults against a broker at Mosquitto
defaults (the baseline the hall would get without care); and the same bare client
against the project's broker, to show how much is TCP_NODELAY and how much is the link.
"""
from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

from bench.stats import ms, pct
from core.config import MqttSettings
from mqtt.broker import Broker
from mqtt.center import CenterLink
from mqtt.ledger import SqliteLedger
from mqtt.terminal import TerminalLink

N = 500


def link_rtt(port: int, workdir: Path) -> list[float]:
    settings = MqttSettings(port=port, hall="bench")
    center = CenterLink(settings, SqliteLedger(workdir / "ledger.sqlite"))
    center.on_request("take_number", lambda terminal, args: {"number": "A001"})
    term = TerminalLink(settings, "kiosk-bench", workdir / "kiosk")
    center.start()
    term.start()
    deadline = time.monotonic() + 10
    while not term.center_reachable and time.monotonic() < deadline:
        time.sleep(0.01)
    samples = []
    for _ in range(N):
        t0 = time.perf_counter()
        term.request("take_number", {"category": "A"})
        samples.append(time.perf_counter() - t0)
    term.stop()
    center.stop()
    return samples


def _nodelay(client: paho.Client, userdata: object, sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def bare_rtt(port: int, n: int = 150, nodelay: bool = False) -> list[float]:
    """Requester and responder as plain paho clients, at every default unless `nodelay`
    (then TCP_NODELAY on both: the fastest bare QoS 1 round trip, the take_number baseline)."""
    responder = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    requester = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
    if nodelay:
        responder.on_socket_open = requester.on_socket_open = _nodelay
    responder.on_message = lambda c, u, m: c.publish("bench/res", m.payload, qos=1)
    responder.connect("127.0.0.1", port)
    responder.subscribe("bench/req", qos=1)
    responder.loop_start()
    got = threading.Event()
    requester.on_message = lambda c, u, m: got.set()
    requester.connect("127.0.0.1", port)
    requester.subscribe("bench/res", qos=1)
    requester.loop_start()
    time.sleep(0.3)
    samples = []
    for _ in range(n):  # at 40–90 ms a round trip at the defaults, 150 samples are plenty
        got.clear()
        t0 = time.perf_counter()
        requester.publish("bench/req", b'{"category":"A"}', qos=1)
        got.wait(5)
        samples.append(time.perf_counter() - t0)
    requester.loop_stop()
    responder.loop_stop()
    return samples


def run() -> list[str]:
    work = Path(tempfile.mkdtemp(prefix="onetrip-bench-"))
    defaults_conf = work / "defaults.conf"
    defaults_conf.write_text("listener {port} 127.0.0.1\nallow_anonymous true\n")
    with Broker(workdir=work) as project, Broker(config=defaults_conf, workdir=work / "d") as plain:
        link = link_rtt(project.port, work)
        bare_default = bare_rtt(plain.port)
        bare_tuned = bare_rtt(project.port)
    lines = ["mqtt round trip (QoS 1 request → response, loopback)"]
    for name, s in [("hall link request()      [project broker]", link),
                    ("bare paho, defaults      [mosquitto defaults]", bare_default),
                    ("bare paho, defaults      [project broker]", bare_tuned)]:
        lines.append(f"  {name}: n={len(s)} p50 {ms(pct(s, 50))}  p99 {ms(pct(s, 99))}")
    lines.append(f"  link p99 / bare-defaults p99 = {pct(link, 99) / pct(bare_default, 99):.3f}"
                 f"   link p99 / bare-on-project-broker p99 = {pct(link, 99) / pct(bare_tuned, 99):.2f}")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
