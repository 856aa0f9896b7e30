"""Voice calls for the hall display: "请A001号到3号窗口办理", and the chime played before it.

Halls want natural, repeatable audio (devices.md §4), so the words are synthesised once
with espeak-ng's `cmn-latn-pinyin` voice (Debian's `cmn` mis-reads hanzi) into a clip
cache, and a call is the clips joined with the stdlib `wave` module. A letter is read the
way the voice reads it alone (A as "ei"), the ticket's digits one by one, the window as a
Chinese numeral (十二号窗口). When a clip is missing — the cache is still being filled, or a
window has no number — the whole sentence is synthesised live instead. The chime is a file of
its own, made without espeak-ng: the display plays it, then the sentence as often as the hall
says (`[voice] repeat`), so a call whose speech fails still chimes.
"""
from __future__ import annotations

import math
import os
import shutil
import string
import subprocess
import tempfile
import threading
import wave
from array import array
from pathlib import Path
from typing import Any

from center.config import VoiceSettings
from core.errors import OneTripError

# clip name → what espeak-ng is given (names stay ASCII so the cache is portable)
WORDS = {"qing": "请", "hao": "号", "dao": "到", "window": "号窗口办理", "shi": "十"}
CLIPS = {**WORDS, **{f"d{d}": d for d in string.digits}, **{c: c for c in string.ascii_uppercase}}
CHIME = "chime"
SILENCE_LEVEL = 400      # |sample| below this at a clip's ends is espeak's padding
EDGE_PAD_S = 0.03        # silence kept at each end of a trimmed clip
CHIME_TONES = ((659.25, 0.42), (523.25, 0.62))  # E5 then C5 ("ding-dong"), seconds each
CHIME_GAP_S = 0.25
CHIME_RATE = 22050       # the chime is its own file: any rate the browser plays
CALLS_KEPT = 300         # call WAVs kept on disk; the clips are what matter


class VoiceError(OneTripError):
    """Speech could not be produced (espeak-ng missing or failing, clips that do not match)."""


def window_words(window: str) -> list[str] | None:
    """Clip names of a window number read as a Chinese numeral; None if it is not 1–99."""
    if not window.isdigit() or not 0 < int(window) < 100:
        return None
    tens, units = divmod(int(window), 10)
    words = ([] if tens <= 1 else [f"d{tens}"]) + (["shi"] if tens else [])
    return words + ([f"d{units}"] if units else [])


def call_words(number: str, window: str) -> list[str] | None:
    """The clips of one call's sentence; None when a part cannot be said from clips."""
    places = window_words(window)
    spelled = [c if c.isalpha() else f"d{c}" for c in number.upper()]
    if places is None or not number.isalnum() or not number.isascii():
        return None
    return ["qing", *spelled, "hao", "dao", *places, "window"]


def sentence(number: str, window_name: str) -> str:
    """The call as one sentence, for live synthesis and captions."""
    place = f"{window_name}号窗口" if window_name.isdigit() else window_name
    return f"请{number}号到{place}办理"


def _trim(frames: bytes, sampwidth: int, rate: int) -> bytes:
    """Cut espeak's leading and trailing silence, keeping a short natural edge."""
    if sampwidth != 2:
        return frames
    samples = array("h", frames)
    first = next((i for i, s in enumerate(samples) if abs(s) > SILENCE_LEVEL), 0)
    last = next((i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) > SILENCE_LEVEL), len(samples) - 1)
    pad = int(EDGE_PAD_S * rate)
    return samples[max(0, first - pad):min(len(samples), last + pad)].tobytes()


def chime_frames(rate: int) -> bytes:
    """A soft two-tone chime, 16-bit mono, each tone fading out."""
    out = array("h")
    for freq, seconds in CHIME_TONES:
        n = int(seconds * rate)
        for i in range(n):
            t = i / rate
            envelope = min(1.0, i / (0.01 * rate)) * math.exp(-3.2 * t / seconds)
            value = envelope * (0.55 * math.sin(2 * math.pi * freq * t) + 0.15 * math.sin(4 * math.pi * freq * t))
            out.append(int(value * 32767 * 0.8))
    out.extend([0] * int(CHIME_GAP_S * rate))
    return out.tobytes()


