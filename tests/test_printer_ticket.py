"""Tickets and one-time notices: text-mode and raster ESC/POS, read back by the device-side codec."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from core.sansio import NEED_DATA
from drivers.printer.codec import ChineseMode, Cut, DeviceCodec, Feed, QrErrorLevel, Raster, Text
from drivers.printer.job import Checklist, Line, MaterialLine, PrintJob, sample_ticket
from drivers.printer.render import cells, draw, render_raster, render_text, text_rows, wrap
from drivers.printer.sim import PrintHead, Sheet

DOCS_IMG = Path(__file__).resolve().parent.parent / "docs" / "img"


def decode(data: bytes) -> list[object]:
    codec = DeviceCodec(chinese_mode=False)  # prove the ticket switches Chinese mode on itself
    codec.receive_data(data)
    out = []
    while (event := codec.next_event()) is not NEED_DATA:
        out.append(event)
    return out


def printed_lines(data: bytes) -> list[str]:
    lines, current = [], ""
    for event in decode(data):
        if isinstance(event, Text):
            current += event.text
        elif isinstance(event, Feed) and event.lines and current:
            lines.append(current)
            current = ""
    return lines


def expected_lines(job: PrintJob, width: int) -> list[str]:
    rows: list[str] = []
    for block in job.layout():
        if isinstance(block, Line):
            rows += text_rows(block, width)
        elif not hasattr(block, "payload"):  # a rule
            rows.append("-" * (width // 12))
    return [row for row in rows if row]  # a row of only spaces prints as blank paper


def print_sheet(data: bytes, width: int) -> Sheet:
    sheets: list[Sheet] = []
    head = PrintHead(width, lambda sheet, partial: sheets.append(sheet))
    for event in decode(data):
        head.apply(event)
    assert len(sheets) == 1
    return sheets[0]


@pytest.mark.parametrize("width", [384, 576])
def test_text_mode_ticket_reads_back(width: int) -> None:
    data = render_text(sample_ticket(), width)
    events = decode(data)
    assert events[1] == ChineseMode(True)
    assert isinstance(events[-1], Cut)
    assert printed_lines(data) == expected_lines(sample_ticket(), width)
    assert all(cells(line) <= width // 12 for line in printed_lines(data))
    text = "".join(printed_lines(data)).replace(" ", "")
    for needed in ("市民中心", "A023", "不动产登记", "您前面还有12人等候", "25～40", "户口簿，原件及复印件（可容缺）"):
        assert needed in text


def test_punctuation_only_cjk_line_is_gb18030_not_a_code_page() -> None:
    data = render_text(sample_ticket(notice="（A001）"))
    assert "（A001）\n".encode("gb18030") in data
    assert b"?A001?" not in data and b"\x1bt" not in data
    assert "（A001）" in printed_lines(data)


def test_control_bytes_in_names_cannot_inject_commands() -> None:
    data = render_text(sample_ticket(service="不动产\x1bd\x09\x1dV\x00登记"))
    assert sum(isinstance(e, Cut) for e in decode(data)) == 1
    assert "不动产d\tV登记".replace("\t", " ") in printed_lines(data)


cjk_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(hall=cjk_text, number=st.from_regex(r"[A-Z][0-9]{3}", fullmatch=True), service=cjk_text,
       ahead=st.integers(0, 500), notice=cjk_text, names=st.lists(cjk_text, max_size=4),
       width=st.sampled_from([384, 576]))
def test_text_mode_round_trip(hall: str, number: str, service: str, ahead: int, notice: str,
                              names: list[str], width: int) -> None:
    ticket = sample_ticket(hall=hall, number=number, service=service, people_ahead=ahead, notice=notice,
                           materials=tuple(MaterialLine(n, deferrable=i % 2 == 1) for i, n in enumerate(names)))
    lines = printed_lines(render_text(ticket, width))
    assert lines == expected_lines(ticket, width)
    flat = "".join("".join(lines).split())  # wrapping only adds breaks and indent
    for field in (hall, number, service, notice, *names):
        assert "".join(field.split()) in flat


def test_wrap_keeps_words_and_closing_punctuation() -> None:
    rows = wrap("请携带身份证原件。网址 https://zwfw.example.gov.cn/a", 14, cells, "1. ")
    assert rows[0] == "1. 请携带身份"
    assert rows[1] == "   证原件。网"  # the full stop never starts a row
    assert "https://zwfw.example.gov.cn/a" not in "".join(rows)  # wider than a row: broken
    assert wrap("一二三四五六，七", 12, cells) == ["一二三四五", "六，七"]


@pytest.mark.parametrize("width", [384, 576])
def test_raster_ticket_is_the_drawn_picture(width: int) -> None:
    ticket = sample_ticket()
    picture = draw(ticket, width)
    assert picture.mode == "1" and picture.width == width
    rasters = [e for e in decode(render_raster(ticket, width)) if isinstance(e, Raster)]
    stacked = Image.new("1", (width, sum(r.image.height for r in rasters)), 1)
    y = 0
    for raster in rasters:
        stacked.paste(raster.image, (0, y))
        y += raster.image.height
    assert stacked.tobytes() == picture.tobytes()


def test_raster_refuses_an_unknown_paper_width() -> None:
    with pytest.raises(ValueError, match="384"):
        render_raster(sample_ticket(), 500)


def test_checklist_prints_every_material_with_its_marks() -> None:
    checklist = Checklist(hall="市民中心", service="新生儿出生“一件事”", issued_at=datetime(2025, 9, 1, 10, 0),
                          materials=(MaterialLine("出生医学证明"), MaterialLine("父母身份证", deferrable=True),
                                     MaterialLine("结婚证", optional=True)), qr="https://zwfw.example.gov.cn/g/1")
    lines = printed_lines(render_text(checklist, 576))
    assert lines[0] == "一次告知单"
    assert "□ 1. 出生医学证明" in lines
    assert "□ 2. 父母身份证（可容缺）" in lines
    assert "□ 3. 结婚证（如有）" in lines
    sheet = print_sheet(render_text(checklist, 576), 576)
    assert sheet.qr == ["https://zwfw.example.gov.cn/g/1"]
    assert QrErrorLevel("M") in decode(render_text(checklist, 576))  # survives a smudge or fold


def test_text_mode_is_far_smaller_than_raster() -> None:
    assert len(render_text(sample_ticket())) * 20 < len(render_raster(sample_ticket()))


def write_docs_images(folder: Path = DOCS_IMG) -> list[Path]:
    """docs/img/ticket-text.png and ticket-raster.png: the sample ticket as it comes out of the printer."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for mode, render in (("text", render_text), ("raster", render_raster)):
        sheet = print_sheet(render(sample_ticket(), 576), 576)
        path = folder / f"ticket-{mode}.png"
        sheet.paper.image(margin=24).save(path)
        paths.append(path)
    return paths


