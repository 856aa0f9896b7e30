"""Voice calls with the real espeak-ng: clips synthesised once, calls joined with `wave`,
live synthesis when a clip is missing; measured with `sox --i` and `wave`."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from center.config import VoiceSettings
from center.voice import (
    CHIME,
    CLIPS,
    Voice,
    call_words,
    duration_s,
    sentence,
    wav_params,
    window_words,
)
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")


def sox_info(path: Path, flag: str) -> str:
    return subprocess.run(["sox", "--i", flag, str(path)], check=True, capture_output=True, text=True).stdout.strip()


def test_words_of_a_call() -> None:
    assert call_words("A001", "3") == ["qing", "A", "d0", "d0", "d1", "hao", "dao", "d3", "window"]
    assert window_words("10") == ["shi"] and window_words("12") == ["shi", "d2"]
    assert window_words("20") == ["d2", "shi"] and window_words("35") == ["d3", "shi", "d5"]
    assert window_words("100") is None and window_words("VIP") is None and window_words("0") is None
    assert call_words("A001", "贵宾") is None
    assert sentence("A001", "3") == "请A001号到3号窗口办理" and sentence("B002", "6号综合窗口") == "请B002号到6号综合窗口办理"


def own_copy(clips_dir: Path, tmp_path: Path) -> Voice:
    """The session's clip cache (synthesised once) copied without other tests' calls."""
    Voice(VoiceSettings(clips_dir=clips_dir)).prepare()
    shutil.copytree(clips_dir, tmp_path / "clips", ignore=shutil.ignore_patterns("sentences"))
    return Voice(VoiceSettings(clips_dir=tmp_path / "clips"))


def test_clips_once_then_calls_from_clips(clips_dir: Path, tmp_path: Path) -> None:
    voice = own_copy(clips_dir, tmp_path)
    assert voice.ready and all(voice.clip(name).exists() for name in CLIPS)
    assert voice.prepare() == 0 and voice.synthesised == 0  # cached: nothing synthesised again

    call = voice.call_audio("A001", "3", "3号窗口")
    assert call.exists() and voice.built == 1 and voice.live == 0
    assert sox_info(call, "-r") == "22050" and sox_info(call, "-c") == "1"
    assert float(sox_info(call, "-D")) > 1.5  # a sentence of ten words, no chime: the display plays it first
    assert 0.5 < duration_s(voice.chime_audio()) < 2.0 and voice.chime_audio() == voice.clip(CHIME)
    assert wav_params(call) == wav_params(voice.clip("qing"))
    assert voice.call_audio("A001", "3", "3号窗口") == call and voice.built == 1  # kept

    other = voice.call_audio("A001", "12", "12号窗口")
    assert duration_s(other) > duration_s(call)  # 十二 is longer than 三


def test_missing_clip_falls_back_to_live_synthesis(tmp_path: Path, clips_dir: Path) -> None:
    voice = own_copy(clips_dir, tmp_path)
    voice.clip("d7").unlink()
    live = voice.call_audio("A007", "3", "3号窗口")
    assert live.name == "A007-3.live.wav" and voice.live == 1
    assert wav_params(live)[2] == 22050 and duration_s(live) > 1.0
    named = voice.call_audio("A001", "VIP", "贵宾窗口")  # a window without a number
    assert named.name == "A001-VIP.live.wav" and voice.live == 2

    assert voice.prepare() == 1  # only the missing clip is made again
    rebuilt = voice.call_audio("A007", "3", "3号窗口")
    assert rebuilt.name == "A007-3.wav" and voice.built == 1
