"""Life events (一件事): pick one, answer the scenario questions, get one merged list and one number."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from core.catalog_model import LifeEvent, Question
from kiosk.screen import KioskScreen
from kiosk.screens_guides import heading, materials_lines, print_result, scrolling, take_why
from kiosk.widgets import BLUE, DEEP, GREEN, MUTED, SKY, STYLE, Big, Panel, Text, choice, paged, pager_bar


class LifeScreen(KioskScreen):
    screen_name = "life"
    title_key = "life_title"

    def fresh(self) -> dict[str, Any]:
        return {"page": 0}

    def body(self) -> Widget:
        events = self.app.guides.life_events if self.app.guides else []
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(14))
        box.add_widget(Text(self.tr("life_title"), "title", color=DEEP, bold=True, fit=True))
        if not events:
            box.add_widget(Text(self.tr("life_none"), "large", color=MUTED, halign="center", kiosk_id="life_none"))
            return box
        shown, page, pages = paged(events, self.state["page"], STYLE.page_size(6 if STYLE.portrait else 3))
        for event in shown:
            small = int(STYLE.font("small"))
            text = f"[b]{event.name}[/b]" + (f"\n[size={small}]{event.description}[/size]" if event.description else "")
            box.add_widget(Big(text, lambda c=event.code: self.app.go("life_event", code=c),
                               f"event_{event.code}", bg=SKY, fg=DEEP, level="large",
                               min_height=STYLE.px(170 if STYLE.portrait else 150)))
        box.add_widget(Widget())
        box.add_widget(pager_bar(page, pages, self._turn, self.tr))
        return box

    def _turn(self, page: int) -> None:
        self.state["page"] = page
        self.render()


class LifeEventScreen(KioskScreen):
    """Questions a page at a time, then the merged list with print and take-a-number."""

    screen_name = "life_event"

    def fresh(self) -> dict[str, Any]:
        return {"code": None, "answers": {}, "page": 0, "list": False, "printed": None}

    def spoken(self) -> str:
        return self.app.guides.life_event(self.state["code"]).name if self.app.guides and self.state["code"] else ""

    def body(self) -> Widget:
        event = self.app.guides.life_event(self.state["code"])
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(14))
        box.add_widget(Text(event.name, "title", color=DEEP, bold=True, fit=True, kiosk_id="event_title"))
        questions = event.questions
        if self.state["list"] or not questions:
            box.add_widget(self._merged(event))
        else:
            box.add_widget(self._questions(questions))
        return box

    def _questions(self, questions: Sequence[Question]) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(14))
        box.add_widget(Text(self.tr("life_questions"), "body", color=MUTED, fit=True))
        shown, page, pages = paged(questions, self.state["page"], 1 if STYLE.elder else 2)
        for question in shown:
            panel = Panel(orientation="vertical", spacing=STYLE.px(10))
            panel.add_widget(Text(question.text, "large", bold=True, fit=True))
            options = GridLayout(cols=1 if STYLE.portrait else min(3, len(question.options)), spacing=STYLE.px(10))
            current = self.state["answers"].get(question.id, question.default or question.options[0].value)
            for option in question.options:
                options.add_widget(choice(option.label, option.value == current,
                                          lambda q=question.id, v=option.value: self._answer(q, v),
                                          f"answer_{question.id}_{option.value}"))
            panel.add_widget(options)
            box.add_widget(panel)
        box.add_widget(pager_bar(page, pages, self._turn, self.tr))
        box.add_widget(Big(self.tr("show_list"), self._show_list, "show_list", bg=GREEN, size_hint_y=None,
                           height=STYLE.tall(140)))
        return box

    def _merged(self, event: LifeEvent) -> Widget:
        checklist = self.app.guides.merge(event.code, self.state["answers"])
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(12))
        items = "、".join(i.name for i in checklist.items)
        reading = Panel(orientation="vertical", padding=STYLE.px(16))
        reading.add_widget(scrolling(
            Text(self.tr("life_items", items=items), "body", color=MUTED, fit=True),
            heading(self.tr("life_list", count=len(checklist.materials))),
            *materials_lines(checklist, self.tr)))
        box.add_widget(reading)
        box.add_widget(print_result(self.state["printed"], self.tr))
        actions = BoxLayout(size_hint_y=None, height=STYLE.tall(150), spacing=STYLE.px(14))
        actions.add_widget(Big(self.tr("print_notice"), lambda: self.app.print_notice(checklist, self), "print_notice", bg=BLUE))
        take = Big(self.tr("life_take"), lambda: self.app.start_take_number(category=event.category, event=event.code,
                                                                             answers=checklist.answers),
                   "life_take", bg=GREEN, level="body")
        why = self.app.take_why(event.category)
        take.disabled = bool(why)
        actions.add_widget(take)
        box.add_widget(actions)
        if why:
            box.add_widget(take_why(why))
        return box

    def _answer(self, question: str, value: str) -> None:
        self.state["answers"][question] = value
        self.render()

    def _turn(self, page: int) -> None:
        self.state["page"] = page
        self.render()

    def _show_list(self) -> None:
        self.state["list"] = True
        self.render()

