"""The device side of a serial link: a pty with a stable name that can be unplugged.

The driver opens `link` (a symlink, like udev's /dev/serial/by-id names) so that after an
unplug/replug — which makes a new pty with a new /dev/pts number — it finds the device again.
The simulator keeps the slave open itself, so reads on the master never see EIO when the
driver closes its end.
"""
from __future__ import annotations

import os
import pty
import select
import threading
import tty
from pathlib import Path


class PtyPort:
    def __init__(self, link: str | Path) -> None:
        self.link = Path(link)
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()
        self.plug()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self) -> None:
        with self._lock:
            if self._master is not None:
                return
            master, slave = pty.openpty()
            tty.setraw(slave)
            tty.setraw(master)
            self._master, self._slave = master, slave
            self.link.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.link.with_name(self.link.name + ".tmp")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(os.ttyname(slave))
            tmp.replace(self.link)

    def unplug(self) -> None:
        """Close the master: the driver's next read or write fails, as when a cable is pulled."""
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
            self.link.unlink(missing_ok=True)

    def read(self, timeout: float) -> bytes:
        master = self._master
        if master is None:
            threading.Event().wait(timeout)
            return b""
        try:
            ready, _, _ = select.select([master], [], [], timeout)
            return os.read(master, 65536) if ready else b""
        except OSError:  # unplugged under us
            return b""

    def write(self, data: bytes) -> None:
        master = self._master
        if master is None:
            return  # nobody on the line: the bytes go nowhere, as on a dead cable
        try:
            os.write(master, data)
        except OSError:
            pass

    def close(self) -> None:
        self.unplug()


class PtySimulator:
    """A device on a pty, answered from one thread that hands what arrives to `_receive`;
    the lifecycle and the cable every serial simulator shares."""

    thread_name = "sim"

    def __init__(self, link: str | Path) -> None:
        self.link = Path(link)
        self._port: PtyPort | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        port = self._port = PtyPort(self.link)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, args=(port,), name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        if self._port is not None:
            self._port.close()

    def unplug(self) -> None:
        if self._port is not None:
            self._port.unplug()

    def plug(self) -> None:
        if self._port is not None:
            self._port.plug()

    def _serve(self, port: PtyPort) -> None:
        while not self._stop.is_set():
            data = port.read(0.05)
            if data:
                self._receive(port, data)

    def _receive(self, port: PtyPort, data: bytes) -> None:
        """Answer the bytes the host sent (each simulator's own)."""
        raise NotImplementedError
