"""The kiosk's few building blocks: wrapped text, big rounded buttons, faces, keypads, pages.

Sizes come from `STYLE`, set by the app from the window size and elder mode; screens are
rebuilt when either changes, so no widget has to follow them. Every button's action runs
through `guarded`, so a bug shows a calm error and the home screen, never a traceback.
`kiosk_id` names the widgets tests press.
"""
from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kivy.app import App
from kivy.core.text import Label as CoreLabel
from kivy.graphics import Color, Ellipse, Line, RoundedRectangle
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from core.typeset import wrap_paragraphs

log = logging.getLogger("kiosk.ui")

RGBA = tuple[float, float, float, float]


def rgb(hex_color: str, alpha: float = 1.0) -> RGBA:
    h = hex_color.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)


# A calm palette: government blue, white cards, one warm and one alert colour.
BLUE, DEEP, SKY = rgb("#0B4EA2"), rgb("#083B7A"), rgb("#E8F0FB")
PAPER, INK, MUTED = rgb("#F4F6FA"), rgb("#1F2937"), rgb("#5B6472")
GREEN, AMBER, RED, WHITE = rgb("#0E7444"), rgb("#8F5500"), rgb("#C0362C"), rgb("#FFFFFF")  # text ≥ 4.5:1 (WCAG)
TILE_COLORS = [rgb(c) for c in ("#0B4EA2", "#0F7B8A", "#2E6B3A", "#6A4C9C", "#8A5A14", "#A0412F", "#3F5873")]


LADDER = (30, 38, 48, 62, 80, 150)  # pixels at 1080 px on the short side
LEVELS = {"small": 0, "body": 1, "large": 2, "title": 3, "huge": 5}


@dataclass
class Style:
    """Font sizes and spacing in pixels for the current window and mode."""

    unit: float = 1.0  # the short side of the window / 1080
    elder: bool = False
    portrait: bool = True

    def font(self, level: str, scaled: bool = True) -> float:
        """A size from one short ladder; elder mode takes the next step up (about ×1.3).

        Few distinct sizes matter: every size of a CJK font Kivy opens costs ~3 MB.
        `scaled=False` for the header's chrome, which keeps its size in elder mode."""
        step = LEVELS[level]
        if self.elder and scaled and level != "huge":
            step += 1
        return LADDER[step] * self.unit

    def px(self, value: float) -> float:
        return value * self.unit

    def tall(self, value: float) -> float:
        """A button's or row's height: grows with the text in elder mode."""
        return self.px(value) * (1.3 if self.elder else 1.0)

    def page_size(self, normal: int) -> int:
        """Elder mode shows fewer, larger entries per screen."""
        return max(2, math.ceil(normal * 0.6)) if self.elder else normal


STYLE = Style()


def guarded(action: Callable[..., Any]) -> Callable[..., None]:
    """Run a UI callback; any exception is logged and handed to the app to recover."""
    def run(*args: Any) -> None:
        try:
            action(*args)
        except Exception as exc:
            log.exception("UI action failed")
            app = App.get_running_app()
            if app is not None and hasattr(app, "recover"):
                app.recover(exc)
    return run


@lru_cache(maxsize=32)
def _measure(font_name: str, font_size: float, bold: bool) -> Callable[[str], float]:
    """How wide a piece of text is drawn in this font (Kivy's own metrics, as it renders)."""
    core = CoreLabel(font_name=font_name, font_size=font_size, bold=bold)
    return lru_cache(maxsize=4096)(lambda piece: float(core.get_extents(piece)[0]))


_STYLED_LINE = re.compile(r"((?:\[(?:b|size=\d+)\])*)([^\[\]]*)((?:\[/(?:b|size)\])*)")


def broken(label: Label, said: str, width: float) -> str:
    """`said` broken into rows of `width` by core.typeset's rules, in the label's font; a line
    wholly in [b] or [size=…] markup is measured in that size and weight."""
    rows: list[str] = []
    for line in said.split("\n"):
        styled = _STYLED_LINE.fullmatch(line) if label.markup else None
        if label.markup and styled is None:
            rows.append(line)  # mixed markup inside a line: Kivy wraps it
            continue
        opening, inner, closing = styled.groups() if styled else ("", line, "")
        size = re.search(r"size=(\d+)", opening)
        measure = _measure(label.font_name, float(size[1]) if size else label.font_size,
                           label.bold or "[b]" in opening)
        rows += [opening + row + closing for row in wrap_paragraphs(inner, width - 1, measure)]
    return "\n".join(rows)


