"""Driver of a QR / barcode scanner: a USB HID keyboard read through evdev.

The transport reads raw records from every node of one
scanner (some expose two), so the same bytes flow whether the node is a real
/dev/input/eventN or the simulator's FIFO. The driver grabs the nodes, so scans never
reach Kivy or X as keystrokes — but only while no key is held, or the rest of the hall's
software would see a key that never comes up — and grabs again after a replug.
"""
from __future__ import annotations

import glob
import os
import select
import stat
from typing import Any, Callable

from evdev import InputDevice, list_devices
from pydantic import Field, model_validator

from core.config import ConfigModel
from core.devstate import ONLINE, Condition, DeviceState, Reason
from core.errors import DeviceError
from core.sansio import CodecError, feed
from drivers.base import Driver
from drivers.scanner.codec import RECORD, HostCodec
from drivers.transport import TransportError, os_reason


# ---- finding and reading the nodes ---------------------------------------------------
class ScannerSettings(ConfigModel):
    """A terminal config's `[scanner]` section; the first way given finds the nodes."""

    vendor_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    product_id: int | None = Field(default=None, ge=0, le=0xFFFF)
    by_id: str | None = Field(default=None, description="glob, e.g. /dev/input/by-id/usb-Netum*-event-kbd")
    nodes: list[str] = Field(default_factory=list, description="fixed paths (the simulator's node)")
    grab: bool = True

    @model_validator(mode="after")
    def _one_way_to_find_it(self) -> ScannerSettings:
        if self.vendor_id is None and self.product_id is not None:
            raise ValueError("product_id needs vendor_id")
        if self.vendor_id is None and not self.by_id and not self.nodes:
            raise ValueError("say how to find the scanner: vendor_id (+ product_id), by_id or nodes")
        return self


def find_nodes(settings: ScannerSettings) -> list[str]:
    """Every event node of the one scanner the settings describe (by id, by-id glob or fixed paths)."""
    if settings.vendor_id is not None:
        found = []
        for path in list_devices():
            try:
                device = InputDevice(path, readonly=True)
            except OSError:
                continue
            if device.info.vendor == settings.vendor_id and settings.product_id in (None, device.info.product):
                found.append(path)
            device.close()
        return sorted(found)
    if settings.by_id:
        return sorted({os.path.realpath(p) for p in glob.glob(settings.by_id)})
    return [p for p in settings.nodes if os.path.exists(p)]


class _Node:
    """One open node: a real evdev device (grabbable) or a FIFO of raw records (the simulator's)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.device: InputDevice[str] | None = None
        if stat.S_ISCHR(os.stat(path).st_mode):
            self.device = InputDevice(path, readonly=True)
            self.fd = self.device.fd
        else:
            self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.grabbed = self.device is None  # nothing else can read a FIFO: as good as grabbed
        self.partial = b""

    def close(self) -> None:
        if self.device is not None:
            self.device.close()  # closing releases a grab
        else:
            os.close(self.fd)


class InputNodes:
    """The scanner's transport: reads whole raw records from all of its nodes."""

    def __init__(self, settings: ScannerSettings, finder: Callable[[ScannerSettings], list[str]] = find_nodes) -> None:
        self.settings, self.finder = settings, finder
        self._nodes: list[_Node] = []

    @property
    def grabbed(self) -> bool:
        return bool(self._nodes) and all(n.grabbed for n in self._nodes)

    def open(self) -> None:
        paths = self.finder(self.settings)
        if not paths:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: no scanner node")
        try:
            for path in paths:
                self._nodes.append(_Node(path))
        except OSError as exc:
            self.close()
            raise TransportError(os_reason(exc), f"{self.describe()}: {exc}") from exc

    def close(self) -> None:
        for node in self._nodes:
            node.close()
        self._nodes = []

    def grab(self) -> None:
        """Grab every node whose keys are all up; the ones with a key down wait for the next try."""
        for node in self._nodes:
            if node.grabbed or node.device is None or node.device.active_keys():
                continue
            try:
                node.device.grab()
            except OSError as exc:
                raise TransportError(os_reason(exc), f"{node.path}: cannot grab: {exc}") from exc
            node.grabbed = True

    def read(self, timeout: float) -> bytes:
        if not self._nodes:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: not open")
        ready, _, _ = select.select([n.fd for n in self._nodes], [], [], timeout)
        out = b""
        for node in (n for n in self._nodes if n.fd in ready):
            try:
                data = os.read(node.fd, RECORD.size * 256)
            except BlockingIOError:
                continue
            except OSError as exc:  # ENODEV: the scanner was unplugged
                raise TransportError(Reason.PORT_GONE, f"{node.path}: {exc}") from exc
            if not data:  # a FIFO whose writer went away
                raise TransportError(Reason.PORT_GONE, f"{node.path}: closed")
            data = node.partial + data
            whole = len(data) - len(data) % RECORD.size  # never interleave half records of two nodes
            out, node.partial = out + data[:whole], data[whole:]
        return out

    def write(self, data: bytes) -> None:
        raise DeviceError(f"{self.describe()}: a scanner takes no output")

    def describe(self) -> str:
        s = self.settings
        if s.vendor_id is not None:
            return f"evdev:{s.vendor_id:04x}:{(s.product_id or 0):04x}"
        return f"evdev:{s.by_id or ','.join(s.nodes)}"


# ---- the driver ----------------------------------------------------------------------
class Scanner(Driver):
    family = "scanner"

    def __init__(self, name: str, transport: InputNodes, *, grab: bool = True, **kwargs: Any) -> None:
        super().__init__(name, transport, **kwargs)
        self.nodes = transport
        self.want_grab = grab
        self.decoder = HostCodec()

    @classmethod
    def from_settings(cls, name: str, settings: ScannerSettings, **kwargs: Any) -> Scanner:
        return cls(name, InputNodes(settings), grab=settings.grab, **kwargs)

    def handshake(self) -> None:
        self.decoder = HostCodec()  # a replugged scanner starts with no keys down and no half code

    def poll(self) -> None:
        self._grab_when_idle()
        for event in feed(self.decoder, self.transport.read(0.2), self._too_long):
            self.counters.frames_ok += 1
            self.emit(event)

    def _too_long(self, error: CodecError) -> None:
        self.counters.frames_bad += 1
        self.note_error(error)

    def _grab_when_idle(self) -> None:
        transport = self.nodes
        if not self.want_grab or transport.grabbed or self.decoder.keys_held:
            return
        try:
            transport.grab()
        except TransportError as exc:
            if exc.reason is not Reason.BUSY:
                raise
            self.note_error(exc)  # another program holds it: scans may leak into the UI
            self.set_condition(Condition(DeviceState.DEGRADED, Reason.BUSY, str(exc)[:120]))
            return
        if transport.grabbed and self.condition.reason is Reason.BUSY:
            self.set_condition(ONLINE)

    def info(self) -> dict[str, Any]:
        return {"grab": self.want_grab}

    def get_status(self) -> dict[str, Any]:
        status = super().get_status()
        status["grabbed"] = self.nodes.grabbed
        status["unknown_keys"] = self.decoder.unknown_keys
        return status
