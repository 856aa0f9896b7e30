"""What the kiosk adds to the shared catalog: after-hours times, search chips, the printed
notice's content; and the i18n table every string goes through."""
from __future__ import annotations

import re
import string
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from center.catalog_load import load_catalog
from core.catalog import Catalog
from kiosk.guides import closed_now, keywords, print_args
from kiosk.i18n import LANGUAGES, STRINGS, Translator

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The kiosk's copy, rebuilt from the snapshot the center publishes."""
    return Catalog.from_snapshot(load_catalog().to_snapshot())


def test_next_opening_after_hours(catalog: Catalog) -> None:
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=TZ)
    assert catalog.next_opening("A", friday_evening) == datetime(2026, 11, 30, 8, 30, tzinfo=TZ)
    assert catalog.next_opening("C", friday_evening) == datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    assert catalog.next_opening(None, friday_evening) == datetime(2026, 11, 28, 9, 0, tzinfo=TZ)
    lunch = datetime(2026, 11, 25, 12, 30, tzinfo=TZ)
    assert not catalog.any_issuing(lunch)
    assert catalog.next_opening("A", lunch) == datetime(2026, 11, 25, 13, 30, tzinfo=TZ)
    assert catalog.any_issuing(datetime(2026, 11, 25, 10, 0, tzinfo=TZ))


def test_finding_12_a_greyed_take_a_number_says_why(catalog: Catalog) -> None:
    """After hours 为此事项取号 was greyed without a reason: the day's end, lunch, the calendar."""
    zh, en = Translator("zh"), Translator("en")
    wednesday = datetime(2026, 11, 25, 20, 0, tzinfo=TZ)
    assert closed_now(catalog, "A", wednesday, zh) == "今日取号已结束（17:00），可预约明日"
    assert closed_now(catalog, "A", wednesday, en) == "Numbers for today ended at 17:00: book for tomorrow"
    assert closed_now(catalog, "A", datetime(2026, 11, 27, 20, 0, tzinfo=TZ), zh) == "今日取号已结束（17:00），可预约11月30日"
    assert closed_now(catalog, "A", wednesday.replace(hour=12, minute=30), zh) == "现在暂停取号，13:30 起可取号"
    assert closed_now(catalog, "A", datetime(2026, 11, 28, 10, 0, tzinfo=TZ), zh) == "今天是周末，暂停取号"


def test_search_chips_are_keywords_once_each(catalog: Catalog) -> None:
    chips = keywords(catalog, 8)
    assert len(chips) == 8 and len(set(chips)) == 8


def test_finding_12_search_chips_speak_of_every_kind_of_business(catalog: Catalog) -> None:
    """All eight chips were 不动产 terms: they come from each category in turn."""
    chips = keywords(catalog, 8)
    kinds = {g.category for g in catalog.guides if g.keywords and g.keywords[0] in chips}
    assert len(kinds) >= min(8, len({g.category for g in catalog.guides if g.keywords}))
    assert all(catalog.search(chip) for chip in chips)


def test_printed_notice_of_an_item(catalog: Catalog) -> None:
    args = print_args(catalog.notice("A01"), catalog, "https://hall.example/guide/{code}")
    assert args["service"] == "不动产转移登记（二手房买卖）" and args["qr"] == "https://hall.example/guide/A01"
    household = next(m for m in args["materials"] if m["name"] == "户口簿")
    assert household["optional"] and "原件 1 份" in household["note"] and "契税" in household["note"]
    assert "法定 30 个工作日，承诺 1 个工作日" in args["notice"] and "二楼 A 区" in args["notice"]


def test_printed_notice_of_a_life_event_lists_each_material_once(catalog: Catalog) -> None:
    event = catalog.life_events[0]
    checklist = catalog.merge(event.code)
    args = print_args(checklist, catalog, "{code}")
    names = [m["name"] for m in args["materials"]]
    assert names == [m.name for m in checklist.materials] and len(names) == len(set(names))
    assert all(item.name in args["notice"] for item in checklist.items)


# ---- i18n: every string in both languages, every key the screens use exists ---------------

def test_every_string_has_both_languages_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for key, texts in STRINGS.items():
        assert len(texts) == len(LANGUAGES) and all(t.strip() for t in texts), key
        names = [{f for _, f, _, _ in fields.parse(t) if f} for t in texts]
        assert names[0] == names[1], key


def test_every_key_the_kiosk_uses_exists() -> None:
    used: set[str] = set()
    for path in (Path(__file__).parent.parent / "kiosk").glob("screen*.py"):
        used |= set(re.findall(r"""tr\(\s*["']([a-z_0-9]+)["']""", path.read_text()))
    assert len(used) > 40, "the screens use the table"
    assert used <= set(STRINGS), sorted(used - set(STRINGS))


def test_translator_switches() -> None:
    tr = Translator("zh")
    assert tr("ticket_ahead", ahead=3) == "前面还有 3 人"
    tr.language = "en"
    assert tr("ticket_ahead", ahead=3) == "3 ahead of you"
    assert tr.pick("税务", "Taxation") == "Taxation"
    with pytest.raises(ValueError):
        tr.language = "fr"
