"""The demo city hall's catalog shipped in config/catalog: loads, is big enough to be
realistic, and its life events actually shorten the citizen's list."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from center.catalog_load import DEFAULT_PATH, load_catalog, main
from core.catalog import Catalog

EVENTS = {"开餐馆", "新生儿出生", "开办零售药店", "二手房买卖"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_demo_catalog_meets_the_issue_counts(catalog: Catalog) -> None:
    assert len(catalog.categories) >= 6
    assert len(catalog.items) >= 40
    assert EVENTS <= {e.name for e in catalog.life_events}
    assert all(e.questions for e in catalog.life_events)
    assert len(catalog.departments()) >= 10
    for category in catalog.categories:  # every ticket series serves something
        assert catalog.items_in(category.letter) or any(e.category == category.letter for e in catalog.life_events)


def test_demo_items_carry_what_the_notice_prints(catalog: Catalog) -> None:
    assert all(item.window for item in catalog.items)
    assert any(item.online for item in catalog.items) and any(not item.online for item in catalog.items)
    assert any(item.promised_days == 0 for item in catalog.items)  # 即办
    assert any(m.deferrable for item in catalog.items for m in item.materials)  # 容缺
    assert any(m.optional for item in catalog.items for m in item.materials)
    assert any(fee.yuan > 0 for item in catalog.items for fee in item.fees)
    names = {m.name for item in catalog.items for m in item.materials}
    assert {"居民身份证", "户口簿", "营业执照", "不动产权证书", "存量房买卖合同", "出生医学证明"} <= names


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_every_life_event_merges_to_fewer_lines_than_its_items_ask(catalog: Catalog, name: str) -> None:
    event = next(e for e in catalog.life_events if e.name == name)
    merged = catalog.merge(event.code)
    separately = sum(len(item.materials) for item in merged.items)
    assert len(merged.materials) < separately
    assert len({m.name for m in merged.materials}) == len(merged.materials)


def test_restaurant_answers_tailor_the_list(catalog: Catalog) -> None:
    event = next(e for e in catalog.life_events if e.name == "开餐馆")
    rented = catalog.merge(event.code, {"premises": "rented"})
    owned = catalog.merge(event.code, {"premises": "owned", "entity": "company", "sign": "yes", "agent": "yes"})
    rented_names = {m.name for m in rented.materials}
    owned_names = {m.name for m in owned.materials}
    assert "房屋租赁合同" in rented_names and "房屋租赁合同" not in owned_names
    assert "不动产权证书" in owned_names and "经营场所使用证明" not in owned_names | rented_names
    assert "营业执照" not in owned_names  # issued inside the event
    assert {"D02", "D06", "G01"} <= {i.code for i in owned.items}
    assert "D01" not in {i.code for i in owned.items}
    proxy = next(m for m in owned.materials if m.name == "授权委托书")
    assert not proxy.optional and set(proxy.items) >= {"D02", "D06", "G01"}


def test_second_hand_flat_with_provident_fund_loan(catalog: Catalog) -> None:
    event = next(e for e in catalog.life_events if e.name == "二手房买卖")
    merged = catalog.merge(event.code, {"loan": "fund", "present": "no"})
    codes = [i.code for i in merged.items]
    assert codes[:2] == list(event.items) and len(codes) == 4
    contract = next(m for m in merged.materials if m.name == "存量房买卖合同")
    assert len(contract.items) == 3  # transfer, tax and loan ask for it: brought once
    assert any(m.name == "经公证的授权委托书" and not m.optional for m in merged.materials)


def test_pinyin_search_on_the_demo(catalog: Catalog) -> None:
    assert {g.name[:5] for g in catalog.search("bdc")} == {"不动产转移", "不动产抵押", "不动产登记", "不动产权证", "不动产变更",
                                                         "不动产继承"}
    assert catalog.search("kcg")[0].name == "开餐馆"
    assert catalog.search("sbk")[0].name == "社会保障卡申领"
    names = [g.name for g in catalog.search("sb")]  # 社保's initials, not "…书遗失补证"'s middle (issue 15, finding 12)
    assert names[0] == "社会保障卡申领" and names.index("社会保障卡申领") < names.index("不动产权证书遗失补证")
    assert catalog.search("护照")[0].code == "C05"


def test_saturday_hours_only_for_exit_entry(catalog: Catalog) -> None:
    saturday = datetime(2025, 6, 21, 10, 0)
    assert [c.letter for c in catalog.categories if catalog.is_issuing(c.letter, saturday)] == ["C"]
    assert all(catalog.is_issuing(c.letter, datetime(2025, 6, 16, 9, 0)) for c in catalog.categories)


def test_demo_snapshot_round_trips_and_fits_a_retained_message(catalog: Catalog) -> None:
    payload = json.dumps(catalog.to_snapshot(), ensure_ascii=False).encode("utf-8")
    assert len(payload) < 256 * 1024  # one retained message every terminal can cache
    copy = Catalog.from_snapshot(json.loads(payload))
    assert copy.hash == catalog.hash and copy.get_status() == catalog.get_status()


def test_check_command_reports_version_or_errors(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    assert main([str(DEFAULT_PATH)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("catalog 2025.06-r1 (") and "4 life events" in out
    broken = tmp_path / "c.toml"
    broken.write_text('[catalog]\nversion = ""\n', encoding="utf-8")
    assert main([str(broken)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"{broken}: catalog.")
