"""`onetrip center`: the hall control center — queue engine, hall link and web screens."""
from __future__ import annotations

import argparse
import logging
import socket
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from center.citizen_web import create_citizen_app, public_app, split_by_port
from center.config import CenterConfig
from center.service import CenterService
from center.web import CenterWeb, create_app
from core.config import load_config
from core.paths import CONFIG_DIR

log = logging.getLogger("center")

SCREENS = {"hall display 大厅显示屏": "/display", "counter console 窗口叫号": "/console?window={window}",
           "control room 大厅管理": "/control", "reports 统计报表": "/reports", "metrics": "/metrics"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=str(CONFIG_DIR / "hall.toml"), help="hall config (TOML)")


def addresses(config: CenterConfig) -> list[str]:
    host = "127.0.0.1" if config.web.host in ("0.0.0.0", "::", "") else config.web.host
    base = f"{config.web.scheme}://{host}:{config.web.port}"
    first_window = next(iter(config.windows))
    lines = [f"  {name:<28} {base}{path.format(window=first_window)}" for name, path in SCREENS.items()]
    phone = config.citizen_web
    where = f"{phone.host}:{phone.port}" if phone.port is not None else f"{base}/m/"
    return [*lines, f"  {'citizen phone pages 扫码查看':<24} {phone.base_url}/m/t/… (served on {where})"]


def web_app(service: CenterService) -> tuple[ASGIApp, CenterWeb, list[tuple[str, int]]]:
    """The app uvicorn serves and the addresses it binds: the staff web's, and the citizen
    web's own when `[citizen_web] port` is set (else the staff app mounts it at /m)."""
    staff = create_app(service)
    web: CenterWeb = staff.state.web
    binds = [(service.config.web.host, service.config.web.port)]
    phone = service.config.citizen_web
    if phone.port is None:
        return staff, web, binds
    public = public_app(create_citizen_app(service, web.stopping))
    return split_by_port(staff, public, phone.port), web, [*binds, (phone.host, phone.port)]


class Server(uvicorn.Server):
    """uvicorn that ends the screens' event streams first, so SIGTERM or Ctrl-C does not wait
    on displays that never close their connection, and stops the center once the web is
    down — before uvicorn re-raises the signal it caught, which ends the process."""

    def __init__(self, config: uvicorn.Config, web: CenterWeb, on_stopped: Callable[[], None]) -> None:
        super().__init__(config)
        self.web = web
        self.on_stopped = on_stopped

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.web.close_streams()
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        self.on_stopped()


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config, CenterConfig)
    service = CenterService(config)
    service.start()
    stopped = threading.Event()

    def stop() -> None:
        if not stopped.is_set():
            stopped.set()
            service.stop()
            log.info("center stopped")

    app, web, binds = web_app(service)
    sockets = [uvicorn.Config(app, host=host, port=port, log_config=None).bind_socket() for host, port in binds]
    tls = config.web
    server = Server(uvicorn.Config(app, log_config=None, timeout_graceful_shutdown=3, lifespan="on",
                                   ssl_certfile=tls.tls_cert_file, ssl_keyfile=tls.tls_key_file), web, stop)
    if tls.tls_cert_file is None and tls.host not in ("127.0.0.1", "::1", "localhost"):
        log.warning("the staff web is served over plain HTTP beyond this host: set [web] tls_cert_file and"
                    " tls_key_file, or put it behind the hall's TLS reverse proxy", extra={"host": tls.host})
    print(f"onetrip center: {service.catalog.header.hall}, MQTT {config.mqtt.host}:{config.mqtt.port}", flush=True)
    print("\n".join(addresses(config)), flush=True)
    try:
        server.run(sockets=sockets)
    finally:
        stop()  # also when the web never started (port taken)
    return 0 if server.started else 1
