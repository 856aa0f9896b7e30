"""适老化, measured on Kivy's widget tree: text size, touch targets, contrast, nothing outside
the window or under another widget. Used by the `screens` scenario (hallrig/kiosk_scenarios.py).

Units: a kiosk's layout is drawn at 1080 px on the short side (`STYLE.unit` = short side /
1080), so one dp-equivalent here is one pixel of that full-size design, i.e. a size in
window pixels divided by `STYLE.unit`. On the halls' 21.5-inch 1080×1920 panels (≈102 ppi)
one design pixel is ≈1.57 Android dp (dp = px × 160 / ppi): the thresholds below, in design
pixels, are stricter than the same numbers in dp. Text size is the font's em size.

Contrast is WCAG 2.x's: (L1 + 0.05) / (L2 + 0.05) of the relative luminances of the label's
colour and of the first filled shape drawn behind it (its own or an ancestor's
canvas.before), both composed over what lies under them when translucent. Disabled controls
are exempt, as WCAG exempts inactive components. A subtree marked `decorative = True` (the
identify screen's animated card) is not checked.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def said(label: Any) -> str:
    """What a label says: `said` for the kiosk's wrapped texts (kiosk.widgets.Text), else its text."""
    return getattr(label, "said", None) or label.text

ELDER_TEXT_DP = 18
TARGET_DP = 60
CONTRAST = 4.5
RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class Problem:
    check: str
    what: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "what": self.what, "detail": self.detail}


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[float, float, float], bg: tuple[float, float, float]) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def over(top: RGBA, under: tuple[float, float, float]) -> tuple[float, float, float]:
    """`top` composed over an opaque `under` by its alpha."""
    return tuple(t * top[3] + u * (1 - top[3]) for t, u in zip(top[:3], under))  # type: ignore[return-value]


def _fills(widget: Any) -> list[RGBA]:
    """The colours of the filled shapes a widget draws behind its content, first to last."""
    from kivy.graphics import Color, Ellipse, Rectangle, RoundedRectangle
    found, color = [], None
    for instruction in widget.canvas.before.children:
        if isinstance(instruction, Color):
            color = tuple(instruction.rgba)
        elif isinstance(instruction, (Rectangle, RoundedRectangle, Ellipse)) and color is not None and color[3] > 0:
            found.append(color)
    return found


def background(widget: Any, window_color: RGBA) -> tuple[float, float, float]:
    """What is drawn behind `widget`: the fills of it and its ancestors, composed upwards."""
    chain, w = [], widget
    while w is not None and w is not w.parent:
        chain.append(w)
        w = w.parent
    color = tuple(window_color[:3])
    for w in reversed(chain):
        for fill in _fills(w):
            color = over(fill, color)  # type: ignore[arg-type]
    return color  # type: ignore[return-value]


def window_rect(widget: Any) -> tuple[float, float, float, float]:
    x, y = widget.to_window(*widget.pos)
    return x, y, x + widget.width, y + widget.height


def _inside(a: tuple[float, float, float, float], b: tuple[float, float, float, float], slack: float = 1) -> bool:
    return a[0] >= b[0] - slack and a[1] >= b[1] - slack and a[2] <= b[2] + slack and a[3] <= b[3] + slack


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float], slack: float = 1) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def _name(widget: Any) -> str:
    kid = getattr(widget, "kiosk_id", "")
    text = said(widget) if hasattr(widget, "text") else ""
    return f"{type(widget).__name__}{'#' + kid if kid else ''} {text[:30]!r}"


def audit(root: Any, unit: float, elder: bool, window: tuple[float, float], window_color: RGBA) -> list[Problem]:
    """Every rule on every widget under `root` (a screen as it is drawn now)."""
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    problems: list[Problem] = []
    leaves: list[tuple[Any, tuple[float, float, float, float], tuple[Any, ...]]] = []
    screen = (0.0, 0.0, float(window[0]), float(window[1]))

    def visit(widget: Any, clip: tuple[float, float, float, float] | None, ancestors: tuple[Any, ...]) -> None:
        if getattr(widget, "decorative", False) or widget.opacity == 0:
            return
        whole = window_rect(widget)
        rect = _clipped(whole, clip)
        if rect is None:
            return
        touchable = isinstance(widget, ButtonBehavior)
        texted = isinstance(widget, Label) and bool(widget.text.strip())
        if (touchable or texted or isinstance(widget, ScrollView)) and not _inside(rect, screen):
            problems.append(Problem("outside", _name(widget), f"{[round(v) for v in rect]} not in {window}"))
        if touchable and clip is None:
            w, h = widget.width / unit, widget.height / unit
            if min(w, h) < TARGET_DP - 0.5:
                problems.append(Problem("target", _name(widget), f"{w:.0f}×{h:.0f} dp < {TARGET_DP}"))
        if texted:
            if elder and widget.font_size / unit < ELDER_TEXT_DP - 0.5:
                problems.append(Problem("text", _name(widget), f"{widget.font_size / unit:.0f} dp < {ELDER_TEXT_DP}"))
            if not widget.disabled and not any(getattr(a, "disabled", False) for a in ancestors):
                bg = background(widget, window_color)
                ratio = contrast(over(tuple(widget.color), bg), bg)
                if ratio < CONTRAST - 0.005:
                    problems.append(Problem("contrast", _name(widget), f"{ratio:.2f}:1 < {CONTRAST}:1"))
        if touchable or texted:
            drawn = _clipped(_drawn_rect(widget, whole), clip) if texted and not touchable else rect
            if drawn is not None:
                leaves.append((widget, drawn, ancestors))
        inner = rect if isinstance(widget, ScrollView) else clip
        for child in widget.children:
            visit(child, inner, (*ancestors, widget))

    visit(root, None, ())
    for i, (a, ra, up_a) in enumerate(leaves):
        for b, rb, up_b in leaves[i + 1:]:
            if a in up_b or b in up_a:
                continue  # a label inside its button
            if _overlap(ra, rb):
                problems.append(Problem("under", _name(a), f"overlaps {_name(b)}"))
    return problems


def _clipped(rect: tuple[float, float, float, float],
             clip: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
    """What of `rect` shows through a scroll view's `clip` (all of it outside one); None: nothing."""
    if clip is None:
        return rect
    cut = (max(rect[0], clip[0]), max(rect[1], clip[1]), min(rect[2], clip[2]), min(rect[3], clip[3]))
    return cut if cut[2] > cut[0] and cut[3] > cut[1] else None


def _drawn_rect(label: Any, rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Where a label's text is drawn: its texture, placed by halign/valign in its box."""
    tw, th = label.texture_size
    x0, y0, x1, y1 = rect
    cx = {"left": x0, "right": x1 - tw}.get(label.halign, (x0 + x1 - tw) / 2)
    cy = {"top": y1 - th, "bottom": y0}.get(label.valign, (y0 + y1 - th) / 2)
    return cx, cy, cx + tw, cy + th