def wav_params(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as w:
        return w.getnchannels(), w.getsampwidth(), w.getframerate()


def duration_s(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def write_wav(path: Path, frames: bytes, channels: int, width: int, rate: int) -> Path:
    """Write aside, then rename into place: a reader never sees half a file, and two
    processes filling the same cache cannot mix their bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(fd)
    try:
        with wave.open(tmp, "wb") as w:
            w.setnchannels(channels), w.setsampwidth(width), w.setframerate(rate)
            w.writeframes(frames)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def concatenate(parts: list[Path], out: Path) -> Path:
    """Join WAV files of one format into `out`."""
    params: tuple[int, int, int] | None = None
    frames = []
    for part in parts:
        with wave.open(str(part), "rb") as src:
            these = (src.getnchannels(), src.getsampwidth(), src.getframerate())
            if params is not None and these != params:
                raise VoiceError(f"{part.name} is {these}, not {params}: clips must share one format")
            params = these
            frames.append(src.readframes(src.getnframes()))
    if params is None:
        raise VoiceError("nothing to join")
    return write_wav(out, b"".join(frames), *params)


class Voice:
    """The clip cache and the calls made from it, under `clips_dir/<voice>/`."""

    def __init__(self, settings: VoiceSettings, espeak: str = "espeak-ng") -> None:
        self.settings = settings
        self.dir = Path(settings.clips_dir) / settings.voice
        self.calls_dir = self.dir / "sentences"  # not "calls/": those older files began with the chime
        self.espeak = shutil.which(espeak) or espeak
        self._lock = threading.Lock()
        self.synthesised = 0
        self.live = 0
        self.built = 0

    def clip(self, name: str) -> Path:
        return self.dir / f"{name}.wav"

    def _synthesise(self, text: str, out: Path) -> None:
        try:
            subprocess.run([self.espeak, "-v", self.settings.voice, "-w", str(out), text],
                           check=True, capture_output=True, timeout=20)
        except (OSError, subprocess.SubprocessError) as exc:
            raise VoiceError(f"espeak-ng could not speak {text!r}: {type(exc).__name__}") from None
        self.synthesised += 1

    def prepare(self) -> int:
        """Synthesise every missing clip (and the chime) once; returns how many were made."""
        with self._lock:
            made = 0
            for name, text in CLIPS.items():
                if self.clip(name).exists():
                    continue
                with tempfile.TemporaryDirectory() as tmp:
                    raw = Path(tmp, "raw.wav")
                    self._synthesise(text, raw)
                    with wave.open(str(raw), "rb") as src:
                        p, frames = src.getparams(), src.readframes(src.getnframes())
                write_wav(self.clip(name), _trim(frames, p.sampwidth, p.framerate), p.nchannels, p.sampwidth,
                          p.framerate)
                made += 1
            if not self.clip(CHIME).exists():
                self.chime_audio()
                made += 1
            return made

    @property
    def ready(self) -> bool:
        return all(self.clip(n).exists() for n in (*CLIPS, CHIME))

    def chime_audio(self) -> Path:
        """The chime before every call: synthesised here, so it sounds even when speech fails."""
        path = self.clip(CHIME)
        if not path.exists():
            write_wav(path, chime_frames(CHIME_RATE), 1, 2, CHIME_RATE)
        return path

    def call_audio(self, number: str, window: str, window_name: str) -> Path:
        """The WAV of one call's sentence: joined from clips (kept for the next time this number is
        called here), else synthesised live (kept apart, so the clip version replaces it
        once the clips are ready)."""
        words = call_words(number, window)
        name = "".join(c for c in f"{number}-{window}" if c.isalnum() or c == "-")
        out = self.calls_dir / f"{name}.wav"
        if out.exists():
            return out
        if words is not None and all(self.clip(w).exists() for w in words):
            self.built += 1
            return self._keep(concatenate([self.clip(w) for w in words], out))
        live = self.calls_dir / f"{name}.live.wav"
        return live if live.exists() else self._keep(self._live(sentence(number, window_name), live))

    def _live(self, text: str, out: Path) -> Path:
        """Fallback: the sentence in one go."""
        with tempfile.TemporaryDirectory() as tmp:
            spoken = Path(tmp, "spoken.wav")
            self._synthesise(text, spoken)
            self.live += 1
            return concatenate([spoken], out)

    def _keep(self, made: Path) -> Path:
        """Bound the calls cache (a file is ~200 kB): drop the least recently made."""
        calls = sorted(self.calls_dir.glob("*.wav"), key=lambda p: p.stat().st_mtime)
        for old in calls[:max(0, len(calls) - CALLS_KEPT)]:
            if old != made:
                old.unlink(missing_ok=True)
        return made

    def get_status(self) -> dict[str, Any]:
        return {"voice": self.settings.voice, "ready": self.ready, "clips_synthesised": self.synthesised,
                "calls_built": self.built, "calls_live": self.live, "dir": str(self.dir)}

