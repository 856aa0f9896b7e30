"""The kiosk's settings, read from the terminal's config file (the one the daemon reads too).

The kiosk's own knobs live in `[kiosk]` (all optional); the socket is the daemon's
`[local_api] socket`, so the two can never disagree; the hall's name is the top-level
`hall_name` until the catalog brings its own.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from core.config import ClockSettings, ConfigModel, load_config

DEFAULT_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_BOLD_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")


class KioskSection(ConfigModel):
    """`[kiosk]`."""

    orientation: Literal["portrait", "landscape"] = "portrait"  # 1080×1920 or 1920×1080
    fullscreen: bool = True
    language: Literal["zh", "en"] = "zh"  # what each new citizen sees first
    idle_seconds: float = Field(60, ge=2)  # no touch for this long → visible countdown
    countdown_seconds: int = Field(10, ge=1)  # then home, and the citizen is forgotten
    card_timeout: float = Field(30, ge=2)  # waiting for a card or a QR code
    result_seconds: float = Field(20, ge=2)  # a ticket or a thank-you stays this long
    timezone: str = "Asia/Shanghai"
    nearest_kiosk: str = "一楼大厅入口处的其他自助机"  # where to send citizens when this one cannot print
    guide_url: str = "https://zwfw.example.gov.cn/guide/{code}"  # the QR code on the printed notice
    font: Path = DEFAULT_FONT
    bold_font: Path = DEFAULT_BOLD_FONT
    touch_provider: Literal["mtdev", "hidinput", "none"] = "none"  # exactly one touch provider
    touch_device: str = ""  # e.g. /dev/input/by-id/usb-ILITEK-event-if00 ("none": mouse only)
    maintenance_taps: int = Field(5, ge=3)  # taps on the hall's name within 3 s open the PIN pad
    request_timeout: float = Field(8.0, gt=0)
    voice_guidance: Literal["elder", "on", "off"] = "elder"  # 语音引导: on by default in elder mode
    voice_program: str = "espeak-ng"


class KioskSettings(KioskSection):
    """Everything the app needs: `[kiosk]` plus where the daemon listens."""

    socket: Path
    hall_name: str = ""
    clock: ClockSettings = ClockSettings()  # the hall's `[clock]`, the daemon's too: issuing hours, header time


class _LocalApi(ConfigModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    socket: Path = Path("var/kiosk.sock")  # the daemon's default (daemon/config.py)


class _TerminalFile(ConfigModel):
    """The whole terminal file; the daemon's sections are its business."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    hall_name: str = ""
    local_api: _LocalApi = _LocalApi()
    kiosk: KioskSection = KioskSection()
    clock: ClockSettings = ClockSettings()


def load_settings(path: str | Path) -> KioskSettings:
    terminal = load_config(path, _TerminalFile)
    return KioskSettings(**terminal.kiosk.model_dump(), socket=terminal.local_api.socket,
                         hall_name=terminal.hall_name, clock=terminal.clock)
