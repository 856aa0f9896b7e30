"""What the kiosk adds to the shared catalog (`core.catalog`, rebuilt from the daemon's cached
snapshot): why numbers are not issued today, the search chips, and the printed notice's content.

The notice is printed in Chinese whatever the screen's language: it is the hall's document,
and the printer's layout (drivers/printer/render.py) is Chinese.
"""
from __future__ import annotations

from datetime import datetime
from itertools import zip_longest
from typing import Any

from core.calendar import ClosedWhy
from core.catalog import Catalog, Checklist, paper_materials
from core.catalog_model import Item
from kiosk.i18n import Translator

PRINTED = Translator("zh")


_WHY_KEYS = {ClosedWhy.HOLIDAY: "closed_holiday", ClosedWhy.CLOSURE: "closed_closure", ClosedWhy.WEEKEND: "closed_weekend"}


def closed_reason(catalog: Catalog, letter: str | None, at: datetime, tr: Translator) -> str | None:
    """Why no numbers today, when the hall calendar says why (holiday, closure, weekend); the
    reason is the calendar's, the words are the kiosk's (Chinese or English)."""
    why, name = catalog.closed_why(letter, at)
    key = _WHY_KEYS.get(why)
    return tr(key, name=name) if key else None


def closed_now(catalog: Catalog, letter: str | None, at: datetime, tr: Translator) -> str:
    """Why no number can be taken now, in one line a greyed button can carry: the calendar's
    reason (holiday, weekend…), else the day's hours — ended at 17:00, or again from 13:30."""
    why = closed_reason(catalog, letter, at, tr)
    if why:
        return why
    letters = [letter] if letter else [c.letter for c in catalog.categories]
    periods = [p for x in letters for p in catalog.periods(x, at.date())]
    later = [start for start, _ in periods if start > at.time()]
    if later:
        return tr("closed_until", when=min(later).strftime("%H:%M"))
    if periods:
        end = max(end for _, end in periods).strftime("%H:%M")
        opening = catalog.next_opening(letter, at)
        if opening is None or (opening.date() - at.date()).days == 1:
            return tr("closed_ended", end=end)
        return tr("closed_ended_on", end=end, month=opening.month, day=opening.day)
    return tr("closed_title")


def keywords(catalog: Catalog, limit: int) -> list[str]:
    """Words citizens use instead of official names (过户, 社保…), one per guide, taken from each
    category in turn: the search chips speak of every kind of business, not the first one's."""
    by_category: dict[str, list[str]] = {}
    for guide in catalog.guides:
        if guide.keywords:
            by_category.setdefault(guide.category, []).append(guide.keywords[0])
    in_turn = (w for row in zip_longest(*by_category.values()) for w in row if w is not None)
    return list(dict.fromkeys(in_turn))[:limit]


def limits_text(item: Item, tr: Translator) -> str:
    """法定时限 and 承诺时限 in one sentence (即办 when promised is 0)."""
    if item.promised_days == 0:
        return tr("limit_now", legal=item.legal_days)
    key = "limit_days_cal" if item.calendar_days else "limit_days"
    return tr(key, legal=item.legal_days, promised=item.promised_days)


def fees_text(item: Item, tr: Translator) -> list[str]:
    return [tr("fee_line", name=f.name, yuan=f"{f.yuan:g}") + (f"（{f.note}）" if f.note else "")
            for f in item.fees] or [tr("free")]


def print_args(checklist: Checklist, catalog: Catalog, guide_url: str) -> dict[str, Any]:
    """The `print_checklist` request: the kiosk composes the notice, the daemon prints it."""
    limits, fees, where = PRINTED("limits"), PRINTED("fees"), PRINTED("where")
    if len(checklist.items) == 1:
        item = checklist.items[0]
        lines = [f"{limits}：{limits_text(item, PRINTED)}", *(f"{fees}：{f}" for f in fees_text(item, PRINTED)),
                 f"{where}：{item.window}"]
    else:
        lines = [f"{limits}：", *(f"· {item.name}：{limits_text(item, PRINTED)}" for item in checklist.items),
                 f"{where}：{catalog.category(checklist.category).window_area}"]
    notes = list(dict.fromkeys(n for item in checklist.items for n in item.notes))
    if notes:
        lines += [f"{PRINTED('notes')}：", *(f"· {n}" for n in notes)]
    return {"service": checklist.name, "qr": guide_url.format(code=checklist.code),
            "materials": paper_materials(checklist), "notice": "\n".join(lines)}
