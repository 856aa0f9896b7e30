"""Rules that relate entries of the catalog: references, duplicates, promised ≤ legal.

Each broken rule is one line in the form `core.config` uses for a bad value —
`file: key = value: expectation` — with the key counted inside the file the entry came
from, so an editor can go straight to it. All lines are reported at once: a catalog edit
often breaks several references, and fixing them one run at a time wastes the editor's day.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from core.catalog_model import CatalogFile, CatalogHeader, Category, Item, LifeEvent, Material
from core.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Located(Generic[T]):
    """An entry with the file and key it was read from."""

    source: str
    key: str
    entry: T


@dataclass(frozen=True)
class Checked:
    """The entries of all files, in file order, once every rule holds."""

    header: CatalogHeader
    categories: tuple[Category, ...]
    items: tuple[Item, ...]
    life_events: tuple[LifeEvent, ...]


class _Problems:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def line(self, source: str, key: str, value: Any, expected: str) -> None:
        self.lines.append(f"{source}: {key} = {value!r}: {expected}")

    def add(self, at: Located[Any], key: str, value: Any, expected: str) -> None:
        self.line(at.source, f"{at.key}.{key}", value, expected)


def _known(names: Iterable[str]) -> str:
    names = list(dict.fromkeys(names))
    shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return f"known: {shown}" if names else "none defined"


def _locate(parts: Sequence[tuple[str, CatalogFile]], section: str) -> list[Located[Any]]:
    return [Located(source, f"{section}.{i}", entry)
            for source, part in parts for i, entry in enumerate(getattr(part, section))]


def _unique(entries: list[Located[Any]], field: str, what: str, problems: _Problems,
            taken: dict[str, Located[Any]] | None = None) -> dict[str, Located[Any]]:
    """Index entries by `field`, reporting each value seen before (in `taken` or earlier)."""
    seen: dict[str, Located[Any]] = dict(taken or {})
    for at in entries:
        value = getattr(at.entry, field)
        if value in seen:
            first = seen[value]
            problems.add(at, field, value, f"a {what} not used before (already {first.key} in {first.source})")
        else:
            seen[value] = at
    return {k: v for k, v in seen.items() if not taken or k not in taken}


def _repeats(values: Sequence[str]) -> list[tuple[int, str]]:
    """(index, value) of each value already seen earlier in the sequence."""
    return [(i, v) for i, v in enumerate(values) if v in values[:i]]


def _check_materials(at: Located[Any], materials: Sequence[Material], problems: _Problems) -> None:
    for i, name in _repeats([m.name for m in materials]):
        problems.add(at, f"materials.{i}.name", name, "each material once per entry (merge it into one line)")
    for i, material in enumerate(materials):
        key = f"materials.{i}"
        if material.originals + material.copies == 0:
            problems.add(at, f"{key}.originals", 0, "at least one original or one copy")
        if material.optional and material.deferrable:
            problems.add(at, f"{key}.deferrable", True,
                         "false for an optional material (容缺 is for required ones supplied later)")


def _check_item(at: Located[Item], letters: dict[str, Any], problems: _Problems) -> None:
    item = at.entry
    if item.category not in letters:
        problems.add(at, "category", item.category, f"a letter of [[categories]] ({_known(letters)})")
    if item.promised_days > item.legal_days:
        problems.add(at, "promised_days", item.promised_days,
                     f"at most legal_days ({item.legal_days}) for item {item.code}")
    _check_materials(at, item.materials, problems)


def _check_refs(at: Located[Any], key: str, refs: Sequence[str], allowed: Sequence[str], what: str,
                problems: _Problems) -> None:
    """Each reference (item code, material name) must be one of `allowed`."""
    for i, ref in enumerate(refs):
        if ref not in allowed:
            problems.add(at, f"{key}.{i}", ref, f"{what} ({_known(allowed)})")


def _check_event(at: Located[LifeEvent], letters: dict[str, Any], items: dict[str, Located[Item]],
                 problems: _Problems) -> None:
    event = at.entry
    if event.category not in letters:
        problems.add(at, "category", event.category, f"a letter of [[categories]] ({_known(letters)})")
    _check_refs(at, "items", event.items, list(items), "an item code of the catalog", problems)
    for i, code in _repeats(event.items):
        problems.add(at, f"items.{i}", code, f"each item once in life event {event.code}")
    options = [(f"questions.{q}.options.{j}", o) for q, question in enumerate(event.questions)
               for j, o in enumerate(question.options)]
    reachable = sorted((set(event.items) | {c for _, o in options for c in o.add_items}) & set(items))
    item_materials = sorted({m.name for c in reachable for m in items[c].entry.materials})
    scenario = sorted(m.name for m in event.materials)
    _check_materials(at, event.materials, problems)
    _check_refs(at, "remove_materials", event.remove_materials, item_materials,
                f"a material of life event {event.code}'s items", problems)
    for i, material in enumerate(event.materials):
        _check_refs(at, f"materials.{i}.items", material.items, reachable,
                    f"an item of life event {event.code} or added by an answer", problems)
    _check_questions(at, problems)
    for key, option in options:
        _check_refs(at, f"{key}.add_items", option.add_items, list(items), "an item code of the catalog", problems)
        _check_refs(at, f"{key}.remove_items", option.remove_items, event.items,
                    f"an item of life event {event.code}", problems)
        _check_refs(at, f"{key}.add_materials", option.add_materials, scenario,
                    "a material of this life event's materials list", problems)
        _check_refs(at, f"{key}.remove_materials", option.remove_materials, item_materials,
                    f"a material of life event {event.code}'s items", problems)


def _check_questions(at: Located[LifeEvent], problems: _Problems) -> None:
    event = at.entry
    for q, question_id in _repeats([question.id for question in event.questions]):
        problems.add(at, f"questions.{q}.id", question_id, f"each question id once in life event {event.code}")
    for q, question in enumerate(event.questions):
        values = [o.value for o in question.options]
        if question.default is not None and question.default not in values:
            problems.add(at, f"questions.{q}.default", question.default,
                         f"one of the option values ({_known(values)})")
        for j, value in _repeats(values):
            problems.add(at, f"questions.{q}.options.{j}.value", value,
                         f"each option value once in question {question.id}")


def check_catalog(parts: Sequence[tuple[str, CatalogFile]]) -> Checked:
    """Apply every cross-entry rule to the parsed files; raise one `ConfigError` listing all."""
    if not parts:
        raise ConfigError("catalog: no files to read")
    problems = _Problems()
    headers = [Located(source, "catalog", part.catalog) for source, part in parts if part.catalog]
    if not headers:
        problems.line(parts[0][0], "catalog", "<missing>", "one file with a [catalog] table (version, hall, hours)")
    for extra in headers[1:]:
        problems.add(extra, "version", extra.entry.version,
                     f"only one [catalog] table (already in {headers[0].source})")
    letters = _unique(_locate(parts, "categories"), "letter", "category letter", problems)
    items = _unique(_locate(parts, "items"), "code", "code", problems)
    events = _unique(_locate(parts, "life_events"), "code", "code", problems, taken=items)
    for at in items.values():
        _check_item(at, letters, problems)
    for at in events.values():
        _check_event(at, letters, items, problems)
    if problems.lines:
        raise ConfigError("\n".join(problems.lines))
    return Checked(
        header=headers[0].entry,
        categories=tuple(at.entry for at in letters.values()),
        items=tuple(at.entry for at in items.values()),
        life_events=tuple(at.entry for at in events.values()),
    )
