"""Runs the real kiosk app in this process and drives one scenario with synthetic touches.

`python -m hallrig.kiosk_driver SCENARIO --report out.json [--orientation landscape]
[--language en] [--elder] [--shots DIR] [--hall JSON]` (DISPLAY must point at an X server;
see hallrig/kiosk_xvfb.py). A scenario is a generator in hallrig/kiosk_scenarios.py: it yields
what to wait for, presses widgets by `kiosk_id` with `UnitTestTouch`, reads what the screen
shows and saves screenshots. Every screenshot also checks that each label's text fits its
widget. The JSON report says ok/error, the screenshots, overflows and the scenario's notes.
The app talks to the fake daemon, or with `--hall` to a real daemon of a running hall
(hallrig/kiosk_hall_adapter.py), on the hall's clock.
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from hallrig.kiosk_a11y import said

# Wednesday 22 Nov 2026, 10:00 in the hall: numbers are being issued.
OPEN_TIME = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
Step = Generator[Any, None, None]
MARKUP = re.compile(r"\[/?[a-z]+(=[^\]]*)?\]")


class ScenarioFailed(AssertionError):
    pass


class DaemonControl(Protocol):
    """What a scenario makes the kiosk's world do: the fake daemon, or a real hall's simulators."""

    def place_card(self, name: str = "张*", elderly: bool = False) -> None: ...
    def card_error(self) -> None: ...
    def remove_card(self) -> None: ...
    def scan(self, code: str) -> None: ...
    def set_printer(self, state: str, reason: str = "") -> None: ...
    def set_center(self, reachable: bool) -> None: ...
    def stop(self) -> None: ...
    def start(self) -> None: ...
    def ops(self, name: str) -> list[dict[str, Any]]: ...


class Driver:
    """What a scenario can do: wait, look, tap, shoot; and the daemon and clock it controls.

    `daemon` is a `DaemonControl`; fake-only scenarios also use the fake's extras (push, snapshot)."""

    def __init__(self, app: Any, daemon: Any, clock: Any, shots: Path, tag: str) -> None:
        self.app, self.daemon, self.clock = app, daemon, clock
        self.shots_dir, self.tag = shots, tag
        self.shots: list[str] = []
        self.keep_shots = True  # False: `screens` audits without photographing (no --shots)
        self.a11y: list[dict[str, str]] = []  # what `audit` found, per shot
        self.overflows: list[dict[str, Any]] = []
        self.notes: dict[str, Any] = {}

    # -- waiting ---------------------------------------------------------------------------

    def until(self, predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Step:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise ScenarioFailed(f"timed out waiting for {what} (screen {self.app.sm.current}, "
                                     f"texts {self.texts()[:12]})")
            yield 0.05

    def frames(self, count: int = 2, limit: float = 0.5) -> Step:
        """Until `count` more frames were drawn (Kivy draws only on change, hence the limit)."""
        from kivy.clock import Clock
        target, deadline = Clock.frames_displayed + count, time.monotonic() + limit
        while Clock.frames_displayed < target and time.monotonic() < deadline:
            yield 0.01

    def screen(self, name: str, timeout: float = 10.0) -> Step:
        sm = self.app.sm
        yield from self.until(lambda: sm.current == name and sm.current_screen.opacity == 1.0
                              and sm.current_screen.children, f"screen {name}", timeout)
        yield from self.frames(1)

    # -- looking ---------------------------------------------------------------------------

    def _roots(self) -> list[Any]:
        roots = [self.app.sm.current_screen]
        if self.app.overlay.shown:
            roots.append(self.app.overlay)
        return roots

    def widgets(self) -> list[Any]:
        return [w for root in self._roots() for w in root.walk()]

    def find(self, kiosk_id: str) -> Any:
        """The widget named `kiosk_id`, or None (a scenario checks before it touches it)."""
        for widget in self.widgets():
            if getattr(widget, "kiosk_id", "") == kiosk_id:
                return widget
        return None

    def texts(self) -> list[str]:
        """What each label says (a wrapped label's text before it was broken into rows)."""
        from kivy.uix.label import Label
        return [said(w) for w in self.widgets() if isinstance(w, Label) and w.text]

    def sees(self, fragment: str) -> bool:
        return any(fragment in t for t in self.texts())

    def text_of(self, kiosk_id: str) -> str:
        widget = self.find(kiosk_id)
        if widget is None:
            raise ScenarioFailed(f"no widget {kiosk_id!r} on screen {self.app.sm.current}")
        return said(widget)

    def inside_body(self, kiosk_id: str) -> bool:
        """The widget's text is drawn whole below the header and inside the window."""
        from kivy.core.window import Window
        widget = self.find(kiosk_id)
        header = next(w for w in self.widgets() if type(w).__name__ == "HallName").parent.parent
        x, y = widget.to_window(*widget.pos)
        tw, th = widget.texture_size
        top = y + widget.height / 2 + th / 2  # texts are drawn centred in their widget
        return (x >= 0 and y + widget.height / 2 - th / 2 >= 0 and x + widget.width <= Window.width
                and top <= header.to_window(*header.pos)[1] and tw <= widget.width + 2)

    def check(self, condition: Any, message: str) -> None:
        if not condition:
            raise ScenarioFailed(f"{message} (screen {self.app.sm.current}, texts {self.texts()[:15]})")

    # -- acting ----------------------------------------------------------------------------

    def tap(self, kiosk_id: str, timeout: float = 5.0) -> Step:
        yield from self.until(lambda: (w := self.find(kiosk_id)) is not None and not w.disabled,
                              f"an enabled {kiosk_id!r}", timeout)
        self.tap_at(*self.find(kiosk_id).to_window(*self.find(kiosk_id).center))
        yield from self.frames(1, 0.2)

    def tap_at(self, x: float, y: float) -> None:
        from kivy.tests.common import UnitTestTouch
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()

    def shot(self, name: str) -> Step:
        """A screenshot (after a frame is drawn) and the text-fit check of what it shows."""
        from kivy.core.window import Window
        yield from self.frames(2)
        self.check_fit(name)
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        target = self.shots_dir / f"{self.tag}-{name}.png"
        made = Path(Window.screenshot(name=str(self.shots_dir / "_shot.png")))
        made.replace(target)
        self.shots.append(str(target))

    def audit(self, name: str) -> None:
        """The 适老化 rules on the screen as drawn (hallrig/kiosk_a11y.py), and the text-fit check."""
        from kivy.core.window import Window

        from hallrig.kiosk_a11y import audit
        from kiosk.widgets import STYLE
        self.check_fit(name)
        for problem in audit(self.app.sm.current_screen, STYLE.unit, STYLE.elder, Window.size, Window.clearcolor):
            self.a11y.append({"shot": f"{self.tag}-{name}", **problem.as_dict()})

    def check_fit(self, name: str) -> None:
        from kivy.uix.label import Label
        from kivy.uix.scrollview import ScrollView
        for root in self._roots():
            self._check_tree(root, name, Label, ScrollView, inside_scroll=False)

    def _check_tree(self, widget: Any, name: str, label_cls: type[Any], scroll_cls: type[Any], inside_scroll: bool) -> None:
        if isinstance(widget, label_cls) and widget.text and widget.opacity > 0:
            tw, th = widget.texture_size
            problem = None
            if tw > widget.width + 2 or (th > widget.height + 2 and not inside_scroll):
                problem = "text larger than its widget"
            elif (broken := self._broken_word(widget)) is not None:
                problem = f"word {broken!r} split across lines"
            elif (row := self._badly_broken_row(widget)) is not None:
                problem = f"row {row!r} breaks the line-breaking rules (core/typeset.py)"
            if problem:
                self.overflows.append({"shot": f"{self.tag}-{name}", "text": widget.text[:60], "problem": problem,
                                       "texture": [round(tw), round(th)],
                                       "size": [round(widget.width), round(widget.height)]})
        for child in widget.children:
            self._check_tree(child, name, label_cls, scroll_cls, inside_scroll or isinstance(widget, scroll_cls))


    @staticmethod
    def _badly_broken_row(label: Any) -> str | None:
        """A row as drawn that begins with closing punctuation (、）…) or, continued, ends
        with an opening one (（「), or a number split from its unit: 避头尾, GB/T 15834."""
        from core.typeset import NO_LINE_END, NO_LINE_START, UNITS
        rows = ["".join(w.text for w in line.words).strip() for line in label._label._cached_lines]
        rows = [MARKUP.sub("", r) for r in rows]
        for n, row in enumerate(rows):
            if not row:
                continue
            if n and row[0] in NO_LINE_START:
                return row
            if n + 1 < len(rows) and rows[n + 1] and (row[-1] in NO_LINE_END
                                                      or (row[-1].isdigit() and rows[n + 1].startswith(UNITS))):
                return row
        return None

    @staticmethod
    def _broken_word(label: Any) -> str | None:
        """A Latin word wider than the wrapping width gets cut mid-word ("Appointmen/t")."""
        from kivy.core.text import Label as CoreLabel
        width = (label.text_size or (None, None))[0]
        if not width:
            return None
        plain = MARKUP.sub("", label.text)
        words = set(MARKUP.sub("", said(label)).split())
        rows = plain.split("\n")
        for row, after in zip(rows, rows[1:]):  # cut between two rows ("Standar/d")
            if row.split() and after.split() and row.split()[-1][-1:].isascii() and row.split()[-1][-1:].isalpha() \
                    and (joined := row.split()[-1] + after.split()[0]) in words and joined.isascii():
                return joined
        core = CoreLabel(font_size=label.font_size, font_name=label.font_name,
                         bold=label.bold or "[b]" in label.text)
        for word in plain.split():
            if word.isascii() and len(word) > 1 and core.get_extents(word)[0] > width + 1:
                return word
        return None
