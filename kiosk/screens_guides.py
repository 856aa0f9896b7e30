"""Service guides: browse by category or department, search, read an item, print its notice."""
from __future__ import annotations

import string
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from core.catalog import Checklist
from kiosk.guides import fees_text, keywords, limits_text
from kiosk.i18n import Translator
from kiosk.screen import KioskScreen
from kiosk.widgets import (AMBER, BLUE, DEEP, GREEN, INK, MUTED, RED, SKY, STYLE, Big, Keypad, Panel, Text, choice,
                           paged, pager_bar)

MODES = ("category", "department", "search")


def scrolling(*blocks: Widget) -> ScrollView:
    """Long reading (materials, notes) scrolls; everything else fits its screen."""
    column = BoxLayout(orientation="vertical", size_hint_y=None, spacing=STYLE.px(10), padding=STYLE.px(8))
    column.bind(minimum_height=column.setter("height"))
    for block in blocks:
        column.add_widget(block)
    view = ScrollView(do_scroll_x=False, bar_width=STYLE.px(10))
    view.add_widget(column)
    return view


def heading(text: str) -> Text:
    return Text(text, "large", color=BLUE, bold=True, fit=True)


def materials_lines(checklist: Checklist, tr: Translator) -> list[Widget]:
    """Each document once: counts, whether it is optional or 容缺, and its notes."""
    lines: list[Widget] = []
    for n, m in enumerate(checklist.materials, 1):
        marks = (tr("optional") if m.optional else "") + (tr("deferrable") if m.deferrable else "")
        lines.append(Text(f"{n}. {m.name} {marks}", "body", bold=True, fit=True,
                          color=AMBER if m.optional or m.deferrable else DEEP, kiosk_id=f"material_{n}"))
        counts = [tr(key, n=n) for key, n in (("material_originals", m.originals), ("material_copies", m.copies)) if n]
        detail = ("，" if tr.language == "zh" else ", ").join(counts)
        lines.append(Text("    " + "；".join(filter(None, (detail, *m.notes))), "small", color=MUTED, fit=True))
    return lines


class GuidesScreen(KioskScreen):
    screen_name = "guides"
    title_key = "guides_title"

    def fresh(self) -> dict[str, Any]:
        return {"mode": "category", "selected": None, "query": "", "page": 0}

    def body(self) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(14))
        modes = BoxLayout(size_hint_y=None, height=STYLE.tall(110), spacing=STYLE.px(12))
        for mode in MODES:
            label = self.tr("search" if mode == "search" else f"by_{mode}")
            modes.add_widget(choice(label, self.state["mode"] == mode, lambda m=mode: self._mode(m), f"mode_{mode}"))
        box.add_widget(modes)
        if self.app.guides is None:
            box.add_widget(Text(self.tr("working"), "large", halign="center"))
        elif self.state["mode"] == "search":
            box.add_widget(self._search())
        elif self.state["selected"] is None:
            box.add_widget(self._groups())
        else:
            box.add_widget(self._items())
        return box

    def _mode(self, mode: str) -> None:
        self.state.update(mode=mode, selected=None, page=0)
        self.render()

    def _turn(self, page: int) -> None:
        self.state["page"] = page
        self.render()

    def _groups(self) -> Widget:
        guides = self.app.guides
        if self.state["mode"] == "category":
            groups = [(c.letter, f"{c.letter}  {self.tr.pick(c.name, c.name_en)}") for c in guides.categories]
        else:
            groups = [(d, d) for d in guides.departments()]
        return self._list(groups, lambda key: self._select(key), "group")

    def step_back(self) -> bool:
        """From a group's items back to the groups (a category or a department)."""
        if self.state["mode"] == "search" or self.state["selected"] is None:
            return False
        self.state.update(selected=None, page=0)
        self.render()
        return True

    def _select(self, key: str) -> None:
        self.state.update(selected=key, page=0)
        self.render()

    def _items(self) -> Widget:
        guides = self.app.guides
        key = self.state["selected"]
        items = guides.items_in(key) if self.state["mode"] == "category" else guides.items_of(key)
        return self._list([(i.code, i.name) for i in items], self._open, "guide")

    def _open(self, code: str) -> None:
        self.app.go("life_event" if code in {e.code for e in self.app.guides.life_events} else "item", code=code)

    def _list(self, entries: list[tuple[str, str]], action: Any, prefix: str, per_page: int = 0) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(12))
        per_page = per_page or STYLE.page_size(8 if STYLE.portrait else 5)
        shown, page, pages = paged(entries, self.state["page"], per_page)
        grid = GridLayout(cols=1, spacing=STYLE.px(10))
        for key, label in shown:
            grid.add_widget(Big(label, lambda k=key: action(k), f"{prefix}_{key}", bg=SKY, fg=DEEP, level="body"))
        for _ in range(per_page - len(shown)):
            grid.add_widget(Widget())  # a short last page keeps the rows' size
        box.add_widget(grid)
        box.add_widget(pager_bar(page, pages, self._turn, self.tr))
        return box

    def _search(self) -> Widget:
        guides = self.app.guides
        query = self.state["query"]
        box = BoxLayout(orientation="vertical" if STYLE.portrait else "horizontal", spacing=STYLE.px(14))
        entry = BoxLayout(orientation="vertical", spacing=STYLE.px(10))
        if STYLE.portrait:  # as tall as the pad and chips need; the results take the rest
            entry.size_hint_y = None
            entry.bind(minimum_height=entry.setter("height"))
        entry.add_widget(Text(query or self.tr("search_hint"), "large" if query else "body", halign="center",
                              color=DEEP if query else MUTED, fit=True,
                              kiosk_id="search_query"))
        chips = GridLayout(cols=4, spacing=STYLE.px(8), size_hint_y=None, height=STYLE.tall(170))
        for word in keywords(guides, 8):
            chips.add_widget(Big(word, lambda w=word: self._query(w), f"chip_{word}", bg=SKY, fg=DEEP, level="body"))
        entry.add_widget(chips)
        entry.add_widget(Keypad(list(string.ascii_lowercase), query if query.isascii() else "", self._query,
                                cols=7, max_length=12, tr=self.tr, size_hint_y=None,
                                height=STYLE.px(460 if STYLE.portrait else 360)))
        box.add_widget(entry)
        results = [(g.code, g.name) for g in guides.search(query)]
        found = BoxLayout(orientation="vertical", spacing=STYLE.px(8))
        if query:
            found.add_widget(Text(self.tr("search_results", count=len(results)) if results else self.tr("search_none"),
                                  "body", color=MUTED, fit=True, kiosk_id="search_count"))
        found.add_widget(self._list(results, self._open, "guide", STYLE.page_size(5 if STYLE.portrait else 5)))
        box.add_widget(found)
        return box

    def _query(self, value: str) -> None:
        self.state.update(query=value, page=0)
        self.render()


