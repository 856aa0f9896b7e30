"""The frame every kiosk screen shares: header, body, banner; rebuilt on each change.

A screen keeps what it knows about the citizen in `self.state` (made by `fresh()`), and
`render()` rebuilds its widgets from that state. Entering, switching language or elder
mode, and the idle reset all go through `render()`, so there is no stale widget state to
forget: `reset()` replaces the state and drops the widgets.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.widgets import AMBER, BLUE, DEEP, PAPER, RED, STYLE, WHITE, Big, Panel, Text, guarded

if TYPE_CHECKING:
    from kiosk.host import KioskHost


class HallName(Label):
    """The hall's name in the header; a quick series of taps is the hidden maintenance gesture."""

    def __init__(self, app: KioskHost, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            guarded(self.app.maintenance_tap)()
        return False


class KioskScreen(Screen):
    """Subclasses give `body()`; `home_button` and `header` say what the frame shows."""

    home_button = True
    back_button = True  # False where a flow ends (a ticket, a notice): going back would repeat it
    header = True
    wants_card = False  # the screen asks for a card: one lying on the reader since before is read again
    title_key = ""  # what 语音引导 says on entering (`spoken()`)

    def __init__(self, app: KioskHost, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app
        self.tr = app.tr
        self.state: dict[str, Any] = self.fresh()
        self._clock_label: Label | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def fresh(self) -> dict[str, Any]:
        """The screen's citizen state when nobody is using it."""
        return {}

    def open(self, **params: Any) -> None:
        """Called by `app.go` before entering: new parameters for this visit."""
        self.state = self.fresh() | params

    def step_back(self) -> bool:
        """返回 within this screen (a step of its own taken back); False: go to the screen before."""
        return False

    def reset(self) -> None:
        self.state = self.fresh()
        self.clear_widgets()

    def spoken(self) -> str:
        """What 语音引导 says as the screen opens: its title (the ticket: the number and where)."""
        return self.tr(self.title_key) if self.title_key else ""

    def on_pre_enter(self, *_: Any) -> None:
        self.render()
        self.app.speak(self.spoken())
        if self.wants_card and self.app.card_on_reader and not self.app.citizen.citizen_key:
            self.app.call("read_card", {}, lambda _r: None, lambda _e: None)

    def on_leave(self, *_: Any) -> None:
        self.clear_widgets()  # widgets of a screen not shown hold nothing about anybody

    def render(self) -> None:
        self.clear_widgets()
        frame = BoxLayout(orientation="vertical", padding=STYLE.px(24), spacing=STYLE.px(18))
        with frame.canvas.before:
            Color(*PAPER)
            rect = Rectangle(pos=frame.pos, size=frame.size)
        frame.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))
        if self.header:
            frame.add_widget(self._header())
        banner = self.app.banner_text()
        if banner:
            frame.add_widget(self._banner(banner))
        frame.add_widget(self.body())
        self.add_widget(frame)

    # -- pieces ---------------------------------------------------------------------------

    def body(self) -> Widget:
        raise NotImplementedError

    def _header(self) -> Widget:
        """Hall name and time, elder mode, language, back, home: the same on every screen; elder
        mode enlarges them with everything else (their widths hold the larger words)."""
        bar = Panel(bg=BLUE, orientation="horizontal", size_hint_y=None, height=STYLE.tall(130),
                    padding=[STYLE.px(24), STYLE.px(10)], spacing=STYLE.px(14))
        names = BoxLayout(orientation="vertical")
        name = HallName(self.app, text=self.app.hall_name, font_size=STYLE.font("body", False), color=WHITE,
                        bold=True, halign="left", valign="middle", shorten=True, shorten_from="right")
        name.bind(size=lambda w, v: setattr(w, "text_size", v))
        self._clock_label = Label(text=self.app.clock_text(), font_size=STYLE.font("small", False), color=WHITE,
                                  halign="left", valign="middle")
        self._clock_label.bind(size=lambda w, v: setattr(w, "text_size", v))
        names.add_widget(name)
        names.add_widget(self._clock_label)
        bar.add_widget(names)
        for key, action, kid in (("elder_off" if STYLE.elder else "elder_on", self.app.toggle_elder, "toggle_elder"),
                                 ("language", self.app.toggle_language, "toggle_language")):
            bar.add_widget(Big(self.tr(key), action, kid, bg=DEEP, level="small", size_hint_x=None,
                               width=STYLE.px(210)))
        # the back and home buttons' places stay empty where there are none (home): a tap meant for
        # 首页 or 返回 as the screen changes must not land on another control (the language toggle)
        back = Big(self.tr("back"), self.app.back, "back", bg=WHITE, fg=DEEP, level="body",
                   size_hint_x=None, width=STYLE.px(150)) if self.back_button and self.home_button else \
            Widget(size_hint_x=None, width=STYLE.px(150))
        bar.add_widget(back)
        home = Big(self.tr("home"), self.app.go_home, "home", bg=WHITE, fg=DEEP, level="body",
                   size_hint_x=None, width=STYLE.px(170)) if self.home_button else \
            Widget(size_hint_x=None, width=STYLE.px(170))
        bar.add_widget(home)
        return bar

    def _banner(self, text: str) -> Widget:
        panel = Panel(bg=AMBER if self.app.connected else RED, fit=True, padding=[STYLE.px(24), STYLE.px(12)])
        panel.add_widget(Text(text, "body", color=WHITE, fit=True, kiosk_id="banner"))
        return panel

    def tick(self) -> None:
        """Once a second: the clock in the header (no rebuild)."""
        if self._clock_label is not None:
            self._clock_label.text = self.app.clock_text()

    # -- events a screen may care about (defaults: ignore) --------------------------------

    def on_card(self, data: dict[str, Any]) -> None:
        pass

    def on_card_error(self, data: dict[str, Any]) -> None:
        pass

    def on_card_removed(self) -> None:
        pass

    def on_code(self, data: dict[str, Any]) -> None:
        pass

    def later(self, seconds: float, action: Any) -> None:
        """Run `action` after a while, only if this screen is still shown to the same citizen."""
        generation = self.app.generation

        def fire(_dt: float) -> None:
            if generation == self.app.generation and self.manager is not None and self.manager.current_screen is self:
                guarded(action)()
        Clock.schedule_once(fire, seconds)
