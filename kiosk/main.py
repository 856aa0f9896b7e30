"""`onetrip kiosk`: the touchscreen app (speaks only the daemon's local API).

Kivy reads its settings when first imported, so nothing here imports it at module level:
`configure_kivy()` sets the environment and `kivy.config.Config` (one touch provider, full
screen, no cursor, no Escape key, the CJK font) and only then is the app imported.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from core.clock import Clock
from core.errors import ConfigError
from core.paths import CONFIG_DIR
from kiosk.settings import KioskSettings, load_settings

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=str(CONFIG_DIR / "kiosk-01.toml"), help="terminal config (TOML)")
    parser.add_argument("--socket", help="the daemon's local API socket (overrides [kiosk] socket)")
    parser.add_argument("--orientation", choices=sorted(SIZES), help="overrides [kiosk] orientation")
    parser.add_argument("--windowed", action="store_true", help="a window instead of full screen (development)")
    parser.add_argument("--area", type=area, help="a window at X,Y of W×H pixels (the demo's kiosks side by side)")


Area = tuple[int, int, int, int]  # left, top, width, height


def area(text: str) -> Area:
    found = re.fullmatch(r"(\d+),(\d+),(\d+)x(\d+)", text)
    if not found:
        raise argparse.ArgumentTypeError("X,Y,WxH, e.g. 0,0,960x1080")
    x, y, w, h = map(int, found.groups())
    return x, y, w, h


def screen_size(display: str | None = None) -> tuple[int, int] | None:
    """The X display's size (xdpyinfo, x11-utils; `$DISPLAY` by default), or None where it cannot be told."""
    try:
        out = subprocess.run(["xdpyinfo", *(["-display", display] if display else [])], capture_output=True,
                             text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r"dimensions:\s+(\d+)x(\d+) pixels", out)
    return (int(found[1]), int(found[2])) if found else None


def side_by_side(count: int, screen: tuple[int, int], orientation: str) -> list[Area]:
    """Where a demo puts `count` kiosk windows on one screen: one alone keeps the kiosk's own
    shape, as large as fits, in the middle; several share the screen's width, each a column."""
    width, height = screen
    if count == 1:
        kw, kh = SIZES[orientation]
        scale = min(width / kw, height / kh)
        w, h = int(kw * scale), int(kh * scale)
        return [((width - w) // 2, (height - h) // 2, w, h)]
    column = width // count
    return [(i * column, 0, column, height) for i in range(count)]


def settings_from(args: argparse.Namespace) -> KioskSettings:
    settings = load_settings(args.config)
    overrides: dict[str, Any] = {}
    if args.socket:
        overrides["socket"] = Path(args.socket)
    if args.orientation:
        overrides["orientation"] = args.orientation
    if args.windowed or args.area:
        overrides["fullscreen"] = False
    return settings.model_copy(update=overrides)


def configure_kivy(settings: KioskSettings, place: Area | None = None) -> None:
    """Everything Kivy must know before its window exists; a missing font is a config error.
    `place`: a window there, of that size, instead of the kiosk's full screen."""
    if not settings.font.is_file():
        raise ConfigError(f"[kiosk] font = '{settings.font}': file not found (install fonts-noto-cjk)")
    for name, value in (("KIVY_NO_ARGS", "1"), ("KIVY_NO_CONFIG", "1"), ("KIVY_NO_FILELOG", "1"),
                        ("KIVY_LOG_MODE", "PYTHON")):
        os.environ.setdefault(name, value)
    from kivy.config import Config

    width, height = SIZES[settings.orientation] if place is None else place[2:]
    if place is not None:
        for key, value in (("position", "custom"), ("left", place[0]), ("top", place[1])):
            Config.set("graphics", key, value)
    for section, key, value in (("graphics", "width", width), ("graphics", "height", height),
                                ("graphics", "fullscreen", "auto" if settings.fullscreen else "0"),
                                ("graphics", "borderless", int(settings.fullscreen)),
                                ("graphics", "resizable", 0), ("graphics", "show_cursor", 0), ("graphics", "multisamples", 0),
                                ("kivy", "exit_on_escape", 0), ("kivy", "keyboard_mode", "system")):
        Config.set(section, key, value)
    # exactly one touch provider: two on one device double every touch, and probing may
    # pick up the barcode scanner
    for option in Config.options("input"):
        Config.remove_option("input", option)
    Config.set("input", "mouse", "mouse,disable_on_activity")
    if settings.touch_provider != "none":
        Config.set("input", "touch", f"{settings.touch_provider},{settings.touch_device}")

    from kivy.core.text import DEFAULT_FONT, LabelBase
    bold = settings.bold_font if settings.bold_font.is_file() else settings.font
    LabelBase.register(DEFAULT_FONT, fn_regular=str(settings.font), fn_bold=str(bold))


def run(args: argparse.Namespace) -> int:
    return start(settings_from(args), place=args.area)


def start(settings: KioskSettings, clock: Clock | None = None, place: Area | None = None) -> int:
    """`clock` defaults to the terminal's `[clock]`: a demo hall's kiosk keeps the hall's time."""
    configure_kivy(settings, place)
    from kiosk.app import KioskApp

    KioskApp(settings, clock or settings.clock.clock()).run()
    return 0
