"""Screens around the citizen's flows: notices, out of service, idle countdown, maintenance."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.client import LocalApiCallError
from kiosk.screen import KioskScreen
from kiosk.widgets import BLUE, DEEP, GREEN, MUTED, RED, SKY, STYLE, WHITE, Big, Keypad, Panel, Text

if TYPE_CHECKING:
    from kiosk.host import KioskHost

TONES = {"ok": GREEN, "error": RED, "info": DEEP}


class NoticeScreen(KioskScreen):
    """One message and the way home: errors, 'printed', 'a helper is coming', 'numbers closed'."""

    screen_name = "notice"
    back_button = False

    def fresh(self) -> dict[str, Any]:
        return {"title": "", "lines": [], "tone": "info", "home_after": True}

    def spoken(self) -> str:
        return " ".join([self.state["title"], *self.state["lines"]])

    def body(self) -> Widget:
        box = Panel(orientation="vertical", padding=STYLE.px(48), spacing=STYLE.px(24))
        box.add_widget(Widget(size_hint_y=0.2))
        box.add_widget(Text(self.state["title"], "title", color=TONES[self.state["tone"]], halign="center",
                            bold=True, fit=True, kiosk_id="notice_title"))
        for line in self.state["lines"]:
            box.add_widget(Text(line, "large", halign="center", fit=True))
        box.add_widget(Widget())
        box.add_widget(Big(self.tr("home"), self.app.go_home, "notice_home", size_hint_y=None, height=STYLE.tall(150)))
        if self.state["home_after"]:
            self.later(self.app.settings.result_seconds, self.app.go_home)
        return box


class OutOfServiceScreen(KioskScreen):
    """The daemon is not answering: say so calmly; the app leaves by itself on `hello`."""

    screen_name = "out_of_service"
    title_key = "out_of_service"
    header = False

    def body(self) -> Widget:
        box = BoxLayout(orientation="vertical", padding=STYLE.px(60), spacing=STYLE.px(30))
        box.add_widget(Widget())
        box.add_widget(Text(self.tr("out_of_service"), "huge", color=DEEP, halign="center", bold=True, fit=True,
                            kiosk_id="out_of_service"))
        box.add_widget(Text(self.tr("out_of_service_hint"), "large", color=MUTED, halign="center", fit=True))
        box.add_widget(Widget())
        return box


class IdleOverlay(FloatLayout):
    """The visible countdown before the idle reset; any touch keeps the citizen's session."""

    def __init__(self, app: KioskHost, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app
        self.shown = False
        with self.canvas.before:
            Color(0, 0, 0, 0.55)
            self._shade = Rectangle()
        self.bind(pos=lambda *_: setattr(self._shade, "pos", self.pos),
                  size=lambda *_: setattr(self._shade, "size", self.size))
        self._count: Text | None = None

    def show(self, seconds: int) -> None:
        text = self.app.tr("idle_countdown", seconds=seconds)
        if self.shown and self._count is not None:
            self._count.said = text
            return
        self._count = Text(text, "large", halign="center", fit=True, kiosk_id="idle_countdown")
        panel = Panel(orientation="vertical", size_hint_x=0.8, fit=True, pos_hint={"center_x": 0.5, "center_y": 0.5},
                      padding=STYLE.px(40), spacing=STYLE.px(24))
        panel.add_widget(Text(self.app.tr("idle_title"), "title", halign="center", bold=True, fit=True))
        panel.add_widget(self._count)
        panel.add_widget(Big(self.app.tr("idle_continue"), self.hide, "idle_continue", bg=BLUE, size_hint_y=None,
                             height=STYLE.tall(140)))
        self.add_widget(panel)
        self.app.root_layout.add_widget(self)
        self.shown = True

    def hide(self) -> None:
        if self.shown:
            self.app.root_layout.remove_widget(self)
            self.clear_widgets()
            self.shown = False


class PinScreen(KioskScreen):
    """After the hidden gesture: the maintenance PIN, checked by the daemon."""

    screen_name = "pin"
    title_key = "pin_title"

    def fresh(self) -> dict[str, Any]:
        return {"pin": "", "wrong": False}

    def body(self) -> Widget:
        box = Panel(orientation="vertical")
        box.add_widget(Text(self.tr("pin_title"), "large", halign="center", fit=True))
        shown = "●" * len(self.state["pin"]) or " "
        box.add_widget(Text(shown, "title", halign="center", fit=True, kiosk_id="pin_dots"))
        if self.state["wrong"]:
            box.add_widget(Text(self.tr("pin_wrong"), "body", color=RED, halign="center", fit=True, kiosk_id="pin_wrong"))
        box.add_widget(Keypad(list("1234567890"), self.state["pin"], self._typed, cols=3, max_length=8, tr=self.tr))
        box.add_widget(Big(self.tr("ok"), self._submit, "pin_ok", size_hint_y=None, height=STYLE.tall(130)))
        return box

    def _typed(self, value: str) -> None:
        self.state.update(pin=value, wrong=False)
        self.render()

    def _submit(self) -> None:
        def refused(exc: LocalApiCallError) -> None:
            self.state.update(pin="", wrong=True)
            self.render()
        self.app.call("maintenance", {"enter": True, "pin": self.state["pin"]}, self._entered, refused)

    def _entered(self, result: dict[str, Any]) -> None:
        self.app.maintenance = bool(result.get("maintenance"))
        if self.app.maintenance:
            self.app.go("maintenance")


class MaintenanceScreen(KioskScreen):
    """For the maintainer: devices, test print, paper changed, leave; and the way out of kiosk mode."""

    screen_name = "maintenance"
    title_key = "maint_title"
    home_button = False

    def fresh(self) -> dict[str, Any]:
        return {"devices": None, "message": ""}

    def body(self) -> Widget:
        if self.state["devices"] is None:
            self.state["devices"] = {}
            self.app.call("device_states", {}, self._devices)
        box = Panel(orientation="vertical")
        box.add_widget(Text(self.tr("maint_title"), "title" if STYLE.portrait else "large", bold=True, fit=True))
        box.add_widget(Text(self.tr("maint_devices"), "large", color=MUTED, fit=True))
        for name, state in sorted(self.state["devices"].items()):
            box.add_widget(Text(self.tr("device_line", device=name, state=state.get("state", ""),
                                        reason=state.get("reason", "")), "body", fit=True, kiosk_id=f"device_{name}"))
        box.add_widget(Widget())
        if self.state["message"]:
            box.add_widget(Text(self.state["message"], "large", color=GREEN, fit=True, kiosk_id="maint_message"))
        rows = 4 if STYLE.portrait else 2  # landscape: two columns, under the device list
        grid = GridLayout(cols=4 // rows, spacing=STYLE.px(14), size_hint_y=None,
                          height=STYLE.tall(rows * 130) + STYLE.px(14) * (rows - 1))
        for key, action, bg, fg in (("test_print", self._test_print, BLUE, WHITE),
                                    ("paper_changed", self._paper_changed, BLUE, WHITE),
                                    ("maint_leave", self._leave, SKY, DEEP), ("maint_quit", self._quit, RED, WHITE)):
            grid.add_widget(Big(self.tr(key), action, key, bg=bg, fg=fg))
        box.add_widget(grid)
        return box

    def _devices(self, result: dict[str, Any]) -> None:
        self.state["devices"] = dict(result.get("devices") or {})
        self.render()

    def _say(self, text: str) -> None:
        self.state["message"] = text
        self.render()

    def _test_print(self) -> None:
        self.app.call("test_print", {}, lambda _r: self._say(self.tr("maint_done")))

    def _paper_changed(self) -> None:
        self.app.call("paper_changed", {}, lambda r: self._say(
            self.tr("paper_count", count=r.get("tickets_since_paper", 0))))

    def _leave(self) -> None:
        def left(_result: dict[str, Any]) -> None:
            self.app.maintenance = False
            self.app.go_home()
        self.app.call("maintenance", {"enter": False}, left)

    def _quit(self) -> None:
        App.get_running_app().stop()