class Text(Label):
    """A label that wraps to its width by the hall's line-breaking rules (core.typeset, as the
    printer does); `fit=True` also grows to its text's height. `said` is what it says (set
    it to change the text); `text` is that, broken into rows."""

    kiosk_id = StringProperty("")
    said = StringProperty("")

    def __init__(self, text: str = "", level: str = "body", color: RGBA = INK, halign: str = "left",
                 fit: bool = False, bold: bool = False, scaled: bool = True, **kwargs: Any) -> None:
        super().__init__(text=text, font_size=STYLE.font(level, scaled), color=color, halign=halign,
                         valign="middle", bold=bold, **kwargs)
        self.bind(width=self._wrap, said=self._wrap)
        self.said = text
        if fit:
            self.size_hint_y = None
            self.bind(texture_size=lambda *_: setattr(self, "height", self.texture_size[1] + STYLE.px(8)))

    def _wrap(self, *_: Any) -> None:
        width = max(self.width - STYLE.px(8), 1)
        self.text_size = (width, None)
        self.text = broken(self, self.said, width)


class Panel(BoxLayout):
    """A rounded card behind a group of widgets."""

    def __init__(self, bg: RGBA = WHITE, radius: float = 20, fit: bool = False, **kwargs: Any) -> None:
        """`fit=True`: as tall as its content (vertical panels of fitted texts)."""
        kwargs.setdefault("padding", STYLE.px(24))
        kwargs.setdefault("spacing", STYLE.px(12))
        super().__init__(**kwargs)
        if fit:
            self.size_hint_y = None
            self.bind(minimum_height=self.setter("height"))
        with self.canvas.before:
            self._color = Color(*bg)
            self._rect = RoundedRectangle(radius=[STYLE.px(radius)])
        self.bind(pos=self._sync, size=self._sync)

    def _sync(self, *_: Any) -> None:
        self._rect.pos, self._rect.size = self.pos, self.size


class Big(Button):
    """A large rounded button; `on_tap` runs guarded on release."""

    kiosk_id = StringProperty("")
    said = StringProperty("")  # what it says; `text` is that broken into rows (as `Text` does)

    def __init__(self, text: str, on_tap: Callable[[], None] | None = None, kiosk_id: str = "",
                 bg: RGBA = BLUE, fg: RGBA = WHITE, level: str = "large", scaled: bool = True,
                 min_height: float = 0, **kwargs: Any) -> None:
        super().__init__(text=text, kiosk_id=kiosk_id, font_size=STYLE.font(level, scaled), color=fg,
                         background_normal="", background_down="", background_color=(0, 0, 0, 0),
                         background_disabled_normal="", halign="center", valign="middle",
                         markup=True, **kwargs)
        self._bg = bg
        with self.canvas.before:
            self._color = Color(*bg)
            self._rect = RoundedRectangle(radius=[STYLE.px(18)])
        self.bind(pos=self._sync, size=self._sync, state=self._shade, disabled=self._shade)
        self.bind(width=self._wrap, said=self._wrap)
        self.said = text
        if on_tap is not None:
            self.bind(on_release=lambda *_: guarded(on_tap)())
        if min_height:  # grow with the text (long descriptions), never below min_height
            self.size_hint_y = None
            self.height = min_height
            self.bind(texture_size=lambda *_: setattr(self, "height", max(min_height, self.texture_size[1] + STYLE.px(40))))

    def _sync(self, *_: Any) -> None:
        self._rect.pos, self._rect.size = self.pos, self.size

    def _wrap(self, *_: Any) -> None:
        width = max(self.width - STYLE.px(28), 1)
        self.text_size = (width, None)
        self.text = broken(self, self.said, width)

    def _shade(self, *_: Any) -> None:
        r, g, b, a = self._bg
        if self.disabled:
            self._color.rgba = (r, g, b, 0.35)
        elif self.state == "down":
            self._color.rgba = (r * 0.8, g * 0.8, b * 0.8, a)
        else:
            self._color.rgba = self._bg


def tile(title: str, note: str, on_tap: Callable[[], None], kiosk_id: str, bg: RGBA) -> Big:
    """A home-screen tile: a big word, and under it a short status line when there is one."""
    small = int(STYLE.font("small", scaled=False))
    text = f"[b]{title}[/b]" + (f"\n[size={small}]{note}[/size]" if note else "")
    return Big(text, on_tap, kiosk_id, bg=bg, level="title" if STYLE.portrait else "large",
               scaled=False)  # already large in either mode


def choice(text: str, selected: bool, on_tap: Callable[[], None], kiosk_id: str, level: str = "body") -> Big:
    """A toggle-like option: filled when chosen, outlined look otherwise."""
    return Big(text, on_tap, kiosk_id, bg=BLUE if selected else SKY, fg=WHITE if selected else DEEP, level=level)


