"""A simulated ESC/POS ticket printer, on TCP (like port 9100) and/or a pty.

Everything it receives goes through the device side of `drivers.printer.codec`; the print
head draws the commands on `Paper` in the printer's own cell fonts (12×24 half-width,
24×24 CJK, scaled by whole dots like a real head), with QR codes and raster images, and
every cut writes the ticket as it would come out of the printer to a PNG. Status questions
are answered from the steerable state: paper ok / near end / out, cover, cutter error,
offline, silent, unplugged. While not online the printer drops print data, so a job sent
to a printer without paper leaves no ticket.
"""
from __future__ import annotations

import functools
import logging
import socket
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Literal

import qrcode
from PIL import Image, ImageDraw

from core.sansio import CodecError, feed
from drivers.printer.codec import (
    Align,
    Cut,
    DeviceCodec,
    EscPosCommand,
    Feed,
    Init,
    PrinterStatus,
    QrErrorLevel,
    QrPrint,
    QrSize,
    QrStore,
    Raster,
    StatusQuery,
    Style,
    Text,
)
from drivers.printer.job import Alignment
from drivers.printer.render import CELL, Paper, cells, font, qr_image
from drivers.sim.port import PtyPort

log = logging.getLogger("sim.printer")
LINE_PITCH = 30  # dots per line feed at the default line spacing
GLYPH = 24       # the built-in font's height in dots
KEPT = 1000  # printed tickets kept in memory for tests and the console
PAPER_MARGIN = 24  # blank paper around the printable area (80 mm paper, 72 mm printed)
USAGE = ("printer paper ok|low|out · cover open|closed · cutter error|ok · offline|online · "
         "silent on|off · unplug · replug · tickets · status")
QR_LEVELS = {"L": qrcode.constants.ERROR_CORRECT_L, "M": qrcode.constants.ERROR_CORRECT_M,
             "Q": qrcode.constants.ERROR_CORRECT_Q, "H": qrcode.constants.ERROR_CORRECT_H}


@dataclass(frozen=True)
class Look:
    bold: bool = False
    width: int = 1
    height: int = 1
    underline: int = 0


@dataclass
class PrintedTicket:
    """One cut piece of paper: its picture, the text lines printed on it and the QR payloads."""

    png: Path
    lines: list[str]
    qr: list[str]
    images: int
    partial_cut: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Sheet:
    """What is being printed since the last cut."""

    paper: Paper
    lines: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    images: int = 0


def _glyph_row(run: list[tuple[str, Look]]) -> Image.Image:
    """Draw a row of characters cell by cell, each scaled by whole dots like a print head."""
    height = max(GLYPH * look.height for _, look in run)
    width = sum(cells(ch) * CELL * look.width for ch, look in run)
    row = Image.new("L", (max(width, 1), height), 255)
    x = 0
    for ch, look in run:
        cell = Image.new("L", (cells(ch) * CELL, GLYPH), 255)
        pen = ImageDraw.Draw(cell)
        pen.fontmode = "1"
        pen.text((cell.width / 2, GLYPH - 3), ch, font=font(GLYPH, look.bold, mono=True), fill=0, anchor="ms")
        if look.underline:
            pen.line([(0, GLYPH - 1), (cell.width, GLYPH - 1)], fill=0, width=look.underline)
        cell = cell.resize((cell.width * look.width, GLYPH * look.height), Image.Resampling.NEAREST)
        row.paste(cell, (x, height - cell.height))
        x += cell.width
    return row


