"""The catalog's rules on a small hand-made catalog: one-line errors, merge, search,
snapshot and version."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from center.catalog_load import load_catalog
from core.catalog import Catalog
from core.errors import ConfigError
from core.paths import PROJECT_ROOT

HEADER = """
[catalog]
version = "t-1"
hall = "测试大厅"
hours = { mon = "08:30-12:00,13:30-17:00" }

[[categories]]
letter = "A"
name = "不动产登记"
name_en = "Real estate"
daily_cap = 100
wait_target_min = 20
window_area = "二楼 A 区"

[[categories]]
letter = "G"
name = "一件事"
name_en = "Life events"
daily_cap = 50
wait_target_min = 30
window_area = "一楼 G 区"
hours = { sat = "09:00-12:00" }
"""

ITEMS = """
[[items]]
code = "A01"
name = "不动产转移登记"
department = "不动产登记中心"
category = "A"
legal_days = 30
promised_days = 1
keywords = ["过户"]
materials = [
  { name = "居民身份证", originals = 1, copies = 1, note = "买卖双方" },
  { name = "不动产权证书", originals = 1 },
  { name = "婚姻状况证明", originals = 0, copies = 1, deferrable = true },
]

[[items]]
code = "F01"
name = "存量房交易税费申报"
department = "税务局"
category = "A"
legal_days = 0
promised_days = 0
window = "二楼 F 区 47 号窗口"
materials = [
  { name = "居民身份证", originals = 1, copies = 2 },
  { name = "婚姻状况证明", originals = 1, copies = 1 },
  { name = "户口簿", originals = 1, optional = true },
]

[[items]]
code = "E01"
name = "公积金贷款"
department = "公积金中心"
category = "A"
legal_days = 15
promised_days = 5
materials = [
  { name = "借款申请表", originals = 1 },
  { name = "户口簿", originals = 1, deferrable = true },
]
"""

EVENTS = """
[[life_events]]
code = "YJS01"
name = "二手房买卖"
category = "G"
items = ["A01", "F01"]
materials = [
  { name = "授权委托书", originals = 1, items = ["A01", "E01"] },
]

[[life_events.questions]]
id = "loan"
text = "是否公积金贷款？"
options = [
  { value = "no", label = "否" },
  { value = "yes", label = "是", add_items = ["E01"] },
]

[[life_events.questions]]
id = "tax_online"
text = "税费是否已在网上申报？"
options = [
  { value = "no", label = "否" },
  { value = "yes", label = "是", remove_items = ["F01"] },
]

[[life_events.questions]]
id = "single"
text = "买卖双方是否均未婚？"
options = [
  { value = "no", label = "否" },
  { value = "yes", label = "是", remove_materials = ["婚姻状况证明"] },
]

