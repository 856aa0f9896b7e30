"""语音引导: the kiosk says each screen's title, the issued number and where to go, and
请取走您的身份证 — through espeak-ng, as the hall's calls are (center/voice.py).

One sentence at a time: a new one cuts the one still being said (the screen changed). What
is said is kept (`spoken`, the last few) for the tests; it never holds a name or an ID
number, only the screen's own words and the ticket's number and place.
"""
from __future__ import annotations

import logging
import shutil
import subprocess

log = logging.getLogger("kiosk.voice")

VOICES = {"zh": "cmn-latn-pinyin", "en": "en"}  # Debian's plain `cmn` mis-reads hanzi
KEPT = 20


class Voice:
    def __init__(self, program: str = "espeak-ng", speed: int = 150) -> None:
        self.program = shutil.which(program) or program
        self.speed = speed  # words per minute: slower than espeak's 175, for the elderly
        self.spoken: list[str] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._broken = False

    def say(self, text: str, language: str) -> None:
        self.stop()
        self.spoken = [*self.spoken[-(KEPT - 1):], text]
        if self._broken:
            return
        try:
            self._proc = subprocess.Popen([self.program, "-v", VOICES.get(language, "en"), "-s", str(self.speed), text],
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL)
        except OSError as exc:  # no espeak-ng: the screen still says it all
            self._broken = True
            log.warning("voice guidance unavailable: %s", type(exc).__name__)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
        if proc is not None:
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
