"""The kiosk app: screens, the daemon's state, idle reset and recovery.

What the app knows comes from the daemon only (`hello` after every connect, then pushed
events); what it knows about the citizen lives in `citizen` and in the screens' state, and
`forget()` drops all of it. A request's answer that arrives after the citizen was forgotten
is discarded (`generation`), so nobody sees the previous person's ticket.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time as _time
from datetime import date, datetime
from typing import Any, Callable

from kivy.app import App
from kivy.base import EventLoop, ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.floatlayout import FloatLayout
from kivy.animation import Animation
from kivy.uix.screenmanager import NoTransition, ScreenManager

from core.catalog import Catalog, Checklist
from core.clock import SYSTEM_CLOCK, Clock as TimeSource, HallClock, local_datetime
from core.errors import ConfigError
from kiosk.client import LocalApiCallError, LocalApiClient
from kiosk.guides import closed_now, print_args
from kiosk.host import Citizen
from kiosk.i18n import STRINGS, Translator
from kiosk.screens_guides import GuidesScreen, ItemScreen
from kiosk.screens_home import HomeScreen
from kiosk.screens_life import LifeEventScreen, LifeScreen
from kiosk.screens_number import CategoryScreen, IdentifyScreen, TicketScreen
from kiosk.screens_service import HelpScreen, ProgressScreen, RatingScreen
from kiosk.screens_system import IdleOverlay, MaintenanceScreen, NoticeScreen, OutOfServiceScreen, PinScreen
from kiosk.settings import KioskSettings
from kiosk.voice import Voice
from kiosk.widgets import PAPER, STYLE, guarded

log = logging.getLogger("kiosk.app")

SCREENS = (HomeScreen, IdentifyScreen, CategoryScreen, TicketScreen, GuidesScreen, ItemScreen, LifeScreen,
           LifeEventScreen, ProgressScreen, RatingScreen, HelpScreen, NoticeScreen, OutOfServiceScreen,
           PinScreen, MaintenanceScreen)
NO_IDLE = ("home", "out_of_service")  # screens the idle countdown never runs on
FLOW_ROOTS = ("home", "out_of_service")  # going there is starting over: nothing to go back to


def release_memory() -> None:
    """Hand the heap freed by the last citizen's screens back to the OS (glibc keeps it
    otherwise, and a kiosk runs for months); a no-op where there is no glibc."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


class _KeepRunning(ExceptionHandler):
    """An exception escaping a Kivy callback: log it, go home, keep the kiosk alive."""

    def __init__(self, app: KioskApp) -> None:
        self.app = app

    def handle_exception(self, exception: BaseException) -> int:
        if not isinstance(exception, Exception):
            return ExceptionManager.RAISE
        log.error("unhandled UI error: %s", type(exception).__name__, exc_info=exception)
        Clock.schedule_once(lambda _dt: self.app.recover(exception), 0)
        return ExceptionManager.PASS