class ItemScreen(KioskScreen):
    """One item's guide: what to bring, time limits, fees, online or not, where to go."""

    screen_name = "item"

    def fresh(self) -> dict[str, Any]:
        return {"code": None, "printed": None}

    def spoken(self) -> str:
        return self.app.guides.item(self.state["code"]).name if self.app.guides and self.state["code"] else ""

    def body(self) -> Widget:
        guides, tr = self.app.guides, self.tr
        item = guides.item(self.state["code"])
        notice = guides.notice(item.code)
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(12))
        box.add_widget(Text(item.name, "title", color=DEEP, bold=True, fit=True, kiosk_id="item_name"))
        box.add_widget(Text(item.department, "body", color=MUTED, fit=True))
        blocks: list[Widget] = [heading(tr("materials")), *materials_lines(notice, tr),
                                heading(tr("limits")), Text(limits_text(item, tr), "body", fit=True),
                                heading(tr("fees")), *(Text(f, "body", fit=True) for f in fees_text(item, tr)),
                                heading(tr("where")), Text(item.window, "body", fit=True),
                                Text(tr("online_yes" if item.online else "online_no"), "body", fit=True,
                                     color=GREEN if item.online else MUTED)]
        if item.notes:
            blocks += [heading(tr("notes")), *(Text("· " + n, "body", fit=True) for n in item.notes)]
        reading = Panel(orientation="vertical", padding=STYLE.px(16))
        reading.add_widget(scrolling(*blocks))
        box.add_widget(reading)
        box.add_widget(print_result(self.state["printed"], tr))
        actions = BoxLayout(size_hint_y=None, height=STYLE.tall(150), spacing=STYLE.px(14))
        actions.add_widget(Big(tr("print_notice"), lambda: self.app.print_notice(notice, self), "print_notice"))
        take = Big(tr("take_for_item"), lambda: self.app.start_take_number(category=item.category, item=item.code),
                   "take_for_item", bg=GREEN)
        why = self.app.take_why(item.category)
        take.disabled = bool(why)
        actions.add_widget(take)
        box.add_widget(actions)
        if why:
            box.add_widget(take_why(why))
        return box


def take_why(lines: list[str]) -> Widget:
    """Under a greyed 取号: why, and what to do instead (book ahead)."""
    box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=STYLE.px(4))
    first = Text(lines[0], "body", color=RED, fit=True, kiosk_id="take_why")
    rest = [Text(line, "body", color=INK, fit=True, kiosk_id="take_hint") for line in lines[1:]]
    for widget in (first, *rest):
        box.add_widget(widget)
    box.bind(minimum_height=box.setter("height"))
    return box


def print_result(printed: bool | None, tr: Translator) -> Widget:
    """'Printed, please take it' (or not) under a notice; nothing before printing."""
    if printed is None:
        return Widget(size_hint_y=None, height=0)
    return Text(tr("printed") if printed else tr("print_failed"), "large", color=GREEN if printed else AMBER,
                halign="center", fit=True, kiosk_id="print_result")
