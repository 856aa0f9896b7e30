"""`onetrip kiosk` start-up: settings from the terminal file, no Kivy on import, clear errors."""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.paths import CONFIG_DIR
from hallrig.kiosk_xvfb import xvfb
from kiosk.main import area, configure_kivy, screen_size, side_by_side
from kiosk.settings import KioskSettings, load_settings
from onetrip.cli import main as onetrip_main
from tests.conftest import wait_until


def test_demo_terminal_file_gives_the_daemons_socket() -> None:
    settings = load_settings(CONFIG_DIR / "kiosk-01.toml")
    assert settings.socket == Path("var/kiosk-01/kiosk.sock")
    assert settings.hall_name == "示范市市民中心" and settings.orientation == "portrait"


def test_kiosk_section_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[local_api]\nsocket = "/run/x.sock"\n[kiosk]\norientation = "landscape"\nidle_seconds = 30\n')
    settings = load_settings(path)
    assert settings.orientation == "landscape" and settings.idle_seconds == 30
    path.write_text('[kiosk]\nidle_secnds = 30\n')
    with pytest.raises(ConfigError, match="kiosk.idle_secnds"):
        load_settings(path)


def test_importing_the_entry_point_does_not_start_kivy() -> None:
    code = "import sys, kiosk.main; assert not any(m.startswith('kivy') for m in sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


def test_missing_font_is_a_one_line_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                process_logging: None) -> None:
    with pytest.raises(ConfigError, match="font"):
        configure_kivy(KioskSettings(socket=tmp_path / "s", font=tmp_path / "nope.ttc"))
    path = tmp_path / "t.toml"
    path.write_text(f'[kiosk]\nfont = "{tmp_path / "nope.ttc"}"\n')
    assert onetrip_main(["kiosk", "--config", str(path)]) == 2
    assert "font" in capsys.readouterr().err


def test_finding_12_demo_kiosks_side_by_side_each_half_the_screen() -> None:
    """`make demo` opened both kiosks full-screen on one display, one hidden: one kiosk keeps its
    shape in the middle, two share the width."""
    assert side_by_side(2, (1920, 1080), "portrait") == [(0, 0, 960, 1080), (960, 0, 960, 1080)]
    assert side_by_side(1, (1920, 1080), "portrait") == [(656, 0, 607, 1080)]
    assert area("960,0,960x1080") == (960, 0, 960, 1080)
    with pytest.raises(argparse.ArgumentTypeError):
        area("960x1080")


@pytest.mark.ui
@pytest.mark.skipif(shutil.which("Xvfb") is None or shutil.which("xwininfo") is None, reason="needs Xvfb, xwininfo")
def test_finding_12_two_kiosk_windows_open_where_the_demo_puts_them(tmp_path: Path) -> None:
    with xvfb() as display:
        env = {**os.environ, "DISPLAY": display, "KIVY_HOME": str(tmp_path / "kivy"),
               "ONETRIP_STATE_DIR": str(tmp_path)}
        screen = screen_size(display)
        assert screen == (1920, 1920)
        places = side_by_side(2, screen, "portrait")
        apps = [subprocess.Popen([sys.executable, "-m", "onetrip.cli", "kiosk", "--socket", str(tmp_path / "none.sock"),
                                  "--area", "{},{},{}x{}".format(*place)], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL) for place in places]
        try:
            wait_until(lambda: len(kiosk_windows(display)) == 2, 60)
            assert sorted(kiosk_windows(display)) == places
        finally:
            for app in apps:
                app.terminate()
                app.wait(10)


def kiosk_windows(display: str) -> list[tuple[int, int, int, int]]:
    """Each kiosk window's place and size, as the X server has it."""
    tree = subprocess.run(["xwininfo", "-display", display, "-root", "-tree"], capture_output=True, text=True).stdout
    return [(int(m[3]), int(m[4]), int(m[1]), int(m[2]))
            for m in re.finditer(r'"OneTrip kiosk".*?(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(\d+)\+(\d+)', tree)]
