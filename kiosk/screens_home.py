"""Home: seven large tiles, the hall's time and queue, and a calm attract loop when idle."""
from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk.screen import KioskScreen
from kiosk.widgets import BLUE, DEEP, MUTED, STYLE, TILE_COLORS, Big, Panel, Text, tile

ATTRACT = ("attract", "attract_2", "attract_3")
TILE_PX = 270  # a portrait tile's height at full size, in either mode


class HomeScreen(KioskScreen):
    screen_name = "home"
    title_key = "attract"
    home_button = False
    back_button = False

    def fresh(self) -> dict[str, Any]:
        return {"attract": 0}

    def body(self) -> Widget:
        portrait = STYLE.portrait
        outer = BoxLayout(orientation="vertical" if portrait else "horizontal", spacing=STYLE.px(18))
        left = BoxLayout(orientation="vertical", spacing=STYLE.px(18))
        left.add_widget(self._welcome())
        left.add_widget(self._tiles(cols=2 if portrait else 3))
        if portrait:
            left.size_hint_y = None
            left.bind(minimum_height=left.setter("height"))
        outer.add_widget(left)
        self._waiting = Panel(orientation="vertical", spacing=STYLE.px(6))
        if not portrait:
            self._waiting.size_hint_x = 0.3
        outer.add_widget(self._waiting)
        self.show_queue()
        return outer

    def _welcome(self) -> Widget:
        """The time and a hint; in elder mode the time alone, at its standard size (already
        large), so the tiles below keep their height."""
        panel = Panel(orientation="vertical", fit=True, spacing=0)
        self._time = Text(self._time_text(), "title", color=DEEP, bold=True, fit=True, kiosk_id="home_time",
                          scaled=False)
        panel.add_widget(self._time)
        self._attract = Text(self.tr(ATTRACT[self.state["attract"]]), "large", color=MUTED, fit=True,
                             kiosk_id="attract")
        if not STYLE.elder:
            panel.add_widget(self._attract)
        return panel

    def _time_text(self) -> str:
        now = self.app.now()
        return f"{self.app.clock_text()}   {now:%Y-%m-%d} {self.tr(f'weekday_{now.weekday()}')}"

    def _tiles(self, cols: int) -> Widget:
        """Six tiles and, across the bottom, 帮办: help is never more than one touch away. In
        portrait the tiles have a height of their own (elder mode's larger header and queue
        must not shrink them); the waiting panel takes what is left, and scrolls."""
        portrait = cols == 2
        grid = GridLayout(cols=cols, spacing=STYLE.px(18))
        if portrait:
            grid.size_hint_y, grid.height = None, 3 * STYLE.px(TILE_PX) + 2 * STYLE.px(18)
        blocked = self.app.numbers_blocked()
        number_note = (self.tr("no_numbers_here") if blocked else
                       self.tr("closed_title") if self.app.is_closed() else "")
        tiles = (("tile_take_number", number_note, self.app.start_take_number),
                 ("tile_check_in", "", lambda: self.app.go("identify", purpose="check_in")),
                 ("tile_guides", "", lambda: self.app.go("guides")),
                 ("tile_life_events", "", lambda: self.app.go("life")),
                 ("tile_progress", "", lambda: self.app.go("progress")),
                 ("tile_rating", "", lambda: self.app.go("rating")))
        for i, (key, note, action) in enumerate(tiles):
            grid.add_widget(tile(self.tr(key), note, action, key, TILE_COLORS[i]))
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(18))
        box.add_widget(grid)
        helper = tile(self.tr("tile_help"), "", lambda: self.app.go("help"), "tile_help", TILE_COLORS[6])
        voice = Big(self.tr("voice_on" if self.app.voice_on else "voice_off"), self.app.toggle_voice, "toggle_voice",
                    bg=DEEP, level="body", size_hint_x=0.6)  # 语音引导, beside help: where a citizen starts
        bottom = BoxLayout(spacing=STYLE.px(18))
        bottom.add_widget(helper)
        bottom.add_widget(voice)
        if portrait:
            bottom.size_hint_y, bottom.height = None, STYLE.px(150)
            box.size_hint_y = None
            box.bind(minimum_height=box.setter("height"))
        else:
            bottom.size_hint_y = 0.3
        box.add_widget(bottom)
        return box

    def show_queue(self) -> None:
        """Refill the waiting panel only: a queue event must not rebuild a screen being touched."""
        panel = getattr(self, "_waiting", None)
        if panel is None:
            return
        panel.clear_widgets()
        panel.add_widget(Text(self.tr("waiting_title"), "large", color=BLUE, bold=True, fit=True))
        cols = 2 if STYLE.portrait and self.tr.language == "zh" else 1
        grid = GridLayout(cols=cols, spacing=STYLE.px(4), size_hint_y=None)
        grid.bind(minimum_height=grid.setter("height"))
        names = {c.letter: self.tr.pick(c.name, c.name_en) for c in
                 (self.app.guides.categories if self.app.guides else [])}
        for entry in self.app.queue:
            name = names.get(entry["letter"], entry.get("name", ""))
            grid.add_widget(Text(self.tr("waiting_line", letter=entry["letter"], name=name,
                                         waiting=entry.get("waiting", 0)), "small", fit=True,
                                 kiosk_id=f"waiting_{entry['letter']}"))
        view = ScrollView(do_scroll_x=False, bar_width=STYLE.px(8))  # a long queue in a short place
        view.add_widget(grid)
        panel.add_widget(view)

    def tick(self) -> None:
        """The hall's time (home may stay up for hours untouched) and the attract loop."""
        super().tick()
        clock = getattr(self, "_time", None)
        if clock is not None and clock.parent is not None:
            clock.said = self._time_text()
        label = getattr(self, "_attract", None)
        if label is None or label.parent is None:
            return
        self._seconds = getattr(self, "_seconds", 0) + 1
        if self._seconds % 6:
            return
        self.state["attract"] = (self.state["attract"] + 1) % len(ATTRACT)
        text = self.tr(ATTRACT[self.state["attract"]])
        fade = Animation(opacity=0, duration=0.6)
        fade.bind(on_complete=lambda *_: (setattr(label, "said", text), Animation(opacity=1, duration=0.6).start(label)))
        fade.start(label)
