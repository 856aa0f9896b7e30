"""Taking a number and checking in: identify (card or QR), choose, get the printed ticket."""
from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.client import LocalApiCallError
from kiosk.screen import KioskScreen
from kiosk.widgets import (AMBER, BLUE, DEEP, GREEN, MUTED, RED, SKY, STYLE, WHITE, Big, Panel, Text, choice,
                           paged, pager_bar)

PRIORITIES = ("disabled", "pregnant", "military")  # chosen by the citizen, checked at the window


class IdentifyScreen(KioskScreen):
    """'Place your ID card' with a moving card, a timeout, and a clear retry on a read error.

    `purpose` says what follows: "take_number" (→ choose the category) or "check_in"."""

    screen_name = "identify"
    wants_card = True

    def fresh(self) -> dict[str, Any]:
        return {"purpose": "take_number", "category": None, "item": None, "event": None, "answers": {},
                "error": False, "busy": False}

    def body(self) -> Widget:
        check_in = self.state["purpose"] == "check_in"
        box = Panel(orientation="vertical", padding=STYLE.px(40), spacing=STYLE.px(24))
        box.add_widget(Text(self.tr("check_in_title" if check_in else "card_title"), "title", halign="center",
                            bold=True, color=DEEP, fit=True, kiosk_id="identify_title"))
        box.add_widget(Text(self.tr("check_in_hint" if check_in else "card_hint"), "large", halign="center",
                            color=MUTED, fit=True))
        if self.state["error"]:
            box.add_widget(Text(self.tr("card_error"), "large", halign="center", color=RED, bold=True, fit=True,
                                kiosk_id="card_error"))
        if self.state["busy"]:
            box.add_widget(Text(self.tr("working"), "large", halign="center", color=BLUE, fit=True))
        box.add_widget(self._prompt())
        self.later(self.app.settings.card_timeout, self._timed_out)
        if self.app.citizen.identified:  # the card was already on the reader
            self.later(0.1, self._identified)
        return box

    def spoken(self) -> str:
        return self.tr("check_in_title" if self.state["purpose"] == "check_in" else "card_title")

    def _prompt(self) -> Widget:
        """A card sliding down onto the reader, over and over: the animated prompt."""
        stage = FloatLayout()
        stage.decorative = True  # an animation: the card passes over the reader by design
        reader = Panel(bg=DEEP, size_hint=(0.6, None), height=STYLE.px(120), pos_hint={"center_x": 0.5, "y": 0.02},
                       padding=STYLE.px(8))
        reader.add_widget(Text(self.tr("card_reader"), "body", color=WHITE, halign="center"))
        card = Panel(bg=SKY, size_hint=(0.42, 0.34), pos_hint={"center_x": 0.5}, radius=16)
        word = Label(text="ID", color=DEEP, bold=True, halign="center", valign="middle")
        word.bind(height=lambda w, h: setattr(w, "font_size", max(h * 0.5, 1)))  # follows the card's size
        card.add_widget(word)
        stage.add_widget(reader)
        stage.add_widget(card)

        def start(*_: Any) -> None:
            top, low = stage.y + stage.height * 0.62, stage.y + stage.height * 0.24
            Animation.cancel_all(card)
            card.y = top
            loop = Animation(y=low, duration=1.2, t="in_out_quad") + Animation(y=low, duration=0.6) + \
                Animation(y=top, duration=0.01) + Animation(y=top, duration=0.4)
            loop.repeat = True
            loop.start(card)
        stage.bind(size=start)
        self._card = card
        return stage

    def on_leave(self, *args: Any) -> None:
        card = getattr(self, "_card", None)
        if card is not None:
            Animation.cancel_all(card)
        super().on_leave(*args)

    def on_card(self, data: dict[str, Any]) -> None:
        self._identified()

    def on_code(self, data: dict[str, Any]) -> None:
        self._identified()

    def on_card_error(self, data: dict[str, Any]) -> None:
        self.state["error"] = True
        self.render()

    def _timed_out(self) -> None:
        self.app.go("notice", title=self.tr("card_timeout"), tone="info")

    def _identified(self) -> None:
        if self.state["busy"]:
            return
        if self.state["purpose"] == "take_number":
            self.app.go("category", category=self.state["category"], item=self.state["item"], event=self.state["event"],
                        answers=self.state["answers"])
            return
        self.state["busy"] = True
        self.render()
        self.app.call("check_in", self.app.identity_args(), lambda r: self.app.go("ticket", kind="check_in", result=r))


