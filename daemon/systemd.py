"""sd_notify without a dependency: READY, STATUS and WATCHDOG over $NOTIFY_SOCKET.

Eight lines of socket code, so the daemon needs neither libsystemd nor a package for it.
The watchdog ping is sent only when `Health.check()` passes: a stuck loop stops pinging
and systemd restarts the daemon (`WatchdogSec=` in systemd/onetrip-daemon.service).
"""
from __future__ import annotations

import os
import socket


class Notifier:
    def __init__(self, address: str | None = None) -> None:
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        if self.address.startswith("@"):
            self.address = "\0" + self.address[1:]  # abstract namespace
        self.sent: int = 0

    def notify(self, *fields: str) -> None:
        if not self.address:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto("\n".join(fields).encode(), self.address)
        self.sent += 1

    def ready(self, status: str) -> None:
        self.notify("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.notify(f"STATUS={status}")

    def watchdog(self) -> None:
        self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1")