class PrintHead:
    """Applies decoded commands to paper; a cut hands the finished sheet to `on_cut`."""

    def __init__(self, width_dots: int, on_cut: Callable[[Sheet, bool], None]) -> None:
        self.width = width_dots
        self.on_cut = on_cut
        self._sheet = Sheet(Paper(width_dots))
        self._reset()

    def _reset(self) -> None:
        self.look = Look()
        self.align: Alignment = "left"
        self.qr_size, self.qr_level, self.qr_data = 3, "L", b""
        self._line: list[tuple[str, Look]] = []

    def apply(self, event: EscPosCommand) -> None:
        if isinstance(event, Text):
            self._line += [(ch, self.look) for ch in event.text]
        elif isinstance(event, Feed):
            printed = self._print_line()  # a line feed after text is that text's own line
            self._sheet.paper.feed(LINE_PITCH * (event.lines - printed) + event.dots)
        elif isinstance(event, Style):
            changes = {k: v for k, v in vars(event).items() if v is not None}
            self.look = replace(self.look, **changes)
        elif isinstance(event, Align):
            self.align = event.align
        elif isinstance(event, Init):
            self._reset()
        elif isinstance(event, QrSize):
            self.qr_size = event.dots
        elif isinstance(event, QrErrorLevel):
            self.qr_level = event.level
        elif isinstance(event, QrStore):
            self.qr_data = event.data
        elif isinstance(event, QrPrint) and self.qr_data:
            self._print_line()
            self._sheet.paper.put(qr_image(self.qr_data, self.qr_size, QR_LEVELS[self.qr_level]), self.align)
            self._sheet.qr.append(self.qr_data.decode("utf-8", "replace"))
        elif isinstance(event, Raster):
            self._print_line()
            sx, sy = event.scale
            image = event.image.resize((event.image.width * sx, event.image.height * sy), Image.Resampling.NEAREST)
            self._sheet.paper.put(image, self.align)
            self._sheet.images += 1
        elif isinstance(event, Cut):
            self._print_line()
            self._sheet.paper.feed(event.feed)
            if self._sheet.paper.inked:
                self.on_cut(self._sheet, event.partial)
            self._sheet = Sheet(Paper(self.width))

    def _print_line(self) -> bool:
        """Print the line buffer (if any), wrapping at the paper's edge as the printer does."""
        if not self._line:
            return False
        self._sheet.lines.append("".join(ch for ch, _ in self._line))
        rows: list[list[tuple[str, Look]]] = [[]]
        used = 0
        for ch, look in self._line:
            size = cells(ch) * CELL * look.width
            if used + size > self.width and rows[-1]:
                rows.append([])
                used = 0
            rows[-1].append((ch, look))
            used += size
        for row in rows:
            image = _glyph_row(row)
            self._sheet.paper.put(image, self.align)
            self._sheet.paper.feed(max(0, LINE_PITCH - image.height))
        self._line = []
        return True


@dataclass
class PrinterState:
    paper: Literal["ok", "low", "out"] = "ok"
    cover_open: bool = False
    cutter_error: bool = False
    offline: bool = False
    silent: bool = False

    def status(self) -> PrinterStatus:
        stopped = self.paper == "out" or self.cover_open or self.cutter_error or self.offline
        return PrinterStatus(online=not stopped, cover_open=self.cover_open,
                             paper_near_end=self.paper != "ok", paper_end=self.paper == "out",
                             error=self.cutter_error, cutter_error=self.cutter_error)


