"""The report's chart of waits through the day, drawn with Pillow (no plotting library needed).

Each ticket is a dot at the time it was taken and the minutes it waited for its first call,
coloured by category; a line shows the median (and a lighter one the 90th percentile) of
each quarter hour, so the morning peak and the drain after issuing closes are visible at
a glance. Labels are Chinese, in Noto Sans CJK SC.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

from center.reports import percentile

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_SC = 2  # the collection's Simplified Chinese face
SIZE = (1600, 900)
LEFT, RIGHT, TOP, BOTTOM = 120, 300, 90, 110
BIN_S = 15 * 60
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
GRID, AXIS, TEXT = "#e3e6ea", "#555b63", "#1d2125"


@dataclass(frozen=True)
class WaitPoint:
    issued_at: float   # hall time, epoch seconds
    wait_min: float
    category: str


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size, index=FONT_SC)


def nice_step(span: float, ticks: int = 6) -> float:
    """1, 2 or 5 × 10ⁿ, so that about `ticks` gridlines cover `span`."""
    raw = max(span, 1e-9) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def binned(points: list[WaitPoint], start: float) -> list[tuple[float, float, float]]:
    """(bin middle, p50, p90) per quarter hour that has at least two tickets."""
    bins: dict[int, list[float]] = {}
    for p in points:
        bins.setdefault(int((p.issued_at - start) // BIN_S), []).append(p.wait_min)
    return [(start + (i + 0.5) * BIN_S, percentile(w, 0.5) or 0.0, percentile(w, 0.9) or 0.0)
            for i, w in sorted(bins.items()) if len(w) >= 2]


def wait_chart(points: list[WaitPoint], names: dict[str, str], tz: ZoneInfo, out: Path,
               close_at: float | None = None, title: str = "全天等候时间（取号 → 首次呼叫）") -> Path:
    """Draw the chart into `out` (PNG); an empty day still gets its axes and a note."""
    img = Image.new("RGB", SIZE, "white")
    d = ImageDraw.Draw(img)
    w, h = SIZE[0] - LEFT - RIGHT, SIZE[1] - TOP - BOTTOM
    times = [p.issued_at for p in points] + ([close_at] if close_at else [])
    t0 = _floor_half_hour(min(times), tz) if times else 0.0
    t1 = max(_ceil_half_hour(max(times), tz), t0 + 1800) if times else 3600.0
    y_top = max([p.wait_min for p in points] + [10.0])
    y_step = nice_step(y_top)
    y_max = math.ceil(y_top / y_step) * y_step

    def x(t: float) -> float:
        return LEFT + (t - t0) / (t1 - t0) * w

    def y(minutes: float) -> float:
        return TOP + h - minutes / y_max * h

    d.text((LEFT, 24), title, font=font(34), fill=TEXT)
    small, label = font(20), font(24)
    for i in range(int(y_max / y_step) + 1):  # horizontal grid and minute ticks
        v = i * y_step
        d.line([(LEFT, y(v)), (LEFT + w, y(v))], fill=GRID, width=1)
        d.text((LEFT - 12, y(v)), f"{v:g}", font=small, fill=AXIS, anchor="rm")
    t = t0
    while t <= t1 + 1:  # vertical grid every half hour
        d.line([(x(t), TOP), (x(t), TOP + h)], fill=GRID, width=1)
        d.text((x(t), TOP + h + 12), datetime.fromtimestamp(t, tz).strftime("%H:%M"), font=small, fill=AXIS,
               anchor="mt")
        t += 1800
    d.line([(LEFT, TOP), (LEFT, TOP + h), (LEFT + w, TOP + h)], fill=AXIS, width=2)
    d.text((LEFT + w / 2, SIZE[1] - 40), "取号时刻（大厅时间）", font=label, fill=TEXT, anchor="mm")
    _vertical_text(img, "等候时间（分钟）", label, (30, TOP + h / 2))
    if close_at:
        _dashed(d, x(close_at), TOP, TOP + h, AXIS)
        d.text((x(close_at) - 6, TOP + 6), "取号截止", font=small, fill=AXIS, anchor="ra")

    letters = sorted({p.category for p in points} | set(names))
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(letters)}
    for p in points:
        cx, cy = x(p.issued_at), y(p.wait_min)
        d.ellipse([cx - 4, cy - 4, cx + 4, cy + 4], fill=colour[p.category])
    lines = binned(points, t0)
    if len(lines) >= 2:
        d.line([(x(t), y(p90)) for t, _, p90 in lines], fill="#9aa1a9", width=3, joint="curve")
        d.line([(x(t), y(p50)) for t, p50, _ in lines], fill=TEXT, width=4, joint="curve")
    if not points:
        d.text((LEFT + w / 2, TOP + h / 2), "今日没有呼叫记录", font=label, fill=AXIS, anchor="mm")

    lx, ly = LEFT + w + 30, TOP  # legend
    for c in letters:
        d.ellipse([lx, ly + 8, lx + 14, ly + 22], fill=colour[c])
        d.text((lx + 24, ly + 15), f"{c} {names.get(c, '')}", font=small, fill=TEXT, anchor="lm")
        ly += 34
    ly += 16
    for text, fill, width in (("每15分钟中位数", TEXT, 4), ("每15分钟 P90", "#9aa1a9", 3)):
        d.line([(lx, ly + 15), (lx + 14, ly + 15)], fill=fill, width=width)
        d.text((lx + 24, ly + 15), text, font=small, fill=TEXT, anchor="lm")
        ly += 34
    d.text((lx, ly + 16), f"共 {len(points)} 张号", font=small, fill=AXIS)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out)
    return out


def _floor_half_hour(ts: float, tz: ZoneInfo) -> float:
    local = datetime.fromtimestamp(ts, tz)
    return (local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)).timestamp()


def _ceil_half_hour(ts: float, tz: ZoneInfo) -> float:
    floor = _floor_half_hour(ts, tz)
    return floor if floor == ts else floor + 1800


def _dashed(d: ImageDraw.ImageDraw, x: float, y0: float, y1: float, fill: str, dash: int = 8) -> None:
    y = y0
    while y < y1:
        d.line([(x, y), (x, min(y + dash, y1))], fill=fill, width=2)
        y += 2 * dash


def _vertical_text(img: Image.Image, text: str, face: ImageFont.FreeTypeFont, centre: tuple[float, float]) -> None:
    box = face.getbbox(text)
    strip = Image.new("RGBA", (int(box[2] - box[0]) + 8, int(box[3] - box[1]) + 8), (255, 255, 255, 0))
    ImageDraw.Draw(strip).text((4 - box[0], 4 - box[1]), text, font=face, fill=TEXT)
    rotated = strip.rotate(90, expand=True)
    img.paste(rotated, (int(centre[0] - rotated.width / 2), int(centre[1] - rotated.height / 2)), rotated)