class Face(ButtonBehavior, BoxLayout):
    """One of the five rating faces: a drawn face (no emoji font needed) and its word."""

    kiosk_id = StringProperty("")
    COLORS = {5: "#138A52", 4: "#4E9A3A", 3: "#B8962E", 2: "#C9662B", 1: "#C0362C"}

    def __init__(self, level: int, word: str, on_tap: Callable[[], None], selected: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(orientation="vertical", kiosk_id=f"face_{level}", spacing=STYLE.px(8), **kwargs)
        self.level = level
        self._drawing = Widget()
        self.add_widget(self._drawing)
        self.add_widget(Text(word, "small", halign="center", fit=True, bold=selected))
        self._drawing.bind(pos=self._draw, size=self._draw)
        self._selected = selected
        self.bind(on_release=lambda *_: guarded(on_tap)())

    def _draw(self, *_: Any) -> None:
        w = self._drawing
        d = min(w.width, w.height) * 0.9
        x, y = w.center_x - d / 2, w.center_y - d / 2
        w.canvas.clear()
        with w.canvas:
            if self._selected:
                Color(*BLUE)
                Line(circle=(w.center_x, w.center_y, d / 2 + STYLE.px(8)), width=STYLE.px(5))
            Color(*rgb(self.COLORS[self.level]))
            Ellipse(pos=(x, y), size=(d, d))
            Color(*WHITE)
            eye = d * 0.09
            for ex in (0.33, 0.67):
                Ellipse(pos=(x + d * ex - eye / 2, y + d * 0.6), size=(eye, eye))
            # mouth: a smile for 4–5, flat for 3, a frown for 1–2
            bend = {5: 0.16, 4: 0.09, 3: 0.0, 2: -0.08, 1: -0.15}[self.level]
            mouth_y = y + d * 0.33
            points = []
            for i in range(17):
                t = i / 16
                px = x + d * (0.3 + 0.4 * t)
                py = mouth_y - bend * d * math.sin(math.pi * t) + (bend * d * 0.5 if bend < 0 else 0)
                points += [px, py]
            Line(points=points, width=max(d * 0.03, 2))


class Keypad(GridLayout):
    """Large keys for case numbers, ticket numbers and pinyin initials; calls `on_change`."""

    def __init__(self, keys: Sequence[str], value: str, on_change: Callable[[str], None], cols: int,
                 max_length: int, tr: Callable[[str], str], **kwargs: Any) -> None:
        super().__init__(cols=cols, spacing=STYLE.px(10), **kwargs)
        self.value, self._on_change, self._max = value, on_change, max_length
        for key in keys:
            self.add_widget(Big(key, lambda k=key: self._press(k), kiosk_id=f"key_{key}", bg=SKY, fg=DEEP,
                                scaled=False))  # keys cannot grow: the pad fills its space
        for word, action, kid in ((tr("delete"), self._delete, "key_delete"), (tr("clear"), self._clear, "key_clear")):
            self.add_widget(Big(word, action, kid, bg=SKY, fg=DEEP, level="small", scaled=False))

    def _press(self, key: str) -> None:
        if len(self.value) < self._max:
            self._set(self.value + key)

    def _delete(self) -> None:
        self._set(self.value[:-1])

    def _clear(self) -> None:
        self._set("")

    def _set(self, value: str) -> None:
        self.value = value
        self._on_change(value)


def paged(entries: Sequence[Any], page: int, per_page: int) -> tuple[Sequence[Any], int, int]:
    """The slice of one page, the page clamped into range, and the page count."""
    pages = max(1, math.ceil(len(entries) / per_page))
    page = min(max(page, 0), pages - 1)
    return entries[page * per_page:(page + 1) * per_page], page, pages


def pager_bar(page: int, pages: int, turn: Callable[[int], None], tr: Callable[..., str]) -> BoxLayout:
    """上一页 / 第 n/m 页 / 下一页, shown only when there is more than one page."""
    bar = BoxLayout(size_hint_y=None, height=STYLE.tall(110), spacing=STYLE.px(12))
    if pages > 1:
        prev = Big(tr("prev_page"), lambda: turn(page - 1), "page_prev", bg=SKY, fg=DEEP, level="body")
        nxt = Big(tr("next_page"), lambda: turn(page + 1), "page_next", bg=SKY, fg=DEEP, level="body")
        prev.disabled, nxt.disabled = page == 0, page >= pages - 1
        bar.add_widget(prev)
        bar.add_widget(Text(tr("page", page=page + 1, pages=pages), "body", halign="center", color=MUTED))
        bar.add_widget(nxt)
    return bar
