"""The hall's service catalog: categories, items (事项) and life events (一件事).

The center loads it from config (`center.catalog_load`), publishes `to_snapshot()` to the
terminals, and a terminal rebuilds the same catalog with `Catalog.from_snapshot()` from its
cached copy, so guides, search and the one-time complete notice (一次告知单) keep working
while the center is unreachable. The version is the editor's string plus a hash of the
content: a terminal need only replace its copy when the hash differs.

Whether a category issues numbers at a moment is the weekly hours as overridden by the hall
calendar (core.calendar), which travels in the snapshot too: terminals need no other file.
"""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from core.calendar import ClosedWhy, HallCalendar, Periods
from core.catalog_check import check_catalog
from core.catalog_model import CatalogFile, CatalogHeader, Category, Item, LifeEvent, Material, Option, WeeklyHours
from core.config import parse_config
from core.errors import ConfigError

SNAPSHOT_FORMAT = 1
SNAPSHOT_SOURCE = "catalog snapshot"
Guide = Item | LifeEvent


@dataclass(frozen=True)
class NeededMaterial:
    """One line of a notice: a material once, however many items ask for it."""

    name: str
    originals: int
    copies: int
    optional: bool
    deferrable: bool  # 容缺: every item needing it accepts it later
    notes: tuple[str, ...]
    items: tuple[str, ...]  # codes of the items that need it


