"""How a print job (drivers.printer.job) becomes bytes for the printer.

Each job's blocks (lines, QR code, rules) are rendered two ways:

* **text mode**: ESC/POS text in the printer's own 12×24 / 24×24 fonts, Chinese mode (`FS &`)
  and GB18030 bytes. Few bytes, so fast on a 115,200-baud line. The text path is written
  here, not taken from python-escpos: its `text()` sends raw GB18030 only when a string holds
  a character in U+4E00–U+9FA5 and otherwise picks a code page, so a line of CJK punctuation
  and Latin such as `（A001）` comes out as `?A001?`. python-escpos still makes the commands
  it gets right: styles, QR (`GS ( k`), raster images (`GS v 0`) and the cut.
* **raster mode**: the whole ticket drawn with Pillow (Noto Sans CJK, qrcode) and sent as one
  `GS v 0` image: any character prints, at the cost of many more bytes.

`Paper` — a roll being printed, rows of dots stacked top to bottom — is shared with the
printer simulator, which draws what it receives on the same paper.
"""
from __future__ import annotations

import importlib.resources
import json
import os
import pickle
import platform
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import qrcode
from PIL import Image, ImageDraw, ImageFont

from core.paths import state_dir
from core.typeset import clean, wrap
from drivers.printer.codec import CHINESE_ON
from drivers.printer.job import Alignment, Line, PrintJob, Rule

FONT_REGULAR = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FONT_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
SANS_SC, MONO_SC = 2, 7  # face indexes inside the .ttc collections
CELL = 12  # dots per half-width character in the printer's built-in fonts (CJK take two)
QUIET_ZONE = 4  # modules of blank paper above and below a QR code, so scanners find its edge
QR_EC_M = 1  # escpos.constants.QR_ECLEVEL_M, without importing python-escpos at start
WIDTH_PROFILES = {384: "ZJ-5870", 576: "TM-T20II"}  # python-escpos profiles: 58 mm and 80 mm


# ---- wrapping: core.typeset's rules, shared by both renderings and the kiosk's screen ----------
def cells(text: str) -> int:
    """Width in half-width cells on the printer: one per single byte, two per CJK character."""
    return sum(1 if len(ch.encode("gb18030", "replace")) == 1 else 2 for ch in text)