class CategoryScreen(KioskScreen):
    """Greeting, then the category, the item (optional) and the priority lane; then the number."""

    screen_name = "category"
    title_key = "choose_category"

    def fresh(self) -> dict[str, Any]:
        return {"category": None, "item": None, "event": None, "answers": {}, "priority": None, "page": 0,
                "busy": False}

    def body(self) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(16))
        box.add_widget(self._greeting())
        box.add_widget(self._categories() if self.state["category"] is None else self._items())
        return box

    def _greeting(self) -> Widget:
        citizen = self.app.citizen
        panel = Panel(orientation="vertical", fit=True, spacing=0)
        hello = self.tr("greeting", name=citizen.name) if citizen.name else self.tr("greeting_code")
        panel.add_widget(Text(hello, "large", bold=True, color=DEEP, fit=True, kiosk_id="greeting"))
        return panel

    @property
    def _elderly(self) -> bool:
        return self.app.citizen.elderly

    def _categories(self) -> Widget:
        guides = self.app.guides
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(14))
        box.add_widget(Text(self.tr("choose_category"), "large", fit=True))
        categories = guides.categories if guides else []
        shown, page, pages = paged(categories, self.state["page"], STYLE.page_size(8 if STYLE.portrait else 6))
        grid = GridLayout(cols=1 if STYLE.portrait else 2, spacing=STYLE.px(12))
        waiting = {q["letter"]: q.get("waiting", 0) for q in self.app.queue}
        for category in shown:
            letter = category.letter
            name = self.tr.pick(category.name, category.name_en)
            note = self.tr("closed_title") if self.app.is_closed(letter) else \
                self.tr("waiting_n", waiting=waiting.get(letter, 0))
            small = int(STYLE.font("small", scaled=False))
            button = Big(f"{letter}  {name}\n[size={small}]{note}[/size]", lambda c=letter: self._pick_category(c),
                         f"category_{letter}", level="body", scaled=STYLE.portrait)  # landscape: two lines per row
            button.disabled = self.app.is_closed(letter)
            grid.add_widget(button)
        box.add_widget(grid)
        box.add_widget(pager_bar(page, pages, self._turn, self.tr))
        return box

    def _items(self) -> Widget:
        """What to queue for, then the lane and the button: stacked in portrait, side by side in landscape."""
        box = BoxLayout(orientation="vertical" if STYLE.portrait else "horizontal", spacing=STYLE.px(16))
        box.add_widget(self._event_summary() if self.state["event"] else self._item_choice())
        side = BoxLayout(orientation="vertical", spacing=STYLE.px(12), size_hint_y=None if STYLE.portrait else 1,
                         size_hint_x=1 if STYLE.portrait else 0.42)
        if STYLE.portrait:
            side.bind(minimum_height=side.setter("height"))
        side.add_widget(self._priority_row())
        if not STYLE.portrait:
            side.add_widget(Widget())
        box.add_widget(side)
        take = Big(self.tr("issuing") if self.state["busy"] else self.tr("tile_take_number"), self._take,
                   "take", bg=GREEN, level="title" if STYLE.portrait else "large", size_hint_y=None,
                   height=STYLE.tall(150))
        take.disabled = self.state["busy"]
        side.add_widget(take)
        return box

    def _event_summary(self) -> Widget:
        name = self.app.guides.life_event(self.state["event"]).name if self.app.guides else self.state["event"]
        panel = Panel(orientation="vertical")
        panel.add_widget(Text(name, "title", color=DEEP, bold=True, halign="center", kiosk_id="event_name"))
        panel.add_widget(Text(self.tr("life_take_hint"), "large", color=MUTED, halign="center"))
        return panel

    def _item_choice(self) -> Widget:
        guides = self.app.guides
        letter = self.state["category"]
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(12))
        box.add_widget(Text(self.tr("choose_item"), "large", fit=True))
        items = [(i.code, i.name) for i in (guides.items_in(letter) if guides else [])] + [(None, self.tr("any_item"))]
        shown, page, pages = paged(items, self.state["page"], STYLE.page_size(6 if STYLE.portrait else 5))
        grid = GridLayout(cols=1, spacing=STYLE.px(10))
        for code, name in shown:
            grid.add_widget(choice(name, code == self.state["item"], lambda c=code: self._pick_item(c),
                                   f"item_{code or 'any'}"))
        box.add_widget(grid)
        box.add_widget(pager_bar(page, pages, self._turn, self.tr))
        return box

    def _priority_row(self) -> Widget:
        row = BoxLayout(orientation="vertical", size_hint_y=None, spacing=STYLE.px(8))
        row.bind(minimum_height=row.setter("height"))
        if self._elderly:  # 绿色通道 said once: the lane is already theirs
            row.add_widget(Text(self.tr("elderly_note"), "body", color=GREEN, bold=True, fit=True,
                                kiosk_id="elderly_note"))
            return row
        row.add_widget(Text(self.tr("priority_title"), "body", color=MUTED, fit=True))
        cols = 4 if STYLE.portrait else 2
        buttons = GridLayout(cols=cols, spacing=STYLE.px(10), size_hint_y=None,
                             height=STYLE.tall(90) * (4 // cols) + STYLE.px(10) * (4 // cols - 1))
        for value in (None, *PRIORITIES):
            label = self.tr(f"priority_{value}" if value else "priority_none")
            buttons.add_widget(choice(label, self.state["priority"] == value, lambda v=value: self._pick_priority(v),
                                      f"priority_{value or 'none'}", level="small"))
        row.add_widget(buttons)
        return row

    def _turn(self, page: int) -> None:
        self.state["page"] = page
        self.render()

    def step_back(self) -> bool:
        """From the items of a category back to the categories, keeping the greeting's citizen."""
        if self.state["category"] is None or self.state["busy"]:
            return False
        self.state.update(category=None, item=None, event=None, answers={}, priority=None, page=0)
        self.render()
        return True

    def _pick_category(self, letter: str) -> None:
        self.state.update(category=letter, page=0)
        self.render()

    def _pick_item(self, code: str | None) -> None:
        self.state["item"] = code
        self.render()

    def _pick_priority(self, value: str | None) -> None:
        self.state["priority"] = value
        self.render()

    def _take(self) -> None:
        if self.state["busy"]:
            return
        priority = "elderly" if self._elderly else self.state["priority"]
        args = {"category": self.state["category"], "item_code": self.state["item"], "priority": priority,
                **self.app.identity_args()}
        if self.state["event"]:
            args.update(event_code=self.state["event"], answers=self.state["answers"])
        self.state["busy"] = True
        self.render()

        def failed(exc: LocalApiCallError) -> None:
            self.state["busy"] = False
            self.app.show_error(exc, self.state["category"])
        self.app.call("take_number", args, lambda r: self.app.go("ticket", kind="ticket", result=r,
                                                                  priority=priority), failed)


class TicketScreen(KioskScreen):
    """The same ticket the printer just printed (or the check-in's number and slot)."""

    screen_name = "ticket"
    back_button = False

    def fresh(self) -> dict[str, Any]:
        return {"kind": "ticket", "result": {}, "priority": None}

    def body(self) -> Widget:
        """The number on its own (left in landscape, where a column cannot hold it all, top in
        portrait), and what to do next beside or under it: the number is never pushed out."""
        result = self.state["result"]
        frame = BoxLayout(orientation="vertical" if STYLE.portrait else "horizontal", spacing=STYLE.px(16))
        number = Panel(orientation="vertical", padding=STYLE.px(40), spacing=STYLE.px(16), fit=STYLE.portrait,
                       size_hint_x=1 if STYLE.portrait else 0.42)
        if not STYLE.portrait:
            number.add_widget(Widget())  # centred in its column
        title = "check_in_done" if self.state["kind"] == "check_in" else "ticket_title"
        number.add_widget(Text(self.tr(title), "title", halign="center", color=DEEP, bold=True, fit=True))
        number.add_widget(Text(str(result.get("number", "")), "huge", halign="center", color=BLUE, bold=True,
                               fit=True, kiosk_id="ticket_number"))
        if self.state["priority"]:
            number.add_widget(Text(self.tr("ticket_priority"), "large", halign="center", color=GREEN, bold=True,
                                   fit=True, kiosk_id="ticket_priority"))
        if not STYLE.portrait:
            number.add_widget(Widget())
        frame.add_widget(number)
        box = Panel(orientation="vertical", padding=STYLE.px(40), spacing=STYLE.px(16))
        frame.add_widget(box)
        lines = []
        if "ahead" in result:
            lines.append(self.tr("ticket_ahead", ahead=result["ahead"]))
        if result.get("wait_min") is None or result.get("wait_max") is None:
            lines.append(self.tr("ticket_wait_unknown"))
        else:
            lines.append(self.tr("ticket_wait", wait_min=result["wait_min"], wait_max=result["wait_max"]))
        if result.get("slot"):
            lines.append(self.tr("check_in_slot", slot=result["slot"]))
            if result.get("timing") in ("early", "late"):  # early: called from the slot's start
                lines.append(self.tr(f"check_in_{result['timing']}"))
        if result.get("window_area"):
            lines.append(self.tr("ticket_window", window_area=result["window_area"]))
        if result.get("no_show_rule"):  # the hall's rule as the center words it, as on the paper
            lines.append(result["no_show_rule"])
        for line in lines:
            box.add_widget(Text(line, "large", halign="center", fit=True))
        printed = bool(result.get("printed"))
        box.add_widget(Text(self.tr("printed" if printed else "print_failed"), "large", halign="center",
                            color=GREEN if printed else AMBER, fit=True, kiosk_id="ticket_printed"))
        if self.app.card_on_reader:  # the most forgotten thing at a kiosk
            box.add_widget(Text(self.tr("take_card"), "title", halign="center", color=RED, bold=True, fit=True,
                                kiosk_id="take_card"))
        box.add_widget(Widget())
        box.add_widget(Big(self.tr("home"), self.app.go_home, "ticket_home", size_hint_y=None, height=STYLE.tall(140)))
        self.later(self.app.settings.result_seconds, self.app.go_home)
        return frame

    def spoken(self) -> str:
        """The number, where to wait, and — the card still on the reader — 请取走您的身份证."""
        result = self.state["result"]
        where = self.tr("ticket_window", window_area=result["window_area"]) if result.get("window_area") else ""
        said = self.tr("voice_ticket", number=result.get("number", ""), where=where)
        return f"{said} {self.tr('take_card')}" if self.app.card_on_reader else said

    def on_card_removed(self) -> None:
        self.render()