class KioskApp(App):
    title = "OneTrip kiosk"

    def __init__(self, settings: KioskSettings, clock: TimeSource = SYSTEM_CLOCK, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.clock = HallClock(clock)  # set to hall time by the daemon (`hello`, `hall_time`)
        self.tr = Translator(settings.language)
        self.citizen = Citizen()
        self.generation = 0  # bumped by forget(): stale answers are dropped
        self.history: list[tuple[str, dict[str, Any]]] = []  # the screens 返回 goes back to, with their state
        self.voice = Voice(settings.voice_program)
        self.voice_choice: bool | None = None  # the citizen's 语音 toggle; None: the hall's default
        self.connected = False
        self.center_reachable = True
        self.maintenance = False
        self.devices: dict[str, dict[str, Any]] = {}
        self.card_on_reader = False  # a card lies on the reader (card_read, until card_removed)
        self.queue: list[dict[str, Any]] = []
        self.guides: Catalog | None = None  # the last good snapshot: guides work without the center
        self.hall_name = settings.hall_name
        self.last_touch = _time.monotonic()
        self._taps: list[float] = []
        self._recovering = False
        self.client = LocalApiClient(settings.socket, on_hello=guarded(self._on_hello), on_lost=guarded(self._on_lost),
                                     on_event=guarded(self._on_event), call_soon=self._call_soon)

    # -- build and lifecycle --------------------------------------------------------------

    def build(self) -> FloatLayout:
        Window.clearcolor = PAPER
        Window.show_cursor = False
        STYLE.unit = min(Window.size) / 1080
        STYLE.portrait = Window.height >= Window.width
        # no FBO transition: two window-sized FBOs per change cost ~170 MB with software GL;
        # the new screen fades in through its opacity instead
        self.sm = ScreenManager(transition=NoTransition())
        self.sm.bind(current_screen=self._fade_in)
        for cls in SCREENS:
            self.sm.add_widget(cls(self, name=cls.screen_name))
        self.sm.current = "out_of_service"
        self.root_layout = FloatLayout()
        self.root_layout.add_widget(self.sm)
        self.overlay = IdleOverlay(self)
        Window.bind(on_touch_down=self._on_touch)
        Clock.schedule_interval(lambda _dt: self._tick(), 1.0)
        ExceptionManager.add_handler(_KeepRunning(self))
        return self.root_layout

    def on_start(self) -> None:
        if self.settings.touch_provider != "none":
            for provider in list(EventLoop.input_providers):
                if type(provider).__name__ == "SDL2MotionEventProvider":  # else every touch counts twice
                    EventLoop.remove_input_provider(provider)
        self.client.start()

    def on_stop(self) -> None:
        self.voice.stop()
        self.client.stop()

    def _call_soon(self, callback: Callable[[], None]) -> None:
        Clock.schedule_once(lambda _dt: callback(), 0)

    # -- navigation -----------------------------------------------------------------------

    @property
    def screen(self) -> Any:
        return self.sm.current_screen

    def go(self, name: str, **params: Any) -> None:
        """Open `name`; the screen left behind is remembered with its state for 返回, unless it
        ends a flow (a ticket, a notice) or the way leads home."""
        current = self.sm.current
        if current != name and name not in FLOW_ROOTS and self.sm.has_screen(current) \
                and self.screen.back_button:
            self.history.append((current, dict(self.screen.state, busy=False)))
        target = self.sm.get_screen(name)
        target.open(**params)
        if self.sm.current == name:
            target.render()
        else:
            self.sm.current = name

    @staticmethod
    def _fade_in(_manager: Any, screen: Any) -> None:
        screen.opacity = 0.2
        Animation(opacity=1.0, duration=0.2).start(screen)

    def back(self) -> None:
        """返回: a step back inside the screen (a category chosen → the categories), else the
        screen before, as the citizen left it; with nothing behind, home (forgetting nobody
        who has not gone)."""
        if self.screen.step_back():
            return
        if not self.history:
            self.go_home()
            return
        name, state = self.history.pop()
        screen = self.sm.get_screen(name)
        screen.state = state
        if self.sm.current == name:
            screen.render()
        else:
            self.sm.current = name

    def go_home(self) -> None:
        """The citizen is done: forget them, keep their language and text size."""
        self.forget(full=False)

    def rerender(self) -> None:
        self.screen.render()

    def toggle_elder(self) -> None:
        STYLE.elder = not STYLE.elder
        self.rerender()
        self.speak(self.screen.spoken())  # elder mode turns the voice on, by default

    @property
    def voice_on(self) -> bool:
        """语音引导: the citizen's choice, else on in elder mode (`voice_guidance = "elder"`)."""
        if self.voice_choice is not None:
            return self.voice_choice
        mode = self.settings.voice_guidance
        return mode == "on" or (mode == "elder" and STYLE.elder)

    def toggle_voice(self) -> None:
        self.voice_choice = not self.voice_on
        if not self.voice_on:
            self.voice.stop()
        self.rerender()
        self.speak(self.screen.spoken())

    def speak(self, text: str) -> None:
        if self.voice_on and text:
            self.voice.say(text, self.tr.language)

    def toggle_language(self) -> None:
        self.tr.language = "en" if self.tr.language == "zh" else "zh"
        self.rerender()

    def forget(self, full: bool = True) -> None:
        """Drop everything about the citizen: card, screens' state and widgets, pending answers."""
        self.generation += 1
        self.citizen = Citizen()
        self.history.clear()
        self.voice.stop()
        if full:
            STYLE.elder = False
            self.voice_choice = None
            self.tr.language = self.settings.language
        for screen in self.sm.screens:
            screen.reset()
        self.overlay.hide()
        if self.connected:
            self.call("forget_citizen", {}, lambda _r: None, lambda _e: None)
            if self.maintenance and full:
                self.call("maintenance", {"enter": False}, lambda _r: None, lambda _e: None)
        self.go("home" if self.connected else "out_of_service")
        release_memory()

    @property
    def at_defaults(self) -> bool:
        """The kiosk as the next citizen should meet it: the hall's language, standard text, the voice as set."""
        return self.tr.language == self.settings.language and not STYLE.elder and self.voice_choice is None

    def recover(self, exc: BaseException) -> None:
        """A bug surfaced in the UI: tell the citizen calmly and start over."""
        if self._recovering:
            return
        self._recovering = True
        try:
            log.error("recovering from %s", type(exc).__name__)
            try:
                self.forget(full=False)
                self.go("notice", title=self.tr("err_InternalError"), home_after=True)
            except Exception:  # even the home screen fails: start over from the daemon's state
                log.exception("recovery failed, reconnecting")
                self.queue = []
                self.sm.current = "out_of_service"
                self.client.reconnect()
        finally:
            self._recovering = False

    # -- requests -------------------------------------------------------------------------

    def call(self, op: str, args: dict[str, Any], on_result: Callable[[dict[str, Any]], None],
             on_error: Callable[[LocalApiCallError], None] | None = None, timeout: float | None = None) -> None:
        """A request off the UI thread; the answer is dropped if the citizen changed meanwhile."""
        generation = self.generation
        fail = on_error or self.show_error

        def ok(result: dict[str, Any]) -> None:
            if generation == self.generation:
                guarded(on_result)(result)

        def error(exc: LocalApiCallError) -> None:
            if generation == self.generation:
                guarded(fail)(exc)
        self.client.submit(op, args, ok, error, timeout or self.settings.request_timeout)

    def error_text(self, exc: LocalApiCallError, known: dict[str, str] | None = None) -> str:
        """The kiosk's own sentence for an error type; `err_<Type>_detail` when the error came
        with the values it names (the come-back time of a too-early booking…), or the screen
        `known` them (the ticket number the citizen typed)."""
        key = f"err_{exc.type}" if f"err_{exc.type}" in STRINGS else "err_RequestFailed"
        values = {**(known or {}), **exc.values}
        if values and f"{key}_detail" in STRINGS:  # tr() leaves a text asked with no values unformatted
            try:
                return self.tr(f"{key}_detail", **values)
            except KeyError:  # not the values it names (an older center's): the plain sentence
                pass
        return self.tr(key, nearest=self.settings.nearest_kiosk)

    def show_error(self, exc: LocalApiCallError, category: str | None = None,
                   known: dict[str, str] | None = None) -> None:
        if exc.type == "NotIssuingNow" and self.guides is not None:
            self.show_closed(category)  # the center knew why: say why and when, as the kiosk would have
        else:
            self.go("notice", title=self.error_text(exc, known), tone="error")

    def show_closed(self, category: str | None) -> None:
        """No numbers now (for one category, or any): why, by the hall calendar, and when next."""
        now = self.now()
        opening = self.guides.next_opening(category, now)
        when = self.tr("closed_next", when=self.when_text(opening)) if opening else self.tr("closed_none")
        why = closed_now(self.guides, category, now, self.tr)
        lines = [why] if why != self.tr("closed_title") else []
        self.go("notice", title=self.tr("closed_title"), lines=[*lines, when, self.tr("closed_book"),
                                                                 self.tr("closed_hint")], tone="info")

    # -- what the daemon tells us ---------------------------------------------------------

    def _set_hall_time(self, hall_time: Any) -> None:
        """The daemon's hall time, read a moment ago over a local socket: the offset is exact enough."""
        if isinstance(hall_time, (int, float)):
            self.clock.set_offset(float(hall_time) - self.clock.base.time())

    def _on_hello(self, state: dict[str, Any]) -> None:
        self.connected = True
        self._set_hall_time(state.get("hall_time"))
        self.center_reachable = bool(state.get("center_reachable", False))
        self.devices = dict(state.get("devices") or {})
        self.maintenance = bool(state.get("maintenance", False))
        self.hall_name = str(state.get("hall_name") or self.hall_name)
        if state.get("card"):
            self.citizen = Citizen.from_card(state["card"])
            self.card_on_reader = True
        if self.guides is None or state.get("catalog_hash") != self.guides.hash:
            self._fetch_catalog()
        self._fetch_queue()
        if self.maintenance:
            self.go("maintenance")
        elif self.sm.current == "out_of_service":
            self.go("home")
        else:
            self.rerender()

    def _on_lost(self) -> None:
        self.connected = False
        self.forget(full=True)

    def _on_event(self, name: str, data: dict[str, Any]) -> None:
        if name == "card_removed":
            self.card_on_reader = False
            self.screen.on_card_removed()
        elif name == "card_read":
            self.citizen = Citizen.from_card(data)
            self.card_on_reader = True
            self.last_touch = _time.monotonic()  # a card on the reader is activity too
            self.screen.on_card(data)
        elif name == "card_error":
            self.last_touch = _time.monotonic()
            self.screen.on_card_error(data)
        elif name == "code_scanned":
            self.last_touch = _time.monotonic()
            self.citizen.code = str(data.get("code", ""))
            self.screen.on_code(data)
        elif name == "device_state":
            self.devices[str(data.get("device"))] = {"state": data.get("state"), "reason": data.get("reason", "")}
            self._status_changed()
        elif name == "center":
            self.center_reachable = bool(data.get("reachable"))
            self._status_changed()
        elif name == "catalog":
            if self.guides is None or data.get("hash") != self.guides.hash:
                self._fetch_catalog()
        elif name == "queue":
            self._set_queue(data)
        elif name == "hall_time":
            self._set_hall_time(data.get("hall_time"))
        elif name == "help_coming":  # 帮办 answered: who is on the way to this kiosk
            self.go("notice", title=self.tr("help_coming"), tone="ok",
                    lines=[self.tr("help_coming_who", helper=data.get("helper_name") or "")])
        elif name == "maintenance":
            self.maintenance = bool(data.get("maintenance"))
            if self.maintenance:
                self.go("maintenance")
            elif self.sm.current in ("maintenance", "pin"):
                self.go_home()

    def _status_changed(self) -> None:
        if self.sm.current not in ("out_of_service", "pin"):
            self.rerender()

    def _fetch_catalog(self) -> None:
        def got(snapshot: dict[str, Any]) -> None:
            try:
                self.guides = Catalog.from_snapshot(snapshot)
            except ConfigError as exc:  # keep the copy we have
                log.warning("catalog snapshot refused: %s", exc)
                return
            self.hall_name = self.hall_name or self.guides.header.hall
            if self.sm.current not in ("out_of_service", "pin"):
                self.rerender()
        self.client.submit("catalog", {}, guarded(got),
                           lambda exc: log.warning("catalog unavailable: %s", exc.type))

    def _fetch_queue(self) -> None:
        self.client.submit("queue_summary", {}, guarded(self._set_queue),
                           lambda exc: log.info("queue summary unavailable: %s", exc.type))

    def _set_queue(self, summary: dict[str, Any]) -> None:
        """Only well-formed entries: the home screen must render whatever the daemon sends."""
        self.queue = [dict(e) for e in summary.get("categories") or []
                      if isinstance(e, dict) and isinstance(e.get("letter"), str) and isinstance(e.get("waiting", 0), int)]
        if self.sm.current == "home":
            self.screen.show_queue()

    # -- what the kiosk can do now --------------------------------------------------------

    def now(self) -> datetime:
        return local_datetime(self.clock.time(), self.settings.timezone)

    def clock_text(self) -> str:
        return self.now().strftime("%H:%M")

    def numbers_blocked(self) -> str | None:
        """Why this kiosk cannot issue numbers right now (a sentence), or None."""
        printer = self.devices.get("printer", {})
        if not self.center_reachable:
            return self.tr("banner_center")
        if printer.get("state") == "offline":
            key = "banner_paper" if printer.get("reason") == "paper_out" else "banner_printer"
            return self.tr(key, nearest=self.settings.nearest_kiosk)
        return None

    def take_why(self, category: str | None) -> list[str]:
        """Why 取号 is greyed out here now, and what to do instead; [] when it is not."""
        blocked = self.numbers_blocked()
        if blocked:
            return [blocked]
        if self.is_closed(category):
            return [closed_now(self.guides, category, self.now(), self.tr), self.tr("closed_book")]
        return []

    def banner_text(self) -> str | None:
        return self.numbers_blocked() if self.connected else None

    def start_take_number(self, category: str | None = None, item: str | None = None,
                          event: str | None = None, answers: dict[str, str] | None = None) -> None:
        """Take a number, unless this kiosk cannot issue one now: then say why and when.
        A life event's `answers` go with the request, so the ticket lists what the screen did."""
        blocked = self.numbers_blocked()
        if blocked:
            self.go("notice", title=self.tr("no_numbers_here"), lines=[blocked], tone="error")
        elif self.is_closed(category):
            self.show_closed(category)
        else:
            self.go("identify", purpose="take_number", category=category, item=item, event=event,
                    answers=dict(answers or {}))

    def print_notice(self, checklist: Checklist, screen: Any) -> None:
        """Print a one-time complete notice; the screen shows whether it came out."""
        def done(result: dict[str, Any]) -> None:
            screen.state["printed"] = bool(result.get("printed"))
            screen.render()
        self.call("print_checklist", print_args(checklist, self.guides, self.settings.guide_url), done)

    def identity_args(self) -> dict[str, Any]:
        """How the daemon knows the citizen: the card still on its reader, or the scanned code."""
        if self.citizen.citizen_key:
            return {"use_card": True}
        return {"use_card": False, "code": self.citizen.code}

    def date_text(self, iso: str) -> str:
        """A date the center sent (2026-12-09) as the citizen's language writes it."""
        on = date.fromisoformat(iso)
        return self.tr("date", year=on.year, month=on.month, day=on.day)

    def when_text(self, moment: datetime) -> str:
        days = (moment.date() - self.now().date()).days
        day = self.tr("today") if days == 0 else self.tr("tomorrow") if days == 1 else \
            moment.strftime("%m-%d ") + self.tr(f"weekday_{moment.weekday()}")
        return f"{day} {moment.strftime('%H:%M')}"

    def is_closed(self, letter: str | None = None) -> bool:
        """Outside issuing hours, hall calendar included (for one category, or for all)."""
        if self.guides is None:
            return False  # no catalog yet: the daemon and center decide
        now = self.now()
        return not (self.guides.is_issuing(letter, now) if letter else self.guides.any_issuing(now))

    # -- touch, idle, maintenance gesture -------------------------------------------------

    def _on_touch(self, _window: Any, _touch: Any) -> bool:
        """Any touch is activity; one that dismisses the countdown goes no further."""
        self.last_touch = _time.monotonic()
        if self.overlay.shown:
            self.overlay.hide()
            return True
        return False

    def _tick(self) -> None:
        self.screen.tick()
        idle = _time.monotonic() - self.last_touch
        if self.sm.current in NO_IDLE:  # no countdown here: nothing but the defaults to restore
            if idle >= self.settings.idle_seconds and (self.citizen.identified or not self.at_defaults):
                self.forget(full=True)
            return
        left = self.settings.idle_seconds + self.settings.countdown_seconds - idle
        if left <= 0:
            self.forget(full=True)
        elif idle >= self.settings.idle_seconds:
            self.overlay.show(int(left + 0.999))

    def maintenance_tap(self) -> None:
        now = _time.monotonic()
        self._taps = [t for t in self._taps if now - t < 3.0] + [now]
        if len(self._taps) >= self.settings.maintenance_taps and self.connected:
            self._taps = []
            self.go("pin")

    def get_status(self) -> dict[str, Any]:
        return {"screen": self.sm.current, "connected": self.connected, "center_reachable": self.center_reachable,
                "maintenance": self.maintenance, "catalog": self.guides.hash if self.guides else None,
                "client": self.client.get_status()}