[[life_events.questions]]
id = "present"
text = "双方是否都能到场？"
default = "yes"
options = [
  { value = "no", label = "否", add_materials = ["授权委托书"] },
  { value = "yes", label = "是" },
]
"""

TEXT = HEADER + ITEMS + EVENTS


def write(tmp_path: Path, text: str = TEXT, name: str = "catalog.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return load_catalog(write(tmp_path))


# -- one clear line per broken rule -------------------------------------------------------

CASES = [
    # (replace this, with this, key, value, part of the expectation)
    ("daily_cap = 100", "daily_cap = 0", "categories.0.daily_cap", 0, "greater than or equal to 1"),
    ('hours = { mon = "08:30-12:00,13:30-17:00" }', 'hours = { mon = "8:30-12" }', "catalog.hours.mon", "8:30-12",
     "periods like '08:30-12:00,13:30-17:00'"),
    ('hours = { sat = "09:00-12:00" }', 'hours = { sat = "12:00-09:00" }', "categories.1.hours.sat", "12:00-09:00",
     "each ending after it starts"),
    ('hours = { sat = "09:00-12:00" }', 'hours = { sun = "09:00-12:00", holiday = "09:00-12:00" }',
     "categories.1.hours.holiday", "09:00-12:00", "no such key (misspelt?)"),
    ('letter = "G"', 'letter = "GG"', "categories.1.letter", "GG", "should match pattern"),
    ('keywords = ["过户"]', 'keywords = ["过户"]\ncolour = "red"', "items.0.colour", "red", "no such key (misspelt?)"),
    ('department = "税务局"\n', "", "items.1.department", "<missing>", "Field required"),
    ('letter = "G"', 'letter = "A"', "categories.1.letter", "A",
     "a category letter not used before (already categories.0 in"),
    ('code = "E01"', 'code = "A01"', "items.2.code", "A01", "a code not used before (already items.0 in"),
    ('code = "YJS01"', 'code = "F01"', "life_events.0.code", "F01", "a code not used before (already items.1 in"),
    ('category = "A"\nlegal_days = 0', 'category = "Z"\nlegal_days = 0', "items.1.category", "Z",
     "a letter of [[categories]] (known: A, G)"),
    ('items = ["A01", "F01"]', 'items = ["A01", "F09"]', "life_events.0.items.1", "F09", "an item code of the catalog"),
    ('items = ["A01", "F01"]', 'items = ["A01", "A01"]', "life_events.0.items.1", "A01",
     "each item once in life event YJS01"),
    ('add_items = ["E01"]', 'add_items = ["E02"]', "life_events.0.questions.0.options.1.add_items.0", "E02",
     "an item code of the catalog (known: A01, F01, E01)"),
    ('remove_items = ["F01"]', 'remove_items = ["E01"]', "life_events.0.questions.1.options.1.remove_items.0", "E01",
     "an item of life event YJS01 (known: A01, F01)"),
    ('add_materials = ["授权委托书"]', 'add_materials = ["委托书"]', "life_events.0.questions.3.options.0.add_materials.0",
     "委托书", "a material of this life event's materials list (known: 授权委托书)"),
    ('remove_materials = ["婚姻状况证明"]', 'remove_materials = ["结婚证"]',
     "life_events.0.questions.2.options.1.remove_materials.0", "结婚证", "a material of life event YJS01's items"),
    ('items = ["A01", "E01"]', 'items = ["A01", "B07"]', "life_events.0.materials.0.items.1", "B07",
     "an item of life event YJS01 or added by an answer"),
    ("legal_days = 15\npromised_days = 5", "legal_days = 15\npromised_days = 20", "items.2.promised_days", 20,
     "at most legal_days (15) for item E01"),
    ('{ name = "不动产权证书", originals = 1 }', '{ name = "居民身份证", originals = 1 }', "items.0.materials.1.name",
     "居民身份证", "each material once per entry"),
    ('{ name = "借款申请表", originals = 1 }', '{ name = "借款申请表", originals = 0 }', "items.2.materials.0.originals", 0,
     "at least one original or one copy"),
    ('{ name = "户口簿", originals = 1, optional = true }',
     '{ name = "户口簿", originals = 1, optional = true, deferrable = true }',
     "items.1.materials.2.deferrable", True, "false for an optional material"),
    ('default = "yes"', 'default = "maybe"', "life_events.0.questions.3.default", "maybe",
     "one of the option values (known: no, yes)"),
    ('id = "single"', 'id = "loan"', "life_events.0.questions.2.id", "loan",
     "each question id once in life event YJS01"),
    ('{ value = "yes", label = "是" },\n]', '{ value = "no", label = "是" },\n]',
     "life_events.0.questions.3.options.1.value",
     "no", "each option value once in question present"),
]


@pytest.mark.parametrize("old,new,key,value,expected", CASES, ids=[c[2] + ":" + str(c[3]) for c in CASES])
def test_each_broken_rule_is_one_line_naming_file_key_value_and_expectation(
        tmp_path: Path, old: str, new: str, key: str, value: object, expected: str) -> None:
    assert TEXT.count(old) == 1, old
    path = write(tmp_path, TEXT.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_catalog(path)
    lines = str(err.value).splitlines()
    assert all(re.fullmatch(rf"{re.escape(str(path))}: [\w.]+ = .+: .+", line) for line in lines), lines
    mine = [line for line in lines if line.startswith(f"{path}: {key} = ")]
    assert len(mine) == 1, lines  # later lines may be consequences, e.g. references to a renamed code
    assert mine[0].startswith(f"{path}: {key} = {value!r}: ")
    assert expected in mine[0]


def test_several_broken_rules_are_reported_together_one_line_each(tmp_path: Path) -> None:
    text = TEXT.replace("promised_days = 5", "promised_days = 20").replace('default = "yes"', 'default = "maybe"')
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_catalog(path)
    lines = str(err.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_the_key_is_counted_inside_the_file_the_entry_came_from(tmp_path: Path) -> None:
    write(tmp_path, HEADER, "00-hall.toml")
    moved = ITEMS.replace('category = "A"\nlegal_days = 15', 'category = "Q"\nlegal_days = 15')
    items = write(tmp_path, moved, "a-items.toml")
    write(tmp_path, EVENTS, "g-events.toml")
    with pytest.raises(ConfigError) as err:
        load_catalog(tmp_path)
    assert str(err.value).startswith(f"{items}: items.2.category = 'Q': a letter of [[categories]]")


def test_each_file_with_a_bad_shape_gets_its_line(tmp_path: Path) -> None:
    hall = write(tmp_path, HEADER.replace("daily_cap = 100", 'daily_cap = "many"'), "00-hall.toml")
    items = write(tmp_path, ITEMS.replace("legal_days = 30", "legal_days = -1"), "a-items.toml")
    write(tmp_path, EVENTS, "g-events.toml")
    with pytest.raises(ConfigError) as err:
        load_catalog(tmp_path)
    assert str(err.value).splitlines() == [
        f"{hall}: categories.0.daily_cap = 'many': "
        "Input should be a valid integer, unable to parse string as an integer",
        f"{items}: items.0.legal_days = -1: Input should be greater than or equal to 0",
    ]


def test_header_must_be_in_exactly_one_file(tmp_path: Path) -> None:
    write(tmp_path, ITEMS, "a.toml")
    with pytest.raises(ConfigError, match=r"a\.toml: catalog = '<missing>': one file with a \[catalog\] table"):
        load_catalog(tmp_path)
    write(tmp_path, HEADER, "b.toml")
    assert load_catalog(tmp_path).get_status()["items"] == 3
    second = write(tmp_path, '[catalog]\nversion = "x"\nhall = "y"\nhours = {}\n', "c.toml")
    expected = rf"^{second}: catalog.version = 'x': only one \[catalog\] table \(already in .*b\.toml\)$"
    with pytest.raises(ConfigError, match=expected):
        load_catalog(tmp_path)


def test_unreadable_files_are_one_line_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"not valid TOML"):
        load_catalog(write(tmp_path, TEXT + "\n[[items]\n"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"empty: no \*\.toml files"):
        load_catalog(tmp_path / "empty")
    with pytest.raises(ConfigError, match=r"file not found"):
        load_catalog(tmp_path / "nothing.toml")


def test_settings_overrides_from_the_environment_do_not_leak_into_the_catalog(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONETRIP__MQTT__PORT", "1884")
    assert load_catalog(write(tmp_path)).version == "t-1"


# -- defaults, browsing, hours ------------------------------------------------------------

def test_defaults_are_resolved_from_category_and_header(catalog: Catalog) -> None:
    assert catalog.item("A01").window == "二楼 A 区"
    assert catalog.item("F01").window == "二楼 F 区 47 号窗口"
    assert catalog.category("A").hours == catalog.header.hours
    assert catalog.category("A").hours.mon == "08:30-12:00,13:30-17:00"
    assert (catalog.category("G").hours.sat, catalog.category("G").hours.mon) == ("09:00-12:00", "")
    assert catalog.items_in("A") == catalog.items and catalog.items_in("G") == ()
    assert catalog.departments() == ("不动产登记中心", "税务局", "公积金中心")
    assert [i.code for i in catalog.items_of("税务局")] == ["F01"]


def test_issuing_hours_follow_the_weekday_and_periods(catalog: Catalog) -> None:
    from datetime import datetime
    monday, saturday = datetime(2025, 6, 16), datetime(2025, 6, 21)
    assert catalog.is_issuing("A", monday.replace(hour=8, minute=30))
    assert not catalog.is_issuing("A", monday.replace(hour=12, minute=0))
    assert catalog.is_issuing("A", monday.replace(hour=16, minute=59))
    assert not catalog.is_issuing("A", saturday.replace(hour=10))
    assert catalog.is_issuing("G", saturday.replace(hour=10)) and not catalog.is_issuing("G", monday.replace(hour=10))


# -- merge ------------------------------------------------------------------------------

def test_merge_with_defaults_lists_each_material_once_with_max_counts(catalog: Catalog) -> None:
    merged = catalog.merge("YJS01")
    assert [i.code for i in merged.items] == ["A01", "F01"]
    assert merged.category == "G"
    assert merged.answers == {"loan": "no", "tax_online": "no", "single": "no", "present": "yes"}
    by_name = {m.name: m for m in merged.materials}
    assert list(by_name) == ["居民身份证", "不动产权证书", "婚姻状况证明", "户口簿"]
    card = by_name["居民身份证"]
    assert (card.originals, card.copies, card.items, card.notes) == (1, 2, ("A01", "F01"), ("买卖双方",))
    marriage = by_name["婚姻状况证明"]
    assert (marriage.originals, marriage.copies) == (1, 1)
    assert not marriage.deferrable  # F01 needs it at once, so no 容缺 for the case
    assert by_name["户口簿"].optional


def test_answers_add_and_remove_items_and_materials(catalog: Catalog) -> None:
    merged = catalog.merge("YJS01", {"loan": "yes", "single": "yes", "present": "no"})
    assert [i.code for i in merged.items] == ["A01", "F01", "E01"]
    by_name = {m.name: m for m in merged.materials}
    assert "婚姻状况证明" not in by_name
    household = by_name["户口簿"]  # optional for F01, required but 容缺 for E01
    assert (household.optional, household.deferrable, household.items) == (False, True, ("F01", "E01"))
    assert by_name["授权委托书"].items == ("A01", "E01")
    assert catalog.merge("YJS01").answers["present"] == "yes"


def test_removed_items_take_their_materials_with_them(catalog: Catalog) -> None:
    merged = catalog.merge("YJS01", {"tax_online": "yes", "present": "no"})
    assert [i.code for i in merged.items] == ["A01"]
    by_name = {m.name: m for m in merged.materials}
    assert "户口簿" not in by_name and by_name["居民身份证"].copies == 1
    assert by_name["授权委托书"].items == ("A01",)


def test_bad_answers_are_refused(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="no question 'pets'"):
        catalog.merge("YJS01", {"pets": "yes"})
    with pytest.raises(ValueError, match="no option 'maybe'"):
        catalog.merge("YJS01", {"loan": "maybe"})


def test_notice_of_one_item_and_its_json_form(catalog: Catalog) -> None:
    notice = catalog.notice("F01")
    assert [m.name for m in notice.materials] == ["居民身份证", "婚姻状况证明", "户口簿"]
    data = json.loads(json.dumps(notice.as_dict(), ensure_ascii=False))
    assert data["materials"][2] == {"name": "户口簿", "originals": 1, "copies": 0, "optional": True,
                                    "deferrable": False, "notes": [], "items": ["F01"]}


# -- search -----------------------------------------------------------------------------

def test_search_by_characters_initials_keywords_and_codes(catalog: Catalog) -> None:
    codes = lambda q: [g.code for g in catalog.search(q)]  # noqa: E731
    assert codes("bdc") == ["A01"]
    assert codes("BDC ZY") == ["A01"]
    assert codes("esf") == ["YJS01"]
    assert codes("gh") == ["A01"]  # keyword 过户
    assert codes("过户") == ["A01"]
    assert codes("申报") == ["F01"]
    assert codes("f01") == ["F01"]
    assert codes("登记") == ["A01"]
    assert codes("") == [] and codes("xyz") == []


# -- snapshot and version ---------------------------------------------------------------

def test_snapshot_round_trip_rebuilds_the_same_catalog(catalog: Catalog) -> None:
    snapshot = json.loads(json.dumps(catalog.to_snapshot(), ensure_ascii=False))
    copy = Catalog.from_snapshot(snapshot)
    assert copy.hash == catalog.hash and copy.version == "t-1"
    assert copy.to_snapshot() == catalog.to_snapshot()
    assert [g.code for g in copy.search("bdc")] == ["A01"]
    answers = {"loan": "yes", "present": "no"}
    assert copy.merge("YJS01", answers) == catalog.merge("YJS01", answers)
    assert snapshot["items"][0]["initials"] == ["bdczydj", "gh"]


def test_damaged_or_foreign_snapshots_are_refused(catalog: Catalog) -> None:
    snapshot = catalog.to_snapshot()
    snapshot["items"][0]["materials"][0]["copies"] = 5
    with pytest.raises(ConfigError, match=r"^catalog snapshot: hash = '[0-9a-f]{64}': the hash of its content"):
        Catalog.from_snapshot(snapshot)
    with pytest.raises(ConfigError, match=r"^catalog snapshot: format = 99: snapshot format 1"):
        Catalog.from_snapshot(catalog.to_snapshot() | {"format": 99})
    stripped = catalog.to_snapshot()
    del stripped["items"][1]["initials"]
    with pytest.raises(ConfigError, match=r"^catalog snapshot: items.1.initials = None: the pinyin initials of the name"):
        Catalog.from_snapshot(stripped)


def test_a_terminal_rebuilds_the_snapshot_without_pypinyin(catalog: Catalog, tmp_path: Path) -> None:
    cached = tmp_path / "catalog.json"
    cached.write_text(json.dumps(catalog.to_snapshot(), ensure_ascii=False), encoding="utf-8")
    script = (
        "import json, sys; sys.modules['pypinyin'] = None\n"
        "from core.catalog import Catalog\n"
        f"c = Catalog.from_snapshot(json.loads(open({str(cached)!r}, encoding='utf-8').read()))\n"
        "print(c.hash, [g.code for g in c.search('esf')])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [catalog.hash, "['YJS01']"]


def test_hash_follows_content_not_layout(tmp_path: Path) -> None:
    base = load_catalog(write(tmp_path, TEXT, "one.toml"))
    assert len(base.hash) == 64
    respaced = "# comment\n" + TEXT.replace("daily_cap = 100", "daily_cap    =   100")
    reformatted = load_catalog(write(tmp_path, respaced, "two.toml"))
    assert reformatted.hash == base.hash
    split = tmp_path / "split"
    split.mkdir()
    write(split, HEADER, "00.toml"), write(split, ITEMS, "10.toml"), write(split, EVENTS, "20.toml")
    assert load_catalog(split).hash == base.hash
    changed = load_catalog(write(tmp_path, TEXT.replace('{ name = "借款申请表", originals = 1 }',
                                                        '{ name = "借款申请表", originals = 2 }'), "three.toml"))
    assert changed.hash != base.hash and changed.version == base.version
    renamed = load_catalog(write(tmp_path, TEXT.replace('version = "t-1"', 'version = "t-2"'), "four.toml"))
    assert renamed.version == "t-2" and renamed.hash != base.hash
