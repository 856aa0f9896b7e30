"""`onetrip demo`: the hall on this machine with simulated devices.

Today: a real Mosquitto with the project's config, the center's link and one terminal's
link exchanging a birth, a request and a response, and one event through the outbox.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from core.config import MqttSettings
from mqtt.broker import Broker
from mqtt.center import CenterLink
from mqtt.contract import Birth, DeviceInfo
from mqtt.ledger import SqliteLedger
from mqtt.terminal import TerminalLink


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workdir", type=Path, default=None, help="where state and logs go (default: a temp dir)")


def run(args: argparse.Namespace) -> int:
    work = args.workdir or Path(tempfile.mkdtemp(prefix="onetrip-demo-"))
    with Broker(workdir=work / "broker") as broker:
        settings = MqttSettings(port=broker.port, hall="demo")
        print(f"broker   mosquitto on 127.0.0.1:{broker.port} (config/mosquitto/onetrip.conf)")
        center = CenterLink(settings, SqliteLedger(work / "ledger.sqlite"))
        counter = iter(range(1, 1000))
        center.on_request("take_number", lambda t, a: {"number": f"{a['category']}{next(counter):03d}"})
        center.listeners.append(lambda t, v: v.birth and print(
            f"center   sees {t}: {'online' if v.online else 'offline'}, session {v.session}, "
            f"devices {[d.name for d in v.birth.devices]}"))
        center.start()
        birth = lambda session: Birth(session=session, role="kiosk", software="onetrip 0.1.0", devices=[
            DeviceInfo(name="idcard", family="idcard"), DeviceInfo(name="printer", family="escpos")])
        kiosk = TerminalLink(settings, "kiosk-01", work / "kiosk-01", birth=birth)
        kiosk.start()
        deadline = time.monotonic() + 10
        while not kiosk.center_reachable and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.perf_counter()
        answer = kiosk.request("take_number", {"category": "A"})
        print(f"kiosk-01 asked take_number → {answer} in {(time.perf_counter() - started) * 1e3:.1f} ms")
        event_id = kiosk.emit("ticket_printed", {"number": answer["number"]})
        while kiosk.outbox.depth():
            time.sleep(0.05)
        print(f"kiosk-01 event {event_id[:8]}… applied by the center and acknowledged: outbox empty")
        kiosk.stop()
        time.sleep(0.3)
        center.stop()
    print(f"demo state in {work}")
    return 0
