"""The center's config (config/hall.toml): storage, catalog, hall calendar, windows, web, queue rules."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from center.queue_types import QueueSettings
from center.staff import StaffSettings
from core.calendar import CalendarSettings
from core.config import ClockSettings, ConfigModel, LogSettings, MqttSettings


class WindowSettings(ConfigModel):
    name: str
    categories: list[str] = Field(min_length=1)
    department: str | None = None
    bus: str | None = Field(None, description="the window-bus terminal driving this window's LED and keypads")


class WebSettings(ConfigModel):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    appointment_keys_sha256: list[str] = Field(
        [], description="SHA-256 (hex) of each appointment platform's API key for POST /api/appointments")
    max_body_bytes: int = Field(65536, ge=1024, description="a request body larger than this is refused (413)")


class VoiceSettings(ConfigModel):
    enabled: bool = True
    voice: str = "cmn-latn-pinyin"
    clips_dir: Path = Path("var/center/voice")


class CenterConfig(ConfigModel):
    database_url: str | None = Field(None, description="SQLAlchemy URL; default SQLite under state_dir")
    catalog: Path = Path("config/catalog")
    state_dir: Path = Path("var/center")
    outbox_backlog_alert: int = Field(200, ge=1, description="a terminal's unacked events before an alert")
    clock_offset_alert_ms: float = Field(2000, gt=0, description="a terminal's clock offset from hall time before an alert")
    housekeeping_period: float = Field(5.0, gt=0)
    mqtt: MqttSettings = MqttSettings()
    web: WebSettings = WebSettings()
    queue: QueueSettings = QueueSettings()
    calendar: CalendarSettings = CalendarSettings()  # public holidays, 调休, the hall's special days
    voice: VoiceSettings = VoiceSettings()
    staff: StaffSettings = StaffSettings()  # accounts, passwords, sessions, audit retention
    log: LogSettings = LogSettings()
    clock: ClockSettings = ClockSettings()
    windows: dict[str, WindowSettings] = Field(min_length=1)
