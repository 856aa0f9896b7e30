"""The shapes of the hall's service catalog, as written in config/catalog/*.toml.

Pydantic checks each value on its own (types, ranges, patterns) so a bad one is reported by
`core.config` as one line naming file, key, value and expectation. Rules that relate
several values or entries (references, duplicates, promised ≤ legal) live in
`core.catalog_check`, which reports them in the same one-line form.

Nothing here imports center-only libraries: terminals rebuild these models from the
published snapshot.
"""
from __future__ import annotations

import re
from datetime import time
from typing import Annotated

from pydantic import AfterValidator, Field

from core.config import ConfigModel

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Letter = Annotated[str, Field(pattern=r"^[A-Z]$")]
Code = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,31}$")]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
Text = Annotated[str, Field(min_length=1)]

_PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """'08:30-12:00,13:30-17:00' → ((08:30, 12:00), (13:30, 17:00)); '' means closed that day."""
    periods: list[tuple[time, time]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _PERIOD.match(part)
        if not match:
            raise ValueError(f"periods like '08:30-12:00,13:30-17:00', not {part!r}")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        start, end = time(h1, m1), time(h2, m2)
        if start >= end or (periods and start < periods[-1][1]):
            raise ValueError(f"periods in order and each ending after it starts, not {part!r}")
        periods.append((start, end))
    return tuple(periods)


def _check_hours(text: str) -> str:
    parse_hours(text)
    return text


Hours = Annotated[str, AfterValidator(_check_hours)]


class WeeklyHours(ConfigModel):
    """Issuing hours (取号时间) per weekday; a day left out is closed."""

    mon: Hours = ""
    tue: Hours = ""
    wed: Hours = ""
    thu: Hours = ""
    fri: Hours = ""
    sat: Hours = ""
    sun: Hours = ""

    def periods(self, weekday: int) -> tuple[tuple[time, time], ...]:
        """Issuing periods on a weekday (0 = Monday)."""
        return parse_hours(getattr(self, WEEKDAYS[weekday]))


class CatalogHeader(ConfigModel):
    """The `[catalog]` table: exactly one file of the catalog holds it."""

    version: Text  # the editor's version string, e.g. "2025.06-r2"; the content hash is computed
    hall: Text
    hours: WeeklyHours  # the default of every category


class Category(ConfigModel):
    """A ticket series (A001…) and the windows that serve it."""

    letter: Letter
    name: Text
    name_en: Text
    daily_cap: int = Field(ge=1)
    wait_target_min: int = Field(ge=1)
    window_area: Text
    hours: WeeklyHours | None = None  # None: the catalog's default hours; dates: the hall calendar


class Material(ConfigModel):
    """One document the citizen brings. The name is the merge key across items."""

    name: Text
    originals: int = Field(1, ge=0)
    copies: int = Field(0, ge=0)
    optional: bool = False  # only some applicants need it (the note says who)
    deferrable: bool = False  # 容缺: may be supplied later on a written commitment
    note: str = ""


class Fee(ConfigModel):
    name: Text
    yuan: float = Field(ge=0)
    note: str = ""


class Item(ConfigModel):
    """A service item (事项) as the one-time complete notice (一次告知单) shows it."""

    code: Code
    name: Text
    department: Text
    category: Letter
    materials: tuple[Material, ...] = Field(min_length=1)
    legal_days: int = Field(ge=0)  # 法定时限
    promised_days: int = Field(ge=0)  # 承诺时限; 0 = 即办 (handled on the spot)
    calendar_days: bool = False  # limits count calendar days, not working days
    fees: tuple[Fee, ...] = ()  # none: free of charge
    online: bool = False  # can be done entirely online (全程网办)
    one_trip: bool = True  # 最多跑一次
    window: str = ""  # "": the category's window area
    forms: tuple[Text, ...] = ()  # sample forms (样表) available at the window and kiosk
    notes: tuple[Text, ...] = ()
    keywords: tuple[Text, ...] = ()  # what citizens type instead of the official name (过户…)


class Option(ConfigModel):
    """One answer to a scenario question and how it tailors the list."""

    value: Slug
    label: Text
    add_items: tuple[Code, ...] = ()
    remove_items: tuple[Code, ...] = ()
    add_materials: tuple[Text, ...] = ()  # names of the event's scenario materials
    remove_materials: tuple[Text, ...] = ()  # names of materials of the event's items


class Question(ConfigModel):
    """A scenario question (情形引导); unanswered, its default option applies."""

    id: Slug
    text: Text
    options: tuple[Option, ...] = Field(min_length=2)
    default: Slug | None = None  # None: the first option


class ScenarioMaterial(Material):
    """A material only some answers need, with the items it belongs to (none listed: all)."""

    items: tuple[Code, ...] = ()


class LifeEvent(ConfigModel):
    """一件事: several items handled as one case at one window, with one merged list."""

    code: Code
    name: Text
    category: Letter  # the ticket series of the integrated window
    description: str = ""
    items: tuple[Code, ...] = Field(min_length=1)
    remove_materials: tuple[Text, ...] = ()  # item materials this event makes unnecessary
    materials: tuple[ScenarioMaterial, ...] = ()
    questions: tuple[Question, ...] = ()
    keywords: tuple[Text, ...] = ()


class CatalogFile(ConfigModel):
    """One TOML file of the catalog; a catalog is one file or a folder of them."""

    catalog: CatalogHeader | None = None
    categories: tuple[Category, ...] = ()
    items: tuple[Item, ...] = ()
    life_events: tuple[LifeEvent, ...] = ()