def test_docs_images_render(tmp_path: Path) -> None:
    for path in write_docs_images(tmp_path):
        with Image.open(path) as image:
            assert image.width == 576 + 48 and image.height > 900
            assert image.convert("L").getextrema() == (0, 255)


if __name__ == "__main__":
    print("\n".join(str(p) for p in write_docs_images()))


# ---- python-escpos's capabilities cache (drivers.printer.render.capabilities_cache) ---------------
PRINT_ONCE = ("from drivers.printer.job import sample_ticket; from drivers.printer.render import render_text; "
              "assert render_text(sample_ticket()).startswith(b'\\x1b@'); "
              "import escpos.capabilities; print(escpos.capabilities.pickle_path)")


def print_in_a_fresh_process(cache_dir: Path) -> str:
    """A ticket from a new process (escpos reads its cache only at import); the cache escpos used."""
    cache_dir.mkdir(exist_ok=True)
    env = {**os.environ, "ESCPOS_CAPABILITIES_PICKLE_DIR": str(cache_dir)}
    done = subprocess.run([sys.executable, "-c", PRINT_ONCE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def cache_file(cache_dir: Path) -> Path:
    (cache,) = cache_dir.glob("*.capabilities.pickle")
    return cache


def test_the_capabilities_cache_is_the_file_python_escpos_reads(tmp_path: Path) -> None:
    folder = tmp_path / "escpos"
    used = print_in_a_fresh_process(folder)
    assert Path(used) == cache_file(folder)
    assert [p.name for p in folder.iterdir()] == [Path(used).name]  # no temp file left behind


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_capabilities_cache_rebuilds_itself(tmp_path: Path, damage: str) -> None:
    """A power cut mid-write (or a bad disk) must not break every later print."""
    folder = tmp_path / "escpos"
    print_in_a_fresh_process(folder)
    cache = cache_file(folder)
    whole = cache.read_bytes()
    cache.write_bytes({"truncated": whole[: len(whole) // 2], "garbage": b"\x80\x05not a pickle" * 99,
                       "empty": b""}[damage])
    print_in_a_fresh_process(folder)
    assert pickle.loads(cache.read_bytes()) == pickle.loads(whole)


def test_daemons_building_the_capabilities_cache_at_once_all_print(tmp_path: Path) -> None:
    """Several daemons started together (the demo hall, a reboot) each build the cache at once:
    each imports everything, then waits for the word to print, so their first prints race."""
    folder = tmp_path / "escpos"
    folder.mkdir()
    env = {**os.environ, "ESCPOS_CAPABILITIES_PICKLE_DIR": str(folder)}
    code = ("import sys; from drivers.printer.job import sample_ticket; from drivers.printer.render import render_text; ticket = sample_ticket(); "
            "print('ready', flush=True); sys.stdin.readline(); assert render_text(ticket)")
    daemons = [subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for d in daemons:
        assert d.stdout is not None and d.stdout.readline() == "ready\n"
    for d in daemons:
        assert d.stdin is not None
        d.stdin.write("go\n")
        d.stdin.flush()
    results = [d.communicate(timeout=60) for d in daemons]
    assert [d.returncode for d in daemons] == [0, 0, 0, 0], [err for _, err in results]
    assert [p.name for p in folder.iterdir()] == [cache_file(folder).name]


# ---- issue 15: the paper a citizen takes home ---------------------------------------------------

def test_finding_9_the_queue_ticket_prints_where_to_wait(width: int = 576) -> None:
    ticket = sample_ticket(window_area="一楼 B 区 13–20 号窗口")
    assert "请到 一楼 B 区 13–20 号窗口 等候叫号" in printed_lines(render_text(ticket, width))


def test_finding_9_the_notice_prints_each_field_on_its_own_line_and_every_note() -> None:
    """时限, 收费 and 窗口 each on a line of their own, and every 温馨提示 of the item."""
    from center.catalog_load import load_catalog
    from daemon.printing import materials
    from kiosk.guides import print_args

    catalog = load_catalog()
    item = next(i for i in catalog.items if any("抵押权注销" in n for n in i.notes))
    args = print_args(catalog.notice(item.code), catalog, "https://example.gov.cn/{code}")
    notice = Checklist(hall="市民中心", service=args["service"], materials=materials(args["materials"]),
                       issued_at=datetime(2026, 11, 23, 10, 0), notice=args["notice"])
    rows = printed_lines(render_text(notice, 576))
    starts = [r for r in rows if r.startswith(("办理时限：", "收费：", "办理窗口：", "温馨提示："))]
    assert [s.split("：")[0] for s in starts] == ["办理时限", *["收费"] * len(item.fees), "办理窗口", "温馨提示"]
    joined = "".join(r.strip() for r in rows)
    for note in item.notes:
        assert note.replace(" ", "") in joined.replace(" ", ""), note


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["不动产", "登记", "费", "：", "550 元/件", "、", "，", "。", "（", "）", "复印件", "0 份",
                                 "1–12 号", "窗口", "承诺", "3 个工作日", "「", "」", "Appointment", " ", "·"]),
                min_size=1, max_size=40),
       st.integers(min_value=6, max_value=30))
def test_finding_10_rows_keep_the_chinese_line_breaking_rules(parts: list[str], width: int) -> None:
    """No row begins with closing punctuation or ends with an opening one (while the text
    goes on), and a number never leaves its unit: core.typeset, for paper and screen alike."""
    from core.typeset import NO_LINE_END, NO_LINE_START, tokens

    text = "".join(parts)
    rows = wrap(text, width, cells)
    for n, row in enumerate(rows):
        body = row.strip()
        if n and body and len(tokens(rows[n - 1].strip())) > 1:  # a row that could carry a piece down
            assert body[0] not in NO_LINE_START, rows
        if n + 1 < len(rows) and body and len(tokens(body)) > 1:
            assert body[-1] not in NO_LINE_END, rows
    for unit in ("550 元/件", "0 份", "1–12 号", "3 个工作日"):
        if cells(unit) <= width:  # each number-and-unit piece of the text is whole on one row
            assert sum(tokens(r).count(unit) for r in rows) >= tokens(text).count(unit), (unit, rows)


def test_finding_10_the_examples_of_the_issue_break_where_they_should() -> None:
    assert wrap("不动产登记费：550 元/件", 20, cells) == ["不动产登记费：", "550 元/件"]
    assert wrap("原件 1 份，复印件 0 份", 20, cells) == ["原件 1 份，复印件", "0 份"]
    assert wrap("婚姻状况证明（部分情形）、户口簿", 24, cells) == ["婚姻状况证明", "（部分情形）、户口簿"]
    assert wrap("请到（一楼）", 6, cells) == ["请到", "（一", "楼）"]
    assert wrap("· 房屋设有抵押的", 10, cells) == ["· 房屋设", "有抵押的"]
    assert wrap("房屋设有 ·抵押", 10, cells) == ["房屋设", "有·抵押"]  # a middle dot neither ends nor begins a row