# ---- text mode -----------------------------------------------------------------------------
def capabilities_cache() -> Path:
    """Make python-escpos's capabilities pickle whole and current before escpos is imported.

    python-escpos 3.1 (escpos/capabilities.py, at import) loads
    `$ESCPOS_CAPABILITIES_PICKLE_DIR/<python version>.capabilities.pickle` when it is newer
    than its capabilities JSON, and otherwise rewrites it in place with `open(..., "wb")`: a
    second daemon importing meanwhile read a half-written file (EOFError on a citizen's
    ticket), and a power cut mid-write left a truncated file that broke every later print.
    So OneTrip builds the file itself — from the JSON (the same data escpos's YAML loader
    reads, 60× faster), into a temp file in the same folder, then `os.replace` — and escpos
    only ever finds a whole, current pickle and never writes one. A file that does not load
    (truncated, garbage) is rebuilt; concurrent builders each replace it with a whole file.
    This mirrors the file name and mtime rule of escpos/capabilities.py, which
    tests/test_printer_ticket.py pins, instead of patching escpos.
    """
    folder = Path(os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(state_dir("escpos"))))
    source = Path(os.environ.get("ESCPOS_CAPABILITIES_FILE")
                  or str(importlib.resources.files("escpos") / "capabilities.json"))
    cache = folder / f"{platform.python_version()}.capabilities.pickle"
    try:
        with cache.open("rb") as f:
            whole = isinstance(pickle.load(f), dict)
        if whole and cache.stat().st_mtime >= source.stat().st_mtime:
            return cache
    except Exception:  # noqa: BLE001 — a truncated or garbage pickle fails in many ways; all mean rebuild
        pass
    data = json.loads(source.read_text(encoding="utf-8"))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{cache.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(data, f, protocol=2)
            f.flush()
            os.fsync(f.fileno())
        stamp = max(time.time(), source.stat().st_mtime)  # never older than the JSON, or escpos rewrites it
        os.utime(tmp, (stamp, stamp))
        os.replace(tmp, cache)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return cache


@lru_cache(maxsize=1)
def _dummy() -> type:
    """python-escpos's Dummy printer, imported on first use: a window-bus daemon never needs it."""
    capabilities_cache()
    from escpos.printer import Dummy

    dummy: type = Dummy
    return dummy


def _escpos(build: Callable[[Any], None], profile: str | None = None) -> bytes:
    """The bytes python-escpos writes for one command (its Dummy printer keeps them)."""
    dummy = _dummy()
    printer = dummy(profile=profile) if profile else dummy()
    build(printer)
    return bytes(printer.output)


def feed_dots(dots: int) -> bytes:
    """`ESC J n`: a little paper between blocks (python-escpos has no call for it)."""
    return b"\x1bJ" + bytes((dots,))


def encode_text(text: str) -> bytes:
    return clean(text).encode("gb18030", "replace")


def qr_module_dots(width_dots: int) -> int:
    return 6 if width_dots >= 576 else 5


def text_rows(line: Line, width_dots: int) -> list[str]:
    """The printed rows of `line` in text mode (what a reader of the paper would see)."""
    return wrap(line.text, width_dots // (CELL * line.size), cells, line.prefix)


def render_text(job: PrintJob, width_dots: int = 576) -> bytes:
    """Text-mode ESC/POS bytes: init, Chinese mode, then every block, then feed and cut."""
    out = bytearray(_escpos(lambda p: p.hw("INIT")) + CHINESE_ON)
    current: tuple[Alignment, int, bool] = ("left", 1, False)

    def restyle(align: Alignment, size: int = 1, bold: bool = False) -> None:
        """Send only what changed: every byte is wire time on a serial printer."""
        nonlocal current
        if align != current[0]:
            out.extend(_escpos(lambda p: p.set(align=align)))
        if size != current[1]:
            out.extend(_escpos(lambda p: p.set(custom_size=True, width=size, height=size)))
        if bold != current[2]:
            out.extend(_escpos(lambda p: p.set(bold=bold)))
        current = (align, size, bold)

    for block in job.layout():
        if isinstance(block, Line):
            restyle(block.align, block.size, block.bold)
            for row in text_rows(block, width_dots):
                out += encode_text(row) + b"\n"
            if block.size > 1:
                out += feed_dots(12)
        elif isinstance(block, Rule):
            restyle("left")
            out += b"-" * (width_dots // CELL) + b"\n"
        else:
            restyle("center")
            module = qr_module_dots(width_dots)
            qr = _escpos(lambda p: p.qr(block.payload, native=True, size=module, ec=QR_EC_M))
            out += feed_dots(QUIET_ZONE * module) + qr + feed_dots(QUIET_ZONE * module)
    return bytes(out + _escpos(lambda p: p.cut()))


# ---- paper and raster mode ------------------------------------------------------------------
@lru_cache(maxsize=64)
def font(px: int, bold: bool = False, mono: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), px,
                              index=MONO_SC if mono else SANS_SC)


class Paper:
    """A roll being printed: rows (white 255, ink 0) stacked top to bottom, `width` dots wide."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.inked = False  # anything but blank feed: a cut of blank paper is no ticket
        self._rows: list[Image.Image] = []

    def put(self, row: Image.Image, align: Alignment = "left", indent: int = 0) -> None:
        """Add a row; wider than the paper is cut at the right edge, as the head ends there."""
        line = Image.new("L", (self.width, row.height), 255)
        free = self.width - row.width
        x = {"left": indent, "center": free // 2, "right": free - indent}[align]
        line.paste(row.convert("L"), (max(0, x), 0))
        self._rows.append(line)
        self.inked = True

    def feed(self, dots: int) -> None:
        if dots > 0:
            self._rows.append(Image.new("L", (self.width, dots), 255))

    def image(self, margin: int = 0) -> Image.Image:
        """The printed strip as a 1-bit image, with `margin` dots of blank paper all round."""
        height = sum(r.height for r in self._rows) + 2 * margin
        sheet = Image.new("L", (self.width + 2 * margin, height), 255)
        y = margin
        for row in self._rows:
            sheet.paste(row, (margin, y))
            y += row.height
        return sheet.point(lambda v: 255 if v >= 128 else 0, mode="1")


def qr_image(payload: str | bytes, module: int, level: int = qrcode.constants.ERROR_CORRECT_M) -> Image.Image:
    code = qrcode.QRCode(error_correction=level, box_size=module, border=0)
    code.add_data(payload)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image().convert("L")
    return image


def text_image(text: str, px: int, bold: bool = False) -> Image.Image:
    face = font(px, bold)
    ascent, descent = face.getmetrics()
    row = Image.new("L", (max(1, round(face.getlength(text))), ascent + descent), 255)
    pen = ImageDraw.Draw(row)
    pen.fontmode = "1"  # hinted 1-bit glyphs: a thermal head has no grey
    pen.text((0, 0), text, font=face, fill=0)
    return row


def draw(job: PrintJob, width_dots: int = 576) -> Image.Image:
    """The whole job as one 1-bit picture in proportional Noto Sans CJK."""
    base = round(12 + width_dots / 48)  # 24 px at 80 mm (the built-in font's size), 20 px at 58 mm
    sizes = {1: base, 2: round(base * 1.5), 3: round(base * 4)}
    margin = base // 2
    paper = Paper(width_dots)
    for block in job.layout():
        if isinstance(block, Line):
            px = sizes[block.size]
            face = font(px, block.bold)
            rows = wrap(block.text, width_dots - 2 * margin, face.getlength, block.prefix)
            for row in rows:
                paper.put(text_image(row, px, block.bold), block.align, margin)
            paper.feed(px // 4)
        elif isinstance(block, Rule):
            rule = Image.new("L", (width_dots - 2 * margin, 2), 255)
            dash = ImageDraw.Draw(rule)
            for x in range(0, rule.width, 12):
                dash.line([(x, 0), (x + 6, 0)], fill=0, width=2)
            paper.feed(base // 2)
            paper.put(rule, "center")
            paper.feed(base // 2)
        else:
            module = round(width_dots / 96)
            paper.feed(QUIET_ZONE * module)
            paper.put(qr_image(block.payload, module), "center")
            paper.feed(QUIET_ZONE * module)
    return paper.image()


def render_raster(job: PrintJob, width_dots: int = 576) -> bytes:
    """Raster-mode ESC/POS: init, the drawn job as `GS v 0` (in python-escpos' slices), cut."""
    if width_dots not in WIDTH_PROFILES:
        raise ValueError(f"paper width {width_dots} dots: expected one of {sorted(WIDTH_PROFILES)}")
    picture = draw(job, width_dots)
    return (_escpos(lambda p: p.hw("INIT"))
            + _escpos(lambda p: p.image(picture, impl="bitImageRaster"), WIDTH_PROFILES[width_dots])
            + _escpos(lambda p: p.cut()))
