"""Case progress, rating a finished service, and calling a floor helper."""
from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.client import LocalApiCallError
from kiosk.i18n import STRINGS
from kiosk.screen import KioskScreen
from kiosk.screens_guides import scrolling
from kiosk.ticket_qr import ticket_token
from kiosk.widgets import BLUE, DEEP, GREEN, MUTED, RED, SKY, STYLE, Big, Face, Keypad, Panel, Text, choice

LEVELS = (5, 4, 3, 2, 1)
BAD = 2  # levels at or below are 差评 and need a reason
REASONS = ("reason_wait", "reason_attitude", "reason_unclear", "reason_trips", "reason_slow", "reason_other")
HELP_TOPICS = ("help_topic_operate", "help_topic_materials", "help_topic_elderly", "help_topic_other")


def chinese(key: str) -> str:
    """What goes to the center is the hall's own word, whatever language the screen is in."""
    return STRINGS[key][0]


def entry_box() -> BoxLayout:
    """Keypad on the left and results on the right in landscape; stacked in portrait."""
    return BoxLayout(orientation="vertical" if STYLE.portrait else "horizontal", spacing=STYLE.px(16))


class ProgressScreen(KioskScreen):
    screen_name = "progress"
    title_key = "progress_title"
    wants_card = True

    def fresh(self) -> dict[str, Any]:
        return {"number": "", "asked": "", "cases": None, "busy": False}

    def body(self) -> Widget:
        box = entry_box()
        entry = Panel(orientation="vertical")
        entry.add_widget(Text(self.tr("progress_hint"), "body", color=MUTED, fit=True))
        entry.add_widget(Text(self.state["number"] or self.tr("case_number"), "title", halign="center",
                              color=DEEP if self.state["number"] else MUTED, fit=True,
                              kiosk_id="case_number"))
        entry.add_widget(Keypad(list("1234567890"), self.state["number"], self._typed, cols=3, max_length=20,
                                tr=self.tr))
        look = Big(self.tr("working") if self.state["busy"] else self.tr("query"), self._lookup, "lookup",
                   bg=GREEN, size_hint_y=None, height=STYLE.tall(130))
        look.disabled = self.state["busy"] or not self.state["number"]
        entry.add_widget(look)
        box.add_widget(entry)
        if self.state["cases"] is not None:
            box.add_widget(self._cases())
        return box

    def _cases(self) -> Widget:
        panel = Panel(orientation="vertical")
        cases = self.state["cases"]
        if not cases:
            text = self.tr("case_unknown", number=self.state["asked"]) if self.state["asked"] else self.tr("cases_none")
            panel.add_widget(Text(text, "large", color=RED, halign="center", fit=True, kiosk_id="cases_none"))
            panel.add_widget(Widget())
            return panel
        panel.add_widget(scrolling(*(self._case(n, case) for n, case in enumerate(cases))))
        return panel

    def _case(self, n: int, case: dict[str, Any]) -> Widget:
        """One case in words: which, what, where it stands, since and until when, where to collect."""
        tr = self.tr
        state = str(case.get("state", ""))
        words = tr(f"case_state_{state}") if f"case_state_{state}" in STRINGS else str(case.get("state_name") or state)
        lines = [(tr("case_number_line", case_number=case.get("case_number", "")), "large", DEEP, True),
                 (tr("case_item", item=case.get("item", "")), "body", DEEP, False),
                 (tr("case_state", state=words), "large", GREEN if state in ("ready", "concluded") else BLUE, True)]
        if case.get("received"):
            lines.append((tr("case_received", date=self.app.date_text(case["received"])), "body", MUTED, False))
        if case.get("promised_by"):
            lines.append((tr("case_promised", date=self.app.date_text(case["promised_by"])), "body", DEEP, False))
        if case.get("collect_at"):
            lines.append((tr("case_collect", place=case["collect_at"]), "body", DEEP, False))
        for owed in case.get("owed") or []:  # 容缺: what the citizen still owes, and by when
            key = "case_owed_late" if owed.get("overdue") else "case_owed"
            lines.append((tr(key, material=owed.get("material", ""), date=self.app.date_text(owed.get("due", ""))),
                          "body", RED if owed.get("overdue") else DEEP, True))
        block = Panel(orientation="vertical", bg=SKY, fit=True, spacing=STYLE.px(4))
        for i, (text, level, color, bold) in enumerate(lines):
            block.add_widget(Text(text, level, color=color, bold=bold, fit=True,
                                  kiosk_id=f"case_{n}" if i == 0 else f"case_{n}_{i}"))
        return block

    def _typed(self, value: str) -> None:
        self.state["number"] = value
        self.render()

    def _lookup(self, args: dict[str, Any] | None = None) -> None:
        """By the typed number, or (`args`) by the card; an unknown number is said here, and
        the citizen can correct it without starting over."""
        asked = "" if args else self.state["number"]
        self.state["busy"] = True
        self.render()

        def found(result: dict[str, Any]) -> None:
            self.state.update(cases=[c for c in result.get("cases") or [] if isinstance(c, dict)], busy=False,
                              asked=asked)
            self.render()

        def failed(exc: LocalApiCallError) -> None:
            self.state["busy"] = False
            if exc.type == "UnknownCase":
                self.state.update(cases=[], asked=asked)
                self.render()
            else:
                self.app.show_error(exc)
        self.app.call("lookup_case", args or {"case_number": asked}, found, failed)

    def on_card(self, data: dict[str, Any]) -> None:
        self._lookup({"use_card": True})


