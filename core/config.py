"""The one config loader: TOML files validated by pydantic models.

A bad value stops the program with one line naming the file, the key, the value and what
was expected. Environment variables override keys: ``ONETRIP__<SECTION>__<KEY>=value``
(double underscores between levels, case-insensitive), e.g. ``ONETRIP__MQTT__PORT=1884``.
The value is read as a TOML literal when it parses as one (numbers, booleans, arrays,
quoted strings) and as a plain string otherwise.
"""
from __future__ import annotations

import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError

if TYPE_CHECKING:
    from core.clock import Clock

ENV_PREFIX = "ONETRIP__"
M = TypeVar("M", bound=BaseModel)


class ConfigModel(BaseModel):
    """Base of every config section: unknown keys are errors, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MqttSettings(ConfigModel):
    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    hall: str = Field("demo", pattern=r"^[a-z0-9_-]+$")
    keepalive: int = Field(15, ge=5, le=600)
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    username: str | None = None
    password: str | None = None
    request_timeout: float = Field(3.0, gt=0)


class ClockSettings(ConfigModel):
    """Demo and drill time: the hall day starts at `start` and runs `speed` times as fast.

    Every process of one hall must get the same three values (`anchor` = the wall-clock
    epoch seconds at which hall time was `start`); unset, hall time is the wall clock.
    """

    start: datetime | None = None
    speed: float = Field(1.0, gt=0, le=10_000)
    anchor: float | None = None
    sync_period: float = Field(60.0, ge=0.2, le=3600,
                               description="a terminal's seconds between measurements of its offset from hall time")

    def clock(self) -> "Clock":
        from core.clock import SYSTEM_CLOCK, ScaledClock

        if self.start is None:
            return SYSTEM_CLOCK
        return ScaledClock(self.start.timestamp(), self.speed, self.anchor)


class LogSettings(ConfigModel):
    level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.upper().startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX):].split("__") if p]
        if not path:
            continue
        try:
            value: Any = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = (value, name)
    return tree


def _merge(base: dict[str, Any], overrides: dict[str, Any], origins: dict[str, str], prefix: str = "") -> None:
    for key, value in overrides.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            node = base.setdefault(key, {})
            if not isinstance(node, dict):
                node = base[key] = {}
            _merge(node, value, origins, dotted + ".")
        else:
            base[key], origins[dotted] = value[0], value[1]


def _lookup(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return "<missing>"
    return data


def parse_config(data: dict[str, Any], model: type[M], source: str, environ: dict[str, str] | None = None) -> M:
    """Validate already-read TOML data (plus env overrides) into `model`."""
    origins: dict[str, str] = {}
    _merge(data, _env_overrides(dict(os.environ if environ is None else environ)), origins)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "<root>"
        where = f"{source} (overridden by {origins[key]})" if key in origins else source
        value = _lookup(data, err["loc"]) if err["type"] != "missing" else "<missing>"
        expected = err["msg"]
        if err["type"] == "extra_forbidden":
            expected = "no such key (misspelt?)"
        more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{where}: {key} = {value!r}: {expected}{more}") from None


def load_config(path: str | Path, model: type[M], environ: dict[str, str] | None = None) -> M:
    """Read a TOML file and validate it; every failure is a one-line `ConfigError`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, model, str(path), environ)
