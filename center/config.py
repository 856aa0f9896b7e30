"""The center's config (config/hall.toml): storage, catalog, hall calendar, windows, web, queue rules."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from ipaddress import ip_address, ip_network
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from center.db import sqlite_url
from center.queue_types import QueueSettings
from center.staff import StaffSettings
from core.calendar import CalendarSettings
from core.catalog_model import Hours
from core.config import ClockSettings, ConfigModel, LogSettings, MqttSettings


class WindowSettings(ConfigModel):
    name: str
    categories: list[str] = Field(min_length=1)
    department: str | None = None
    bus: str | None = Field(None, description="the window-bus terminal driving this window's LED and keypads")


class WebSettings(ConfigModel):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    language: Literal["zh", "en"] = Field("zh", description="the staff screens' and hall display's language")
    appointment_keys_sha256: list[str] = Field(
        [], description="SHA-256 (hex) of each appointment platform's API key for POST /api/appointments")
    max_body_bytes: int = Field(65536, ge=1024, description="a request body larger than this is refused (413)")
    tls_cert_file: Path | None = Field(None, description="serve the web over TLS with this certificate (PEM)")
    tls_key_file: Path | None = Field(None, description="…and its key; both or neither")

    @model_validator(mode="after")
    def _tls_pair(self) -> WebSettings:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("set web.tls_cert_file and web.tls_key_file together (or neither)")
        for path in (self.tls_cert_file, self.tls_key_file):
            if path is not None and not path.is_file():
                raise ValueError(f"web TLS file {path} does not exist")
        return self

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert_file else "http"


class CitizenWebSettings(ConfigModel):
    """`[citizen_web]`: the citizen's phone pages (docs/phone.md), public routes kept apart
    from the staff screens: on the staff web's port under /t/ and /b/, or — with `port` —
    on their own address, for guest Wi-Fi or a reverse proxy, without the console."""

    base_url: str = Field("http://127.0.0.1:8080", description="what the ticket's QR code opens: https in a hall")
    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=1, le=65535, description="own port for the public routes; unset: the staff web's")
    requests_per_min: int = Field(60, ge=1, description="per client address, over every public route")
    trusted_proxies: list[str] = Field(default_factory=list, description="addresses whose X-Forwarded-For is believed")
    webhook_url: str | None = Field(None, description="近号提醒: POSTed when a ticket gets near its turn")
    webhook_secret: str | None = Field(None, description="signs the webhook body (X-OneTrip-Signature)")
    webhook_timeout_s: float = Field(3.0, gt=0, le=30)
    key_file: Path | None = Field(None, description="the tokens' HMAC key; default state_dir/citizen-web.key")

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        """A phone opens it from the street: https, except a loopback address (tests, demo PC)."""
        url = urlsplit(value)
        loopback = url.hostname in ("localhost",) or _is_loopback(url.hostname or "")
        if url.scheme != "https" and not (url.scheme == "http" and loopback):
            raise ValueError("an https:// URL is expected (http only for a loopback address)")
        if not url.hostname or url.query or url.fragment:
            raise ValueError("a base URL with a host and no query or fragment is expected")
        return value.rstrip("/")

    @field_validator("webhook_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("an http:// or https:// URL is expected")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            ip_network(net, strict=False)  # a ValueError names the bad one
        return value


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


class VoiceSettings(ConfigModel):
    """The hall display's announcements: a chime, then the sentence `repeat` times (center/voice.py)."""

    enabled: bool = True
    voice: str = "cmn-latn-pinyin"
    clips_dir: Path = Path("var/center/voice")
    repeat: int = Field(2, ge=1, le=5, description="times each call's sentence is said after its chime")
    volume: float = Field(1.0, ge=0, le=1, description="the display's playback volume")
    quiet_hours: Hours = Field("", description="hall-clock periods like '12:00-13:30' played at quiet_volume")
    quiet_volume: float = Field(0.0, ge=0, le=1, description="volume in quiet hours; 0: screen only, no sound")


class FloorSettings(ConfigModel):
    """`[floor]`: 容缺 promises kept and 帮办 answered (center/promises.py, center/help_desk.py)."""

    promise_working_days: int = Field(5, ge=1, description="容缺: a deferred material is due this many of the"
                                                           " hall's business days after the case is accepted")
    promise_due_soon_days: int = Field(3, ge=0, description="the control room lists promises due within this many"
                                                            " days (and every overdue one)")
    help_escalate_min: float = Field(3, gt=0, description="帮办 not acknowledged this long (hall clock) escalates")


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
    citizen_web: CitizenWebSettings = CitizenWebSettings()
    floor: FloorSettings = FloorSettings()  # 容缺 promises, 帮办 cases
    log: LogSettings = LogSettings()
    clock: ClockSettings = ClockSettings()
    windows: dict[str, WindowSettings] = Field(min_length=1)

    @property
    def database(self) -> str:
        """The database URL: `database_url`, else SQLite in `state_dir`."""
        return self.database_url or sqlite_url(self.state_dir)

    @model_validator(mode="after")
    def _public_port_apart(self) -> CenterConfig:
        """The citizen web's own port is the point of having one: never the console's."""
        if self.citizen_web.port is not None and self.citizen_web.port == self.web.port:
            raise ValueError("citizen_web.port must differ from web.port (unset it to serve the phone pages at /m)")
        return self