class RatingScreen(KioskScreen):
    """一次一评: the ticket number, five faces, reasons for 差评; the center refuses a second rating.
    A rating belongs to the person served: a typed number counts with the card that took it (the
    daemon adds the card's key), or the ticket's QR scanned here names the ticket by itself."""

    screen_name = "rating"
    title_key = "rating_title"
    wants_card = True

    def fresh(self) -> dict[str, Any]:
        return {"ticket": "", "token": "", "ticket_done": False, "level": None, "reasons": [], "busy": False}

    def body(self) -> Widget:
        return self._faces() if self.state["ticket_done"] else self._ticket()

    def _ticket(self) -> Widget:
        letters = [c.letter for c in self.app.guides.categories] if self.app.guides else list("ABCDEFG")
        box = Panel(orientation="vertical")
        box.add_widget(Text(self.tr("rating_ticket"), "large", fit=True))
        card = self.app.citizen.name if self.app.citizen.citizen_key else ""
        box.add_widget(Text(self.tr("rating_card", name=card) if card else self.tr("rating_who"), "body",
                            color=GREEN if card else MUTED, fit=True, kiosk_id="rating_who"))
        box.add_widget(Text(self.state["ticket"] or "A001", "title", halign="center", bold=True,
                            color=DEEP if self.state["ticket"] else MUTED, fit=True,
                            kiosk_id="rating_ticket"))
        box.add_widget(Keypad([*letters, *"1234567890"], self.state["ticket"], self._typed,
                              cols=5 if STYLE.portrait else 10, max_length=4, tr=self.tr))
        ok = Big(self.tr("next_page"), self._ticket_entered, "rating_next", bg=GREEN, size_hint_y=None,
                 height=STYLE.tall(130))
        ok.disabled = len(self.state["ticket"]) != 4 or not self.state["ticket"][0].isalpha()
        box.add_widget(ok)
        return box

    def _faces(self) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(16))
        heading = BoxLayout(orientation="vertical" if STYLE.portrait else "horizontal", size_hint_y=None,
                            spacing=STYLE.px(16))  # landscape: one row, the faces need the height
        heading.bind(minimum_height=heading.setter("height"))
        heading.add_widget(Text(self.tr("rating_how"), "title", color=DEEP, bold=True, halign="center", fit=True))
        heading.add_widget(Text(self.tr("rating_qr") if self.state["token"] else self.state["ticket"], "large",
                                color=MUTED, halign="center", fit=True, kiosk_id="rating_of",
                                size_hint_x=1 if STYLE.portrait else 0.35))
        box.add_widget(heading)
        box.add_widget(Widget(size_hint_y=0.3))
        rows = 2 if STYLE.portrait and STYLE.elder else 1
        faces = GridLayout(cols=3 if rows == 2 else 5, spacing=STYLE.px(12), size_hint_y=None,
                           height=rows * STYLE.px(230 if rows == 2 else 300 if STYLE.portrait else 170)
                           * (1.2 if STYLE.elder else 1))
        for level in LEVELS:
            faces.add_widget(Face(level, self.tr(f"level_{level}"), lambda v=level: self._rate(v),
                                  selected=self.state["level"] == level))
        box.add_widget(faces)
        level = self.state["level"]
        if level is not None and level <= BAD:
            box.add_widget(Text(self.tr("reasons_title"), "large", color=RED, fit=True, kiosk_id="reasons_title"))
            grid = GridLayout(cols=2 if STYLE.elder and STYLE.portrait else 3, spacing=STYLE.px(10),
                              size_hint_y=None,
                              height=STYLE.tall((260 if not STYLE.elder else 300) if STYLE.portrait else 150))
            for key in REASONS:
                grid.add_widget(choice(self.tr(key), key in self.state["reasons"], lambda k=key: self._reason(k),
                                       key, level="body"))
            box.add_widget(grid)
        box.add_widget(Widget(size_hint_y=0.3))
        send = Big(self.tr("working") if self.state["busy"] else self.tr("submit"), self._submit, "rating_submit",
                   bg=BLUE, size_hint_y=None, height=STYLE.tall(140 if STYLE.portrait else 110))
        send.disabled = self.state["busy"] or level is None or (level <= BAD and not self.state["reasons"])
        box.add_widget(send)
        return box

    def _typed(self, value: str) -> None:
        self.state["ticket"] = value.upper()
        self.render()

    def _ticket_entered(self) -> None:
        self.state["ticket_done"] = True
        self.render()

    def step_back(self) -> bool:
        if not self.state["ticket_done"]:
            return False
        self.state.update(ticket_done=False, token="", level=None, reasons=[])
        self.render()
        return True

    def on_card(self, data: dict[str, Any]) -> None:
        if not self.state["ticket_done"]:
            self.render()  # say whose card was read

    def on_code(self, data: dict[str, Any]) -> None:
        token = ticket_token(str(data.get("code", "")))
        if token and not self.state["busy"]:
            self.state.update(token=token, ticket="", ticket_done=True)
            self.render()

    def _rate(self, level: int) -> None:
        self.state.update(level=level, reasons=[] if level > BAD else self.state["reasons"])
        self.render()

    def _reason(self, key: str) -> None:
        reasons = self.state["reasons"]
        self.state["reasons"] = [r for r in reasons if r != key] if key in reasons else [*reasons, key]
        self.render()

    def _submit(self) -> None:
        level = self.state["level"]
        which = {"ticket_token": self.state["token"]} if self.state["token"] else {"ticket": self.state["ticket"]}
        args = {**which, "level": level, "reasons": [chinese(k) for k in self.state["reasons"]]}
        self.state["busy"] = True
        self.render()

        def done(result: dict[str, Any]) -> None:
            lines = [self.tr("rating_followup")] if level <= BAD else []
            if result.get("pending"):  # the center did not answer in time: kept, and said so
                lines.append(self.tr("rating_pending"))
            self.app.go("notice", title=self.tr("rating_thanks"), lines=lines, tone="ok")

        def failed(exc: LocalApiCallError) -> None:  # the center's own reason: 已评价, 未办结, 无此号…
            self.state["busy"] = False
            self.app.show_error(exc, known={"number": self.state["ticket"]} if self.state["ticket"] else None)
        self.app.call("rate", args, done, failed)


class HelpScreen(KioskScreen):
    screen_name = "help"
    title_key = "help_title"

    def body(self) -> Widget:
        box = BoxLayout(orientation="vertical", spacing=STYLE.px(16))
        box.add_widget(Text(self.tr("help_title"), "title", color=DEEP, bold=True, fit=True))
        box.add_widget(Text(self.tr("help_hint"), "large", color=MUTED, fit=True))
        grid = GridLayout(cols=1 if STYLE.portrait or STYLE.elder else 2, spacing=STYLE.px(14))
        for key in HELP_TOPICS:
            grid.add_widget(Big(self.tr(key), lambda k=key: self._call(k), key, bg=BLUE, level="title"))
        box.add_widget(grid)
        return box

    def _call(self, key: str) -> None:
        self.app.call("call_helper", {"topic": chinese(key)},
                      lambda _r: self.app.go("notice", title=self.tr("help_called"), tone="ok"))