class PrinterSim:
    """The printer: a TCP listener and/or a pty, one codec and print head per connection."""

    def __init__(self, out_dir: Path, tcp_port: int | None = 0, link: Path | None = None,
                 width_dots: int = 576, host: str = "127.0.0.1") -> None:
        self.out_dir = Path(out_dir)
        self.host, self.tcp_port, self.link = host, tcp_port, link
        self.width_dots = width_dots
        self.state = PrinterState()
        self.tickets: list[PrintedTicket] = []  # the latest KEPT; every PNG stays on disk
        self.printed = 0
        self.errors = 0
        self.plugged = True
        self.on_ticket: Callable[[PrintedTicket], None] = lambda ticket: None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._server: socket.socket | None = None
        self._clients: set[socket.socket] = set()
        self._port: PtyPort | None = None

    # ---- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._stop.clear()
        if self.tcp_port is not None:
            self._listen()
            self._spawn(self._accept_loop, "sim-printer-tcp")
        if self.link is not None:
            self._port = PtyPort(self.link)
            self._spawn(self._pty_loop, "sim-printer-pty")

    def stop(self) -> None:
        self._stop.set()
        self._close_tcp()
        with self._lock:
            threads, self._threads = self._threads, []
        for thread in threads:
            thread.join(2.0)
        if self._port is not None:
            self._port.close()

    def describe(self) -> str:
        where = []
        if self.tcp_port is not None:
            where.append(f"tcp {self.host}:{self.tcp_port}")
        if self.link is not None:
            where.append(f"pty {self.link}")
        s = self.state
        return (f"printer ({' + '.join(where) or 'no link'}, {self.width_dots} dots): "
                f"{'plugged' if self.plugged else 'unplugged'}, paper {s.paper}, "
                f"cover {'open' if s.cover_open else 'closed'}, cutter {'error' if s.cutter_error else 'ok'}, "
                f"{'offline' if s.offline else 'online'}, silent {'on' if s.silent else 'off'}, "
                f"{self.printed} tickets in {self.out_dir}")

    # ---- steering ----------------------------------------------------------------------
    def unplug(self) -> None:
        self.plugged = False
        self._close_tcp()
        if self._port is not None:
            self._port.unplug()

    def replug(self) -> None:
        if self.plugged:
            return
        self.plugged = True
        if self.tcp_port is not None:
            self._listen()
            self._spawn(self._accept_loop, "sim-printer-tcp")
        if self._port is not None:
            self._port.plug()

    def handle_command(self, words: list[str]) -> str:
        """The text control interface of `onetrip sim`; answers one line."""
        words = [w.lower() for w in words]
        if words[:1] == ["printer"]:
            words = words[1:]
        verb, arg = (words + ["", ""])[:2]
        s = self.state
        if verb == "paper" and arg in ("ok", "low", "out"):
            s.paper = arg  # type: ignore[assignment]
        elif verb == "cover" and arg in ("open", "closed", "close"):
            s.cover_open = arg == "open"
        elif verb == "cutter" and arg in ("error", "ok"):
            s.cutter_error = arg == "error"
        elif verb in ("offline", "online"):
            s.offline = verb == "offline"
        elif verb == "silent" and arg in ("on", "off", ""):
            s.silent = arg != "off"
        elif verb == "unplug":
            self.unplug()
        elif verb in ("replug", "plug"):
            self.replug()
        elif verb == "tickets":
            last = self.tickets[-1].text.replace("\n", " / ")[:80] if self.tickets else "-"
            return f"{self.printed} tickets; last: {last}"
        elif verb != "status":
            return f"error: unknown printer command {' '.join(words)!r}; usage: {USAGE}"
        return self.describe()

    # ---- the wire ----------------------------------------------------------------------
    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def _listen(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, self.tcp_port or 0))
        server.listen(4)
        server.settimeout(0.2)
        self.tcp_port = server.getsockname()[1]  # kept across unplug/replug
        self._server = server

    def _close_tcp(self) -> None:
        with self._lock:
            server, clients = self._server, list(self._clients)
            self._server = None
            self._clients.clear()
        for sock in [s for s in (server, *clients) if s is not None]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _accept_loop(self) -> None:
        server = self._server
        while server is not None and not self._stop.is_set() and server is self._server:
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(0.2)
            with self._lock:
                self._clients.add(client)
            self._spawn(functools.partial(self._serve_tcp, client), "sim-printer-conn")

    def _serve_tcp(self, client: socket.socket) -> None:
        session = self._session(client.sendall)
        try:
            while not self._stop.is_set():
                try:
                    data = client.recv(65536)
                except TimeoutError:
                    continue
                if not data:
                    return
                session(data)
        except OSError:
            return
        finally:
            with self._lock:
                self._clients.discard(client)
            client.close()

    def _pty_loop(self) -> None:
        port = self._port
        assert port is not None
        session, was_plugged = self._session(port.write), port.plugged
        while not self._stop.is_set():
            if port.plugged and not was_plugged:
                session = self._session(port.write)  # a new cable: the printer starts afresh
            was_plugged = port.plugged
            data = port.read(0.2)
            if data:
                session(data)

    def _session(self, reply: Callable[[bytes], None]) -> Callable[[bytes], None]:
        """A fresh codec and print head for one connection; returns its byte handler."""
        codec = DeviceCodec()
        head = PrintHead(self.width_dots, self._cut)

        def handle(data: bytes) -> None:
            commands: Iterator[EscPosCommand] = feed(codec, data, self._bad_bytes)
            for event in commands:
                status = self.state.status()
                if isinstance(event, StatusQuery):
                    if not self.state.silent:
                        answer = status.reply(event)
                        if answer:
                            reply(answer)
                elif status.online:
                    head.apply(event)
        return handle

    def _bad_bytes(self, error: CodecError) -> None:
        self.errors += 1
        log.warning("bad ESC/POS: %s", error)

    def _cut(self, sheet: Sheet, partial: bool) -> None:
        with self._lock:
            self.printed += 1
            png = self.out_dir / f"ticket-{self.printed:04d}.png"
            sheet.paper.image(margin=PAPER_MARGIN).save(png)
            ticket = PrintedTicket(png, sheet.lines, sheet.qr, sheet.images, partial)
            self.tickets.append(ticket)
            del self.tickets[:-KEPT]  # a simulator left running for days must not grow
        log.info("ticket printed", extra={"png": str(png)})
        self.on_ticket(ticket)
