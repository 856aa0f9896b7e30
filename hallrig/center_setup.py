"""A center's config for one machine, with a hall instant inside its issuing hours: what the
center tests and the center benches both start from."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from center.config import CenterConfig, WindowSettings
from core.config import MqttSettings
from core.paths import CONFIG_DIR

MONDAY_10AM = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
MONDAY_OPENING = MONDAY_10AM.replace(hour=8, minute=30)  # a whole-hall test's day: never today's


def center_config(workdir: Path, mqtt_settings: MqttSettings, **overrides: Any) -> CenterConfig:
    """Three windows (1 and 2 on bus-01) over the shipped catalog; state under `workdir/center`."""
    windows = {"1": WindowSettings(name="1号窗口", categories=["A"], bus="bus-01"),
               "2": WindowSettings(name="2号窗口", categories=["A", "B"], bus="bus-01"),
               "3": WindowSettings(name="3号窗口", categories=["B"])}
    return CenterConfig(catalog=CONFIG_DIR / "catalog", state_dir=workdir / "center", mqtt=mqtt_settings,
                        windows=windows, housekeeping_period=0.2, **overrides)
