from pathlib import Path

import pytest
from pydantic import Field

from core.config import ConfigModel, MqttSettings, load_config
from core.errors import ConfigError


class Terminal(ConfigModel):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    mqtt: MqttSettings = MqttSettings()
    poll_interval: float = Field(0.5, ge=0.3)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "terminal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_file_loads(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, 'id = "kiosk-1"\n[mqtt]\nport = 1884\nhall = "city"\n'), Terminal, environ={})
    assert (cfg.id, cfg.mqtt.port, cfg.mqtt.hall) == ("kiosk-1", 1884, "city")


def test_bad_value_names_file_key_value_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, 'id = "kiosk-1"\n[mqtt]\nport = "abc"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path, Terminal, environ={})
    line = str(err.value)
    assert "\n" not in line
    assert str(path) in line and "mqtt.port" in line and "'abc'" in line and "integer" in line


def test_out_of_range_and_unknown_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"poll_interval = 0.1: Input should be greater than or equal to 0.3"):
        load_config(write(tmp_path, 'id = "k"\npoll_interval = 0.1\n'), Terminal, environ={})
    with pytest.raises(ConfigError, match=r"mqtt.prot = 1: no such key"):
        load_config(write(tmp_path, 'id = "k"\n[mqtt]\nprot = 1\n'), Terminal, environ={})


def test_missing_key_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"id = '<missing>': Field required"):
        load_config(write(tmp_path, "poll_interval = 1\n"), Terminal, environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", Terminal, environ={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "id = \n"), Terminal, environ={})


def test_environment_overrides_keys_and_is_named_on_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'id = "kiosk-1"\n')
    cfg = load_config(path, Terminal, environ={"ONETRIP__MQTT__PORT": "2883", "ONETRIP__MQTT__HOST": "broker.hall"})
    assert (cfg.mqtt.port, cfg.mqtt.host) == (2883, "broker.hall")
    with pytest.raises(ConfigError, match=r"overridden by ONETRIP__MQTT__PORT\): mqtt.port = 99999"):
        load_config(path, Terminal, environ={"ONETRIP__MQTT__PORT": "99999"})


def test_shipped_configs_are_valid_toml() -> None:
    import tomllib

    for path in Path(__file__).parent.parent.joinpath("config").rglob("*.toml"):
        tomllib.loads(path.read_text(encoding="utf-8"))
