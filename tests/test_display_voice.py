"""The hall display heard in real headless Chromium: every call announced whole (a chime, then
the sentence as often as the hall says), in call order, never cut by the next; a recall
announced again; the chime and the screen when speech fails; the screen alone in quiet hours.
What was heard is read from the page's own playback log (each clip's `ended` or `error`).
The voice here is short tones, so a test of four announcements takes a few seconds."""
from __future__ import annotations

import math
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from center.config import VoiceSettings
from center.service import CenterService
from center.voice import Voice, VoiceError, write_wav
from center.web import create_app
from tests.browser_fixtures import browser, open_page, page_errors  # noqa: F401  (imported, not a plugin)
from tests.center_fixtures import take_printed
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import WebServer

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")]

RATE = 22050


def tone(path: Path, freq: float, seconds: float = 0.15) -> Path:
    samples = (int(8000 * math.sin(2 * math.pi * freq * n / RATE)) for n in range(int(seconds * RATE)))
    return path if path.exists() else write_wav(path, b"".join(struct.pack("<h", s) for s in samples), 1, 2, RATE)


class ShortVoice(Voice):
    """A chime and sentences of 0.15 s each: the order and wholeness of announcements is under test."""

    def prepare(self) -> int:
        return 0

    def chime_audio(self) -> Path:
        return tone(self.dir / "chime.wav", 880)

    def call_audio(self, number: str, window: str, window_name: str) -> Path:
        return tone(self.calls_dir / f"{number}-{window}.wav", 440)


class MuteVoice(ShortVoice):
    """Speech that fails (espeak-ng broken): only the chime exists."""

    def call_audio(self, number: str, window: str, window_name: str) -> Path:
        raise VoiceError("espeak-ng could not speak")


@pytest.fixture
def display_for(service: CenterService, open_page, tmp_path: Path) -> Iterator[Callable[..., Page]]:
    servers: list[WebServer] = []

    def opened(voice_class: type[Voice] = ShortVoice, **settings: Any) -> Page:
        voice = voice_class(VoiceSettings(clips_dir=tmp_path / "voice", **settings))
        servers.append(WebServer(create_app(service, voice=voice, telemetry_period=60)).start())
        page = open_page(f"{servers[-1].url}/display", 1920, 1080)
        expect(page.locator("#categories .cat")).to_have_count(len(service.catalog.categories))
        return page

    yield opened
    for server in servers:
        server.stop()


Heard = list[tuple[str, int, str]]


def announcements(page: Page, count: int) -> tuple[list[Heard], list[int]]:
    """Once `count` announcements are done: each one's (part, round, outcome)s, and their order."""
    page.wait_for_function("(n) => playbackLog.filter((e) => e.part === 'announcement').length >= n", arg=count,
                           timeout=30_000)
    log = page.evaluate("playbackLog")
    heard: dict[int, Heard] = {}
    order: list[int] = []
    for entry in log:
        if entry["announcement"] not in heard:
            order.append(entry["announcement"])
        heard.setdefault(entry["announcement"], []).append((entry["part"], entry["round"], entry["outcome"]))
    # one announcement at a time: each one's entries are contiguous in the log
    runs = [e["announcement"] for i, e in enumerate(log) if i == 0 or log[i - 1]["announcement"] != e["announcement"]]
    assert runs == order, log
    return [heard[a] for a in order], order


WHOLE = [("chime", 1, "ended"), ("sentence", 1, "ended"), ("sentence", 2, "ended"), ("announcement", 0, "done")]


def test_three_calls_in_one_second_are_heard_whole_in_order_and_a_recall_again(
        display_for: Callable[..., Page], service: CenterService) -> None:
    display = display_for()
    for window, staff in (("1", "s001"), ("2", "s002"), ("6", "s006")):
        service.desk.sign_in(window, staff)
    for _ in range(3):
        take_printed(service, "kiosk-01", {"category": "A"})
    calls = [service.desk.call_next(w) for w in ("1", "2", "6")]  # three windows' keys at once
    recall = service.desk.recall("1")
    heard, order = announcements(display, 4)
    assert order == [c.announcement_id for c in (*calls, recall)]
    assert heard == [WHOLE] * 4
    expect(display.locator("#now-number")).to_have_text(recall.number)
    newest = display.locator("#recent li").first
    expect(newest).to_have_class("newest")
    expect(newest.locator(".tag.newest")).to_be_visible()
    expect(newest.locator(".tag.recall")).to_be_visible()
    expect(display.locator("#recent li .number")).to_contain_text([recall.number, *(c.number for c in calls[::-1])])


def test_the_sentence_as_often_as_the_hall_says(display_for: Callable[..., Page], service: CenterService) -> None:
    display = display_for(repeat=3)
    service.desk.sign_in("1", "s001")
    take_printed(service, "kiosk-01", {"category": "A"})
    service.desk.call_next("1")
    heard, _ = announcements(display, 1)
    assert heard == [[WHOLE[0], *(("sentence", n, "ended") for n in (1, 2, 3)), WHOLE[-1]]]


def test_when_speech_fails_the_chime_and_the_screen_still_go(
        display_for: Callable[..., Page], service: CenterService) -> None:
    display = display_for(MuteVoice)
    service.desk.sign_in("1", "s001")
    take_printed(service, "kiosk-01", {"category": "A"})
    call = service.desk.call_next("1")
    heard, _ = announcements(display, 1)
    assert heard == [[("chime", 1, "ended"), ("sentence", 1, "error"), ("announcement", 0, "done")]]
    expect(display.locator("#now-number")).to_have_text(call.number)


def test_quiet_hours_on_the_hall_clock_show_calls_without_sound(
        display_for: Callable[..., Page], service: CenterService) -> None:
    display = display_for(quiet_hours="09:00-11:00")  # the hall clock says Monday 10:00
    service.desk.sign_in("1", "s001")
    take_printed(service, "kiosk-01", {"category": "A"})
    call = service.desk.call_next("1")
    heard, _ = announcements(display, 1)
    assert heard == [[("silent", 0, "quiet hours"), ("announcement", 0, "done")]]
    expect(display.locator("#now-number")).to_have_text(call.number)