@dataclass(frozen=True)
class Checklist:
    """What the citizen brings for one item or one life event, and where they go."""

    code: str
    name: str
    category: str  # the ticket letter to queue under
    items: tuple[Item, ...]
    materials: tuple[NeededMaterial, ...]
    answers: Mapping[str, str]  # the options that applied, defaults included

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the local API and the printed notice."""
        return {
            "code": self.code,
            "name": self.name,
            "category": self.category,
            "items": [item.code for item in self.items],
            "materials": [asdict(m) for m in self.materials],
            "answers": dict(self.answers),
        }


def counts_zh(originals: int, copies: int) -> str:
    """原件 1 份，复印件 2 份 (a count of none is left out): how paper and screen count a material."""
    return "，".join(f"{word} {n} 份" for word, n in (("原件", originals), ("复印件", copies)) if n)


def paper_materials(checklist: Checklist) -> list[dict[str, Any]]:
    """The material list as every piece of paper prints it (ticket and 一次告知单 alike):
    name, counts and notes, and the 部分情形/容缺 marks; one composer, so they never differ."""
    return [{"name": m.name, "note": "；".join(filter(None, (counts_zh(m.originals, m.copies), *m.notes))),
             "optional": m.optional, "deferrable": m.deferrable} for m in checklist.materials]


def _merge(name: str, needs: Sequence[tuple[Material, str]]) -> NeededMaterial:
    """Same document asked by several items: the largest counts, required if any requires it."""
    required = [m for m, _ in needs if not m.optional]
    return NeededMaterial(
        name=name,
        originals=max(m.originals for m, _ in needs),
        copies=max(m.copies for m, _ in needs),
        optional=not required,
        deferrable=bool(required) and all(m.deferrable for m in required),
        notes=tuple(dict.fromkeys(m.note for m, _ in needs if m.note)),
        items=tuple(dict.fromkeys(code for _, code in needs)),
    )


def _checklist(code: str, name: str, category: str, items: Sequence[Item],
               needs: Sequence[tuple[Material, str]], answers: Mapping[str, str]) -> Checklist:
    by_name: dict[str, list[tuple[Material, str]]] = {}
    for material, item_code in needs:
        by_name.setdefault(material.name, []).append((material, item_code))
    return Checklist(code, name, category, tuple(items),
                     tuple(_merge(n, group) for n, group in by_name.items()), dict(answers))


def _digest(content: Mapping[str, Any]) -> str:
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Catalog:
    """A validated, versioned, immutable catalog with browsing, search and merging."""

    def __init__(self, parts: Sequence[tuple[str, CatalogFile]], initials: Callable[[str], str],
                 calendar: HallCalendar | None = None) -> None:
        """Check the parsed files (raising one `ConfigError` listing every broken rule) and
        resolve defaults: category hours from the header, item windows from the category.
        Without a `calendar` the weekly hours apply on every date."""
        checked = check_catalog(parts)
        self.calendar = calendar or HallCalendar()
        self.header: CatalogHeader = checked.header
        self.categories: tuple[Category, ...] = tuple(
            c if c.hours is not None else c.model_copy(update={"hours": checked.header.hours})
            for c in checked.categories)
        self._categories = {c.letter: c for c in self.categories}
        self.items: tuple[Item, ...] = tuple(
            i if i.window else i.model_copy(update={"window": self._categories[i.category].window_area})
            for i in checked.items)
        self._items = {i.code: i for i in self.items}
        self.life_events: tuple[LifeEvent, ...] = checked.life_events
        self._events = {e.code: e for e in self.life_events}
        self._initials = {g.code: tuple(initials(t) for t in (g.name, *g.keywords)) for g in self.guides}
        self.hash = _digest(self._content())

    # -- version and snapshot -------------------------------------------------------------

    @property
    def version(self) -> str:
        """The editor's version string; `hash` is what changes with every content change."""
        return self.header.version

    @property
    def guides(self) -> tuple[Guide, ...]:
        return (*self.items, *self.life_events)

    def _content(self) -> dict[str, Any]:
        def with_initials(guide: Guide) -> dict[str, Any]:
            return guide.model_dump(mode="json") | {"initials": list(self._initials[guide.code])}

        return {
            "format": SNAPSHOT_FORMAT,
            "catalog": self.header.model_dump(mode="json"),
            "categories": [c.model_dump(mode="json") for c in self.categories],
            "items": [with_initials(i) for i in self.items],
            "life_events": [with_initials(e) for e in self.life_events],
            "calendar": self.calendar.to_snapshot(),
        }

    def to_snapshot(self) -> dict[str, Any]:
        """Everything a kiosk needs, JSON-ready: the catalog with defaults resolved, the pinyin
        initials of each guide's name then keywords (`initials`), and the content `hash`."""
        return self._content() | {"hash": self.hash}

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any]) -> Catalog:
        """Rebuild a catalog from a published snapshot; a damaged or foreign one is refused."""
        data = copy.deepcopy(dict(snapshot))
        if data.pop("format", None) != SNAPSHOT_FORMAT:
            raise ConfigError(f"{SNAPSHOT_SOURCE}: format = {snapshot.get('format')!r}: "
                              f"snapshot format {SNAPSHOT_FORMAT}, the one this program reads")
        claimed = data.pop("hash", None)
        calendar = HallCalendar.from_snapshot(data.pop("calendar", None) or {})
        texts: dict[str, str] = {}
        for section in ("items", "life_events"):
            for i, guide in enumerate(data.get(section, ())):
                names = [guide.get("name"), *guide.get("keywords", ())] if isinstance(guide, dict) else []
                initials = guide.pop("initials", None) if isinstance(guide, dict) else None
                if not isinstance(initials, list) or len(initials) != len(names):
                    raise ConfigError(f"{SNAPSHOT_SOURCE}: {section}.{i}.initials = {initials!r}: "
                                      "the pinyin initials of the name and of each keyword")
                texts.update(zip(names, initials))
        part = parse_config(data, CatalogFile, SNAPSHOT_SOURCE, environ={})
        catalog = cls([(SNAPSHOT_SOURCE, part)], texts.__getitem__, calendar)
        if catalog.hash != claimed:
            raise ConfigError(f"{SNAPSHOT_SOURCE}: hash = {claimed!r}: the hash of its content ({catalog.hash})")
        return catalog

    def get_status(self) -> dict[str, Any]:
        """What the control room shows about the catalog in service."""
        return {
            "version": self.version,
            "hash": self.hash,
            "categories": len(self.categories),
            "items": len(self.items),
            "life_events": len(self.life_events),
        }

    # -- browsing -------------------------------------------------------------------------

    def category(self, letter: str) -> Category:
        return self._categories[letter]

    def item(self, code: str) -> Item:
        return self._items[code]

    def life_event(self, code: str) -> LifeEvent:
        return self._events[code]

    def items_in(self, letter: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.category == letter)

    def departments(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.department for i in self.items))

    def items_of(self, department: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.department == department)

    # -- issuing hours ------------------------------------------------------------------

    def is_issuing(self, letter: str, at: datetime) -> bool:
        """Whether numbers of this category are issued at this local (aware) time."""
        return self.calendar.is_open(self._hours(letter), at)

    def any_issuing(self, at: datetime) -> bool:
        return any(self.is_issuing(c.letter, at) for c in self.categories)

    def next_opening(self, letter: str | None, at: datetime) -> datetime | None:
        """When this category (None: any category) issues numbers next, calendar included."""
        letters = [letter] if letter else [c.letter for c in self.categories]
        return min((t for x in letters if (t := self.calendar.next_opening(self._hours(x), at)) is not None),
                   default=None)

    def periods(self, letter: str, on: date) -> Periods:
        """This category's issuing periods on a date, calendar included."""
        return self.calendar.periods(on, self._hours(letter))

    def closed_why(self, letter: str | None, at: datetime) -> tuple[ClosedWhy, str]:
        """Why this category (None: any category) issues no numbers at `at`, and the day's name."""
        letters = [letter] if letter else [c.letter for c in self.categories]
        return self.calendar.closed_why([self._hours(x) for x in letters], at)

    def _hours(self, letter: str) -> WeeklyHours:
        hours = self.category(letter).hours
        assert hours is not None  # resolved from the header in __init__
        return hours

    # -- search ---------------------------------------------------------------------------

    def search(self, query: str) -> list[Guide]:
        """Guides whose code, name or keywords contain the query, or whose pinyin initials do
        ("bdc" → 不动产登记). Best first: the code, the name's start, the name, a keyword, the
        name's initials at their start, a keyword's initials at their start ("sb" → 社保 ranks
        社会保障卡申领 above the "…书遗失补证" whose initials hold "sb" midway), initials anywhere,
        the code's start."""
        q = "".join(query.split()).casefold()
        if not q:
            return []
        ranked: list[tuple[int, int, Guide]] = []
        for order, guide in enumerate(self.guides):
            name_initials, *keyword_initials = self._initials[guide.code]
            tiers = (
                guide.code.casefold() == q,
                guide.name.casefold().startswith(q),
                q in guide.name.casefold(),
                any(q in k.casefold() for k in guide.keywords),
                name_initials.startswith(q),
                any(k.startswith(q) for k in keyword_initials),
                q in name_initials,
                any(q in k for k in keyword_initials),
                guide.code.casefold().startswith(q),
            )
            tier = next((t for t, hit in enumerate(tiers) if hit), None)
            if tier is not None:
                ranked.append((tier, order, guide))
        return [guide for _, _, guide in sorted(ranked, key=lambda r: r[:2])]

    # -- notices --------------------------------------------------------------------------

    def notice(self, code: str) -> Checklist:
        """The one-time complete notice of one item."""
        item = self.item(code)
        return _checklist(item.code, item.name, item.category, [item],
                          [(m, item.code) for m in item.materials], {})

    def merge(self, code: str, answers: Mapping[str, str] | None = None) -> Checklist:
        """A life event's one merged list for these answers (question id → option value).

        Unanswered questions take their default. Answers add or remove items and materials;
        materials needed by several items appear once, with the items that need them."""
        event = self.life_event(code)
        answers = dict(answers or {})
        unknown = set(answers) - {q.id for q in event.questions}
        if unknown:
            raise ValueError(f"life event {code} has no question {sorted(unknown)[0]!r}")
        chosen: dict[str, Option] = {}
        for question in event.questions:
            value = answers.get(question.id, question.default or question.options[0].value)
            option = next((o for o in question.options if o.value == value), None)
            if option is None:
                raise ValueError(f"question {question.id!r} of {code} has no option {value!r}")
            chosen[question.id] = option
        dropped = {c for o in chosen.values() for c in o.remove_items}
        added = [c for o in chosen.values() for c in o.add_items]
        codes = [c for c in dict.fromkeys((*event.items, *added)) if c not in dropped]
        removed = {*event.remove_materials, *(n for o in chosen.values() for n in o.remove_materials)}
        wanted = {n for o in chosen.values() for n in o.add_materials}
        needs = [(m, c) for c in codes for m in self.item(c).materials if m.name not in removed]
        for material in event.materials:
            if material.name in wanted:
                owners = [c for c in codes if not material.items or c in material.items]
                needs += [(material, c) for c in owners]
        return _checklist(event.code, event.name, event.category, [self.item(c) for c in codes],
                          needs, {q: o.value for q, o in chosen.items()})
