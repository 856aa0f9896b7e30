"""What the phone tests share: a center whose `[citizen_web]` is set by the test, a local
webhook receiver (a real HTTP server on loopback), and the QR code read back from a ticket
the printer simulator rendered, with a real decoder (zxing-cpp)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import zxingcpp
from PIL import Image

from center.service import CenterService
from core.clock import FakeClock, local_datetime
from core.config import MqttSettings
from core.sansio import feed, reraise
from daemon.printing import queue_slip
from drivers.printer.codec import DeviceCodec
from drivers.printer.job import PrintJob
from drivers.printer.render import render_raster, render_text
from drivers.printer.sim import PrintHead, Sheet
from tests.web_helpers import hall_config


def phone_service(state_dir: Path, mqtt: MqttSettings, clips_dir: Path, clock: FakeClock, web_port: int = 8080,
                  **citizen_web: Any) -> CenterService:
    config = hall_config(state_dir, mqtt, clips_dir)
    config = config.model_copy(update={"citizen_web": config.citizen_web.model_copy(update=citizen_web),
                                       "web": config.web.model_copy(update={"port": web_port})})
    return CenterService(config, clock=clock)


class Receiver:
    """A webhook receiver: every POST's headers and JSON body, kept in order."""

    def __init__(self) -> None:
        received = self.received = []  # type: list[tuple[dict[str, str], dict[str, Any], bytes]]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(raw), raw))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def ticket_job(answer: dict[str, Any], hall: str, clock: FakeClock) -> PrintJob:
    """The ticket the kiosk's daemon prints for the center's take_number answer."""
    return queue_slip(hall, answer, local_datetime(clock.time()))


def printed_png(job: PrintJob, path: Path, raster: bool = False) -> Path:
    """The ticket as the printer simulator prints it (ESC/POS bytes → print head → PNG)."""
    codec = DeviceCodec(chinese_mode=False)
    sheets: list[Sheet] = []
    head = PrintHead(576, lambda sheet, partial: sheets.append(sheet))
    for event in feed(codec, (render_raster if raster else render_text)(job, 576), reraise):
        head.apply(event)
    [sheet] = sheets
    sheet.paper.image(margin=24).save(path)
    return path


def read_qr(png: Path) -> list[str]:
    """Every QR code a real decoder finds in the picture."""
    with Image.open(png) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if r.format == zxingcpp.BarcodeFormat.QRCode]
