"""The scripted demo day (`HEADLESS=1 onetrip demo`) on a real hall, and its report.

One short day — 25 citizens, issuing until 10:00, the hall clock at 240× — runs through a
real broker, center, daemons and simulators in a temporary folder; the tests then look at
what the hall itself says: printed tickets, the window bus's screens, the center's reports
and follow-ups, the report folder, and the privacy scan.
"""
from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageChops

from drivers.idcard.sim import DEFAULT_CITIZENS
from hallrig.center_setup import MONDAY_OPENING
from hallrig.day import privacy_scan, run_day
from hallrig.day_chart import WaitPoint, wait_chart
from hallrig.day_hall import SimConsole
from hallrig.day_plan import arrival_times, card_weights, plan_visitors
from hallrig.hall import Hall
from hallrig.staff_accounts import staff_client

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hall, Path]]:
    hall = Hall(tmp_path_factory.mktemp("demo-day"), speed=240, history=True, start_at=MONDAY_OPENING)
    try:
        hall.start()
        hall.wait_ready()
        yield hall, run_day(hall, visitors=25, close=time(10, 0))
    finally:
        hall.stop()


def get(hall: Hall, path: str, **params: str) -> dict:
    """As the hall manager sees it (signed in)."""
    with closing(staff_client(hall.web, "m001")) as http:
        return http.get(path, params=params).json()


# ---- the day on a real hall ---------------------------------------------------------------------
@pytest.mark.browser
def test_tickets_were_issued_and_printed(day: tuple[Hall, Path]) -> None:
    hall, _ = day
    printed = [p for t in hall.terminals.values() for p in (t.sim_dir / "tickets").glob("*.png")]
    total = get(hall, "/api/reports", by="category")["rows"][-1]
    assert total["key"] == "total" and total["visits"] >= 15
    assert len(printed) >= total["visits"]  # every served citizen had a printed ticket (plus checklists)
    status = SimConsole(hall.terminals["kiosk-01"].control).send("printer tickets")
    assert int(status.split()[0]) >= 1


@pytest.mark.browser
def test_calls_reached_the_window_bus_screens(day: tuple[Hall, Path]) -> None:
    hall, _ = day
    screens = dict(re.findall(r"(\d+)=\[([^\]]*)\]", SimConsole(hall.terminals["bus-01"].control).send("bus show")))
    served = {r["key"] for r in get(hall, "/api/reports", by="window")["rows"] if r["calls"]}
    keypad = served & set(screens)
    assert keypad, f"no keypad window called anyone: {served}"
    for window in keypad:  # six 7-segment digits: waiting count, then the ticket's number
        assert re.fullmatch(r"[0-9 ]{3}\d{3}", screens[window]), (window, screens[window])


@pytest.mark.browser
def test_ratings_were_recorded_and_a_bad_one_opened_a_follow_up(day: tuple[Hall, Path]) -> None:
    hall, _ = day
    total = get(hall, "/api/reports", by="category")["rows"][-1]
    assert total["ratings"] >= 3 and total["satisfaction"] is not None
    follow_ups = get(hall, "/api/control")["follow_ups"]
    assert follow_ups and all(f["rating"]["level"] <= 2 for f in follow_ups)
    for f in follow_ups:  # a reason given, or — a pad's 差评 — asked at the return visit, never made up
        assert f["rating"]["reasons"] or (f["rating"]["channel"] == "pad"
                                          and "reason_needed" in [s["kind"] for s in f["steps"]])


@pytest.mark.browser
def test_the_floor_put_a_no_show_back_answered_help_and_kept_promises(day: tuple[Hall, Path]) -> None:
    """One 过号 reactivated at its counter, the 帮办 answered and closed, one 容缺 promise made
    today and last week's overdue (its alert raised): as the center counts them, in the report."""
    hall, report = day
    figures = get(hall, "/api/reports")
    [help_day] = figures["help"]
    assert help_day["count"] >= 1 and help_day["closed"] >= 1 and help_day["response_p50_min"] is not None
    assert figures["promises"]["recorded"] >= 1 and figures["promises"]["overdue"] == 1
    assert any(a["kind"] == "promise_overdue" for a in get(hall, "/api/control")["alerts"])
    text = report.read_text(encoding="utf-8")
    assert re.search(r"\| 过号恢复 no-shows put back in line at the counter \| 1 \|", text)
    assert re.search(r"\| 帮办 answered and closed \(script\) \| [1-9]", text)
    assert re.search(r"\| 容缺 promises recorded today / fulfilled / overdue now \(center\) \| [1-9]\d* / 0 / 1 \|", text)


