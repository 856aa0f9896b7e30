"""The staff web over TLS with a certificate of the hall's own CA (the secured profile):
HSTS, the session cookie's Secure flag, and the config's pairing of certificate and key."""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from center.config import CenterConfig
from center.service import CenterService
from center.web import create_app
from core.config import parse_config
from core.errors import ConfigError
from hallrig.staff_accounts import DEMO_PASSWORD
from mqtt.pki import SERVER_HOSTS, issue, make_ca
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)
from tests.web_helpers import WebServer


def test_the_web_over_tls_sends_hsts_and_a_secure_session_cookie(service: CenterService, tmp_path: Path) -> None:
    ca = make_ca(tmp_path / "pki")
    web = issue(tmp_path / "pki", "web", "server", SERVER_HOSTS)
    server = WebServer(create_app(service, telemetry_period=0.05), tls=(web.cert, web.key)).start()
    try:
        with httpx.Client(base_url=server.url, verify=str(ca), timeout=10) as https:
            page = https.get("/login")
            assert page.status_code == 200 and page.headers["strict-transport-security"] == "max-age=31536000"
            signed = https.post("/api/session", json={"staff_no": "m001", "password": DEMO_PASSWORD})
            cookie = signed.headers["set-cookie"]
            assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=strict" in cookie
            assert https.get("/api/control").status_code == 200
        with pytest.raises(httpx.ConnectError):  # a client that does not know the hall CA is not fooled
            httpx.get(server.url + "/login", timeout=5)
    finally:
        server.stop()


def test_a_tls_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "web.crt"
    cert.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    data = {"windows": {"1": {"name": "1号窗口", "categories": ["A"]}}, "web": {"tls_cert_file": str(cert)}}
    with pytest.raises(ConfigError, match="tls_cert_file and web.tls_key_file together"):
        parse_config(data, CenterConfig, "config/hall.toml", environ={})
