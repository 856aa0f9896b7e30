"""Live screens over a real uvicorn: a call made at the console reaches `/events` at once,
its voice is served as a WAV, and a closed screen leaves the hub."""
from __future__ import annotations

import io
import json
import wave
from collections.abc import Iterator

import httpx

from center.service import CenterService
from center.voice import CHIME_GAP_S, CHIME_TONES
from center.web import create_app
from hallrig.staff_accounts import sign_in
from tests.center_fixtures import take_printed
from tests.conftest import wait_until
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import WebServer


def events(lines: Iterator[str]) -> Iterator[tuple[str, dict]]:
    """(kind, data) of each server-sent event; keepalive comments skipped."""
    kind, data = None, []
    for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and kind is not None:
            yield kind, json.loads("\n".join(data))
            kind, data = None, []


def test_call_reaches_the_event_stream_and_its_voice_is_served(service: CenterService) -> None:
    server = WebServer(create_app(service)).start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            sign_in(http, "s003")
            assert http.post("/api/windows/3/sign_in").status_code == 200
            with http.stream("GET", "/events") as stream:
                assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
                wait_until(lambda: service.hub.subscribers == 1)
                take_printed(service, "kiosk-01", {"category": "B"})
                assert http.post("/api/windows/3/call").status_code == 200
                call = next(data for kind, data in events(stream.iter_lines()) if kind == "call")
            assert (call["number"], call["window"], call["window_name"]) == ("B001", "3", "3号窗口")
            wait_until(lambda: service.hub.subscribers == 0)

            audio = http.get(f"/voice/{call['announcement_id']}.wav")
            assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
            with wave.open(io.BytesIO(audio.content)) as w:
                assert w.getframerate() == 22050 and w.getnchannels() == 1
                chime_s = sum(s for _, s in CHIME_TONES) + CHIME_GAP_S
                assert w.getnframes() / w.getframerate() > chime_s + 1.0
            assert http.get("/voice/999.wav").status_code == 404
            assert http.get("/api/display").json()["calls"][0]["number"] == "B001"

            with http.stream("GET", "/events"):  # a screen still open when the center stops
                wait_until(lambda: service.hub.subscribers == 1)
                server.stop()
        assert not server.thread.is_alive()
    finally:
        server.stop()
