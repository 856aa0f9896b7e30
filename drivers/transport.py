"""Byte transports shared by every driver: serial (a pty is a serial port), TCP, USB.

Each transport turns the platform's many failure shapes into one `DeviceError` carrying a
`Reason` from the shared vocabulary, so drivers never parse errno themselves.
"""
from __future__ import annotations

import errno
import socket
from typing import Any, Protocol

from core.devstate import Reason
from core.errors import DeviceError


class TransportError(DeviceError):
    """The port failed; `reason` says how (gone, permission denied, busy)."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def os_reason(exc: BaseException) -> Reason:
    code = getattr(exc, "errno", None)
    if code in (errno.EACCES, errno.EPERM):
        return Reason.PERMISSION_DENIED
    if code == errno.EBUSY:
        return Reason.BUSY
    return Reason.PORT_GONE


class Transport(Protocol):
    def open(self) -> None: ...
    def close(self) -> None: ...
    def write(self, data: bytes) -> None: ...
    def read(self, timeout: float) -> bytes:
        """Whatever bytes arrive within `timeout` (b"" if none); raises TransportError when gone."""
    def describe(self) -> str: ...


class SerialTransport:
    """pyserial port: a real RS-232/RS-485/USB-CDC device, or a pty in tests and demos."""

    def __init__(self, port: str, baudrate: int = 115200) -> None:
        self.port, self.baudrate = port, baudrate
        self._ser = None

    def open(self) -> None:
        import serial

        try:
            self._ser = serial.Serial(self.port, self.baudrate, timeout=0, exclusive=True)
        except (serial.SerialException, OSError) as exc:
            self._ser = None
            raise TransportError(os_reason(exc.__context__ or exc), f"{self.port}: {exc}") from exc

    def close(self) -> None:
        if self._ser is not None:
            try:
                self._ser.close()
            finally:
                self._ser = None

    def _port(self) -> Any:
        if self._ser is None:
            raise TransportError(Reason.PORT_GONE, f"{self.port}: not open")
        return self._ser

    def write(self, data: bytes) -> None:
        import serial

        try:
            self._port().write(data)
        except (serial.SerialException, OSError) as exc:
            raise TransportError(Reason.PORT_GONE, f"{self.port}: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        import serial

        ser = self._port()
        try:
            ser.timeout = timeout
            first = ser.read(1)
            if not first:
                return b""
            waiting = ser.in_waiting
            return bytes(first + (ser.read(waiting) if waiting else b""))
        except (serial.SerialException, OSError, TypeError) as exc:
            # TypeError: pyserial's read on a port closed under it by another thread
            raise TransportError(Reason.PORT_GONE, f"{self.port}: {exc}") from exc

    def describe(self) -> str:
        return f"serial:{self.port}@{self.baudrate}"


class TcpTransport:
    """A raw TCP device, e.g. an Ethernet ticket printer on port 9100."""

    def __init__(self, host: str, port: int = 9100, connect_timeout: float = 2.0) -> None:
        self.host, self.port, self.connect_timeout = host, port, connect_timeout
        self._sock: socket.socket | None = None

    def open(self) -> None:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except OSError as exc:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: {exc}") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: not open")
        return self._sock

    def write(self, data: bytes) -> None:
        try:
            self._socket().sendall(data)
        except OSError as exc:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        sock = self._socket()
        sock.settimeout(timeout)
        try:
            data = sock.recv(65536)
        except (TimeoutError, BlockingIOError):  # timeout 0 makes the socket non-blocking
            return b""
        except OSError as exc:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: {exc}") from exc
        if not data:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: closed by peer")
        return data

    def describe(self) -> str:
        return f"tcp:{self.host}:{self.port}"


class UsbTransport:
    """A USB printer-class device through pyusb, detaching usblp when it holds the interface."""

    def __init__(self, vendor_id: int, product_id: int, interface: int = 0,
                 out_ep: int | None = None, in_ep: int | None = None) -> None:
        self.vendor_id, self.product_id, self.interface = vendor_id, product_id, interface
        self.out_ep, self.in_ep = out_ep, in_ep
        self._dev = None

    def open(self) -> None:
        import usb.core
        import usb.util

        try:
            dev = usb.core.find(idVendor=self.vendor_id, idProduct=self.product_id)
        except usb.core.NoBackendError as exc:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: no libusb backend ({exc})") from exc
        if dev is None:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: not plugged in")
        try:
            if dev.is_kernel_driver_active(self.interface):
                dev.detach_kernel_driver(self.interface)  # usblp holds printers by default
            dev.set_configuration()
            usb.util.claim_interface(dev, self.interface)
        except usb.core.USBError as exc:
            reason = os_reason(exc)
            hint = {Reason.PERMISSION_DENIED: " (install the udev rule in systemd/)",
                    Reason.BUSY: " (usblp or CUPS holds the interface)"}.get(reason, "")
            raise TransportError(reason, f"{self.describe()}: {exc}{hint}") from exc
        intf = dev.get_active_configuration()[(self.interface, 0)]
        if self.out_ep is None or self.in_ep is None:
            for ep in intf:
                is_in = usb.util.endpoint_direction(ep.bEndpointAddress) == usb.util.ENDPOINT_IN
                if is_in and self.in_ep is None:
                    self.in_ep = ep.bEndpointAddress
                elif not is_in and self.out_ep is None:
                    self.out_ep = ep.bEndpointAddress
        self._dev = dev

    def close(self) -> None:
        if self._dev is not None:
            import usb.util

            usb.util.dispose_resources(self._dev)
            self._dev = None

    def write(self, data: bytes) -> None:
        import usb.core

        if self._dev is None:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: not open")
        try:
            self._dev.write(self.out_ep, data, timeout=5000)
        except usb.core.USBError as exc:
            raise TransportError(os_reason(exc), f"{self.describe()}: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        import usb.core

        if self._dev is None:
            raise TransportError(Reason.PORT_GONE, f"{self.describe()}: not open")
        try:
            return bytes(self._dev.read(self.in_ep, 64, timeout=max(1, int(timeout * 1000))))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            raise TransportError(os_reason(exc), f"{self.describe()}: {exc}") from exc

    def describe(self) -> str:
        return f"usb:{self.vendor_id:04x}:{self.product_id:04x}"
