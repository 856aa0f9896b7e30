"""A terminal's config: who it is, where the broker is, which devices it drives.

Each `[devices.<name>]` table names its `family`; the rest of the table is validated by
that family's own settings model, so an error still names the file, the key and the value.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from core.config import ClockSettings, ConfigModel, LogSettings, MqttSettings, parse_config
from core.errors import ConfigError
from drivers.family import Family
from drivers.registry import family


class LocalApiSettings(ConfigModel):
    socket: Path = Path("var/kiosk.sock")


class TelemetrySettings(ConfigModel):
    period: float = Field(10.0, ge=1.0, le=3600.0)


class DaemonConfig(ConfigModel):
    terminal: str = Field(pattern=r"^[a-z0-9-]{1,40}$")
    role: Literal["kiosk", "window-bus"]
    hall_name: str = "市民中心"
    location: str = ""
    citizen_key_secret: str = Field(min_length=16, description="hall-wide key for citizens' keyed hashes")
    maintenance_pin_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    elderly_age: int = Field(60, ge=50, le=90)
    state_dir: Path = Path("var/terminal")
    debounce: float = Field(1.0, ge=0, le=30, description="seconds a device must stay offline before it is reported")
    outbox_max_rows: int = Field(50_000, ge=1, description="unacknowledged events kept before new ones are refused")
    mqtt: MqttSettings = MqttSettings()
    local_api: LocalApiSettings = LocalApiSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    log: LogSettings = LogSettings()
    clock: ClockSettings = ClockSettings()
    devices: dict[str, dict[str, Any]] = {}
    kiosk: dict[str, Any] = Field({}, description="the kiosk app's own table; kiosk/settings.py validates it")


@dataclass(frozen=True)
class DeviceSpec:
    name: str
    family: Family
    settings: ConfigModel


@dataclass(frozen=True)
class TerminalSetup:
    config: DaemonConfig
    devices: list[DeviceSpec]
    config_hash: str
    source: Path


def load_terminal(path: str | Path, environ: dict[str, str] | None = None) -> TerminalSetup:
    path = Path(path)
    try:
        raw = path.read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    config = parse_config(data, DaemonConfig, str(path), environ)
    specs = []
    for name, table in config.devices.items():
        table = dict(table)
        try:
            kind = family(str(table.pop("family", None)))
        except ConfigError as exc:
            raise ConfigError(f"{path}: devices.{name}.family: {exc}") from None
        settings = parse_config(table, kind.settings, f"{path} [devices.{name}]", environ={})
        specs.append(DeviceSpec(name, kind, settings))
    return TerminalSetup(config, specs, hashlib.sha256(raw).hexdigest()[:12], path)
