"""What a screen may use of the app that hosts it, and the citizen at the kiosk.

Screens are given a `KioskHost`, not the app class: `kiosk/app.py` imports the screens to
build them, and the screens import only this module, so there is no import circle.
`tests/test_import_table.py` holds every `app.…` a screen uses against this Protocol.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from kivy.uix.floatlayout import FloatLayout

from core.catalog import Catalog, Checklist
from kiosk.client import LocalApiCallError
from kiosk.i18n import Translator
from kiosk.settings import KioskSettings


@dataclass
class Citizen:
    """Who is at the kiosk, as far as the card or a scanned code told us (masked only)."""

    name: str = ""
    card_type: str = ""
    elderly: bool = False  # the daemon tells, from the birth date on the card
    citizen_key: str = ""
    code: str = ""

    @classmethod
    def from_card(cls, data: dict[str, Any]) -> Citizen:
        return cls(name=str(data.get("masked_name") or ""), card_type=str(data.get("card_type") or ""),
                   elderly=bool(data.get("elderly")), citizen_key=str(data.get("citizen_key") or ""))

    @property
    def identified(self) -> bool:
        return bool(self.citizen_key or self.code)


class KioskHost(Protocol):
    """The app as its screens see it (kiosk/app.py's KioskApp)."""

    settings: KioskSettings
    tr: Translator
    guides: Catalog | None
    citizen: Citizen
    queue: list[dict[str, Any]]
    hall_name: str
    connected: bool
    maintenance: bool
    card_on_reader: bool
    voice_on: bool  # 语音引导: the citizen's choice, else the hall's default for the mode
    generation: int
    root_layout: FloatLayout

    # where the citizen goes
    def go(self, name: str, **params: Any) -> None: ...
    def back(self) -> None: ...
    def go_home(self) -> None: ...
    def recover(self, exc: BaseException) -> None: ...
    def toggle_language(self) -> None: ...
    def toggle_elder(self) -> None: ...
    def toggle_voice(self) -> None: ...
    def speak(self, text: str) -> None: ...
    def maintenance_tap(self) -> None: ...

    # asking the daemon
    def call(self, op: str, args: dict[str, Any], on_result: Callable[[dict[str, Any]], None],
             on_error: Callable[[LocalApiCallError], None] | None = None, timeout: float | None = None) -> None: ...
    def start_take_number(self, category: str | None = None, item: str | None = None,
                          event: str | None = None, answers: dict[str, str] | None = None) -> None: ...
    def print_notice(self, checklist: Checklist, screen: Any) -> None: ...
    def identity_args(self) -> dict[str, Any]: ...
    def show_error(self, exc: LocalApiCallError, category: str | None = None,
                   known: dict[str, str] | None = None) -> None: ...

    # what the screens show
    def now(self) -> datetime: ...
    def clock_text(self) -> str: ...
    def date_text(self, iso: str) -> str: ...
    def banner_text(self) -> str | None: ...
    def numbers_blocked(self) -> str | None: ...
    def take_why(self, category: str | None) -> list[str]: ...
    def is_closed(self, letter: str | None = None) -> bool: ...
