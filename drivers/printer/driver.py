"""Driver of an ESC/POS ticket printer on a serial port (or pty), TCP port 9100 or USB.

Idle, it asks `DLE EOT 1/2/4` (and 3 when an error shows) about once a second and reports
the printer's condition on change. A print job is never trusted to status alone, because
status answers are unreliable and some printers simply go offline without paper: the job
reads the status first and refuses with `PrinterNotReady` (nothing printed, safe to retry);
it then sends the bytes and asks `GS r 1`, which the printer answers only after it has
processed everything sent before it and only while online; then `DLE EOT` again. No answer
or a printer stopped after the job is `PrintNotConfirmed`, never a success: the kiosk must
not tell a citizen "take your ticket" for a ghost ticket. Jobs are idempotent by id.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

from pydantic import Field

from core.config import ConfigModel
from core.devstate import DeviceState, Reason
from core.errors import DeviceError
from core.sansio import CodecError, wait_event
from drivers.base import Driver, NoAnswer
from drivers.printer.codec import (
    ERROR_CAUSE,
    OFFLINE_CAUSE,
    PAPER,
    PAPER_SENSOR,
    PRINTER,
    HostCodec,
    PrinterStatus,
    StatusQuery,
    StatusReply,
)
from drivers.printer.job import PrintJob
from drivers.printer.render import render_raster, render_text
from drivers.transport import SerialTransport, TcpTransport, Transport, UsbTransport

log = logging.getLogger("drivers.printer")
IDLE_QUERIES = (PRINTER, OFFLINE_CAUSE, PAPER)
DONE_KEPT = 1000  # job ids remembered for idempotency


class PrinterSettings(ConfigModel):
    transport: Literal["serial", "tcp", "usb"] = "serial"
    port: str = "/dev/ttyUSB0"                      # serial / pty
    baud: Literal[115200, 57600, 38400, 19200, 9600] = 115200
    host: str = "127.0.0.1"                         # tcp
    tcp_port: int = Field(default=9100, ge=1, le=65535)
    usb_vendor: int = Field(default=0x0416, ge=0, le=0xFFFF)  # usb (0416:5011 is a common Chinese printer)
    usb_product: int = Field(default=0x5011, ge=0, le=0xFFFF)
    width_dots: Literal[384, 576] = 576             # 58 mm or 80 mm paper
    render: Literal["text", "raster"] = "text"      # raster prints any character, ~100x the bytes
    confirm: Literal["gs_r", "dle_eot"] = "gs_r"    # dle_eot for printers that ignore GS r
    poll_interval: float = Field(default=1.0, ge=0.2, le=10.0)
    reply_timeout: float = Field(default=0.5, gt=0, le=5.0)    # a status answer, beyond wire time
    confirm_timeout: float = Field(default=5.0, gt=0, le=60.0)  # printing a ticket, beyond wire time
    idle_misses: int = Field(default=2, ge=1, le=10)        # unanswered idle polls before offline
    model: str = "ESC/POS ticket printer"


class PrinterNotReady(DeviceError):
    """Refused before anything was sent: no ticket exists; `reason` says what to fix."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class PrintNotConfirmed(DeviceError):
    """Sent but not confirmed: the ticket may be missing or cut short; `reason` says why."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class PrintResult:
    job_id: str
    bytes_sent: int
    printed_at: float
    status: PrinterStatus
    ticket_count: int  # tickets since the last paper change, this one included


@dataclass
class _Attempt:
    """One call of `print_job`; the caller and the driver thread agree on whether it was sent."""

    job_id: str
    data: bytes
    sent: bool = False
    abandoned: bool = False  # the caller stopped waiting: it must not print later
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start_sending(self) -> bool:
        with self.lock:
            self.sent = not self.abandoned
            return self.sent

    def abandon(self) -> bool:
        """Give up on the job; True if it had already gone to the printer."""
        with self.lock:
            self.abandoned = True
            return self.sent


class Printer(Driver):
    family = "printer"

    def __init__(self, name: str, transport: Transport, settings: PrinterSettings | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name, transport, **kwargs)
        self.settings = settings or PrinterSettings()
        self.status: PrinterStatus | None = None
        self.tickets_since_paper_change = 0
        self._host = HostCodec()
        self._next_poll = 0.0
        self._misses = 0
        self._done: OrderedDict[str, PrintResult] = OrderedDict()
        self._done_lock = threading.Lock()

    @classmethod
    def from_settings(cls, name: str, settings: PrinterSettings, **kwargs: Any) -> Printer:
        transport: Transport
        if settings.transport == "tcp":
            transport = TcpTransport(settings.host, settings.tcp_port)
        elif settings.transport == "usb":
            transport = UsbTransport(settings.usb_vendor, settings.usb_product)
        else:
            transport = SerialTransport(settings.port, settings.baud)
        return cls(name, transport, settings, **kwargs)

    # ---- Driver hooks ----------------------------------------------------------------
    def handshake(self) -> None:
        self.status = self._read_status()
        self._next_poll = 0.0  # the first poll reports the condition at once

    def poll(self) -> None:
        now = self.clock.monotonic()
        if now < self._next_poll:
            self._drain(min(0.1, self._next_poll - now))
            return
        self._next_poll = now + self.settings.poll_interval
        try:
            status = self._read_status()
        except NoAnswer:
            self._misses += 1
            if self._misses >= self.settings.idle_misses:
                raise
            return
        self._misses = 0
        self._report(status)

    def on_disconnect(self) -> None:
        self._host.reset()
        self._misses = 0

    def info(self) -> dict[str, Any]:
        return {"model": self.settings.model, "width_dots": self.settings.width_dots,
                "render": self.settings.render, "confirm": self.settings.confirm,
                "tickets_since_paper_change": self.tickets_since_paper_change,
                "status": asdict(self.status) if self.status else None}

    # ---- what the daemon calls -------------------------------------------------------
    def print_ticket(self, job_id: str, job: PrintJob) -> PrintResult:
        """Render a ticket or notice the way this printer is configured to, then print it."""
        render = render_raster if self.settings.render == "raster" else render_text
        return self.print_job(job_id, render(job, self.settings.width_dots))

    def print_job(self, job_id: str, ticket_bytes: bytes) -> PrintResult:
        """Print once per `job_id`; raises `PrinterNotReady` or `PrintNotConfirmed`."""
        with self._done_lock:
            if job_id in self._done:
                return self._done[job_id]
        attempt = _Attempt(job_id, ticket_bytes)
        budget = 2 * self._wire_time(len(ticket_bytes)) + 3 * self.settings.reply_timeout \
            + self.settings.confirm_timeout + 2.0
        try:
            return self.call(lambda: self._print(attempt), timeout=budget)
        except (PrinterNotReady, PrintNotConfirmed):
            raise
        except (DeviceError, TimeoutError) as exc:
            sent = attempt.abandon()
            reason = getattr(exc, "reason", None) or self.condition.reason or Reason.NO_ANSWER
            detail = f"{self.name}: {str(exc) or 'timed out'}"
            if sent:
                raise PrintNotConfirmed(reason, detail) from exc
            raise PrinterNotReady(reason, detail) from exc

    def mark_paper_changed(self) -> None:
        """A new roll went in: restart the count that tells staff when the next one is due."""
        self.tickets_since_paper_change = 0

    # ---- the job, on the driver thread -----------------------------------------------
    def _print(self, attempt: _Attempt) -> PrintResult:
        with self._done_lock:
            if attempt.job_id in self._done:
                return self._done[attempt.job_id]
        try:
            before = self._read_status()
        except NoAnswer:
            raise PrinterNotReady(Reason.NO_ANSWER, f"{self.name}: no status answer before printing") from None
        self._report(before)
        condition = before.condition()
        if condition.state is DeviceState.OFFLINE:
            raise PrinterNotReady(condition.reason, f"{self.name}: {condition.detail}")
        if not attempt.start_sending():
            raise PrinterNotReady(Reason.NO_ANSWER, f"{self.name}: the caller stopped waiting")
        self.transport.write(attempt.data)
        after = self._confirm(len(attempt.data))
        self.tickets_since_paper_change += 1
        result = PrintResult(attempt.job_id, len(attempt.data), self.clock.time(), after,
                             self.tickets_since_paper_change)
        with self._done_lock:
            self._done[attempt.job_id] = result
            while len(self._done) > DONE_KEPT:
                self._done.popitem(last=False)
        log.info("ticket printed", extra={"device": self.name, "job": attempt.job_id,
                                          "bytes": len(attempt.data)})
        return result

    def _confirm(self, size: int) -> PrinterStatus:
        """Status after the job; with `gs_r`, only once the printer has worked through it."""
        wait = self._wire_time(size) + self.settings.confirm_timeout
        paper: list[StatusReply] = []
        try:
            if self.settings.confirm == "gs_r":
                paper = self._ask([PAPER_SENSOR], wait)
            else:
                self.clock.sleep(self._wire_time(size))
        except NoAnswer:
            pass  # an offline printer stays silent to GS r: DLE EOT may still say why
        try:
            status = PrinterStatus.from_replies(paper + self._status_replies())
        except NoAnswer:
            raise PrintNotConfirmed(Reason.NO_ANSWER, f"{self.name}: no status answer after the job") from None
        self._report(status)
        condition = status.condition()
        if condition.state is DeviceState.OFFLINE:
            raise PrintNotConfirmed(condition.reason, f"{self.name}: {condition.detail} after the job")
        if self.settings.confirm == "gs_r" and not paper:
            raise PrintNotConfirmed(Reason.NO_ANSWER, f"{self.name}: the job was not confirmed (GS r 1 unanswered)")
        return status

    # ---- status exchanges ------------------------------------------------------------
    def _report(self, status: PrinterStatus) -> None:
        self.status = status
        self.set_condition(status.condition())

    def _read_status(self) -> PrinterStatus:
        return PrinterStatus.from_replies(self._status_replies())

    def _status_replies(self) -> list[StatusReply]:
        replies = self._ask(IDLE_QUERIES, self.settings.reply_timeout)
        if PrinterStatus.from_replies(replies).error:  # only then is `DLE EOT 3` worth a round trip
            replies += self._ask([ERROR_CAUSE], self.settings.reply_timeout)
        return replies

    def _ask(self, queries: Sequence[StatusQuery], timeout: float) -> list[StatusReply]:
        """Send questions together and wait for all their answers, or raise `NoAnswer`."""
        self._drain(0.001)  # a late answer to an earlier question must not answer this one
        self._host.reset()
        self.transport.write(b"".join(self._host.send(q) for q in queries))
        deadline = self.clock.monotonic() + timeout + self._wire_time(2 * len(queries))
        replies: list[StatusReply] = []
        while len(replies) < len(queries):
            reply = wait_event(self._host, lambda left: self.transport.read(min(left, 0.1)),
                               lambda: deadline - self.clock.monotonic(), self._stray_byte)
            if reply is None:
                self.counters.frames_bad += 1
                raise NoAnswer(f"{self.name}: no answer to {len(queries) - len(replies)} status question(s)")
            replies.append(reply)
        self.counters.frames_ok += len(replies)
        return replies

    def _stray_byte(self, error: CodecError) -> None:
        """A byte that answers no question (line noise): counted, and the question stays open."""
        self.counters.garbage_bytes += len(error.data)

    def _drain(self, timeout: float) -> None:
        """Read and drop what nobody asked for (the idle wait between polls)."""
        stray = self.transport.read(timeout)
        while stray:
            self.counters.garbage_bytes += len(stray)
            stray = self.transport.read(0.001)  # not 0: a TCP socket with timeout 0 is non-blocking

    def _wire_time(self, size: int) -> float:
        """Seconds `size` bytes take on the line (10 bits a byte); TCP and USB count as none."""
        if isinstance(self.transport, SerialTransport):
            return size * 10 / self.transport.baudrate
        return 0.0