@pytest.mark.browser
def test_report_folder_holds_figures_chart_tickets_and_screens(day: tuple[Hall, Path]) -> None:
    hall, report = day
    folder = hall.work / "report"
    assert report == folder / "report.md"
    text = report.read_text(encoding="utf-8")
    assert "满意率" in text and "take-number latency" in text and "Nothing." in text  # no script failures
    with Image.open(folder / "waits.png") as chart:
        assert chart.size == (1600, 900)
    kinds = {p.name.split("-")[1] for p in folder.glob("print-*.png")}
    assert {"ticket", "appointment"} <= kinds <= {"ticket", "priority", "appointment", "checklist"}
    screens = sorted(p.name for p in folder.glob("screen-*.png"))
    assert screens == ["screen-console.png", "screen-control.png", "screen-display.png", "screen-reports.png"]
    with Image.open(folder / "screen-display.png") as shot:
        assert shot.size == (1920, 1080)
    csv = (folder / "reports.csv").read_text(encoding="utf-8")
    assert csv.startswith("\ufeff分组,名称") and "合计" in csv


@pytest.mark.browser
def test_privacy_scan_finds_nothing_and_would_find_a_leak(day: tuple[Hall, Path]) -> None:
    hall, _ = day
    assert privacy_scan(hall) == []
    citizen = DEFAULT_CITIZENS[1]
    leak = hall.logs / "leak.log"
    leak.write_text(f"INFO oops: card read name={citizen.name} number={citizen.number}\n", encoding="utf-8")
    try:
        findings = privacy_scan(hall)
    finally:
        leak.unlink()
    assert sorted(findings) == ["logs/leak.log: ID number of test citizen #1 (3301**********0023)",
                                "logs/leak.log: full name of test citizen #1 (李**)"]
    assert all(citizen.number not in f and citizen.name not in f for f in findings)


# ---- the plan and the chart, without a hall ---------------------------------------------------------
def test_arrivals_follow_the_morning_peak() -> None:
    start, close = datetime(2026, 11, 23, 8, 30, tzinfo=TZ), datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
    times = arrival_times(random.Random(3), start, close, 2000)
    assert times == sorted(times) and start.timestamp() <= times[0] and times[-1] <= close.timestamp()
    per_half_hour = [sum(1 for t in times if start.timestamp() + i * 1800 <= t < start.timestamp() + (i + 1) * 1800)
                     for i in range(7)]
    assert max(per_half_hour) == max(per_half_hour[3:5])  # the peak falls between 10:00 and 11:00
    assert per_half_hour[0] < per_half_hour[3] * 0.75       # a quieter first half hour


def test_plan_books_appointments_and_keeps_the_elderly_near_a_real_share() -> None:
    start, close = datetime(2026, 11, 23, 8, 40, tzinfo=TZ), datetime(2026, 11, 23, 12, 0, tzinfo=TZ)
    cards = card_weights([card.age_on(start.date()) for card in DEFAULT_CITIZENS])
    walk_ins, booked = plan_visitors(random.Random(5), [{"code": "A01", "category": "A"}], start, close, 240, cards)
    assert len(walk_ins) + len(booked) == 240 and len(booked) == 19
    assert all(slot.timestamp() - 25 * 60 <= v.at <= slot.timestamp() and slot >= start for v, slot in booked)
    elderly = {i for i, c in enumerate(DEFAULT_CITIZENS) if c.age_on(start.date()) >= 60}
    share = sum(v.card in elderly for v in walk_ins) / len(walk_ins)
    assert 0.03 < share < 0.15


def test_chart_of_an_empty_day_still_has_its_axes(tmp_path: Path) -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=TZ).timestamp()
    empty = wait_chart([], {"A": "不动产登记"}, TZ, tmp_path / "empty.png")
    busy = wait_chart([WaitPoint(at + 60 * i, i % 17, "A") for i in range(60)], {"A": "不动产登记"}, TZ,
                      tmp_path / "busy.png", close_at=at + 3600)
    with Image.open(empty) as a, Image.open(busy) as b:
        assert a.size == b.size == (1600, 900)
        assert a.convert("L").getextrema()[0] < 100  # dark axis lines and labels are drawn
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is not None  # dots and lines
