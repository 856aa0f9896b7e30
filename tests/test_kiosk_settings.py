"""`onetrip kiosk` start-up: settings from the terminal file, no Kivy on import, clear errors."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.paths import CONFIG_DIR
from kiosk.main import configure_kivy
from kiosk.settings import KioskSettings, load_settings
from onetrip.cli import main as onetrip_main


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
