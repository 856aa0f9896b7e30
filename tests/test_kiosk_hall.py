"""The real kiosk app under Xvfb in a real hall: daemon, simulators, center and broker.

One hall of real processes (hallrig/hall.py, hall clock 60× from a weekday's 08:30) serves
every test; each flow runs the app in its own process (hallrig/kiosk_run.py `--hall`),
touches it with synthetic touches and reads the screen, while `d.daemon`
(hallrig/kiosk_hall_adapter.py) puts cards on the reader simulator, runs the printer out of
paper and stops the center. What the test then checks comes from the other side: the
center's JSON API and the sheets the printer simulator wrote.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops

from drivers.printer.render import Paper
from drivers.printer.sim import PAPER_MARGIN, Look, _glyph_row
from hallrig.apiclient import ApiClient
from hallrig.center_setup import MONDAY_OPENING
from hallrig.day_hall import CenterApi, SimConsole
from hallrig.hall import Hall
from hallrig.kiosk_hall_adapter import HallControl
from hallrig.kiosk_xvfb import run_driver, xvfb
from hallrig.rig import wait_for
from kiosk.settings import load_settings

pytestmark = [pytest.mark.ui, pytest.mark.timeout(180),
              pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")]
KIOSK = "kiosk-01"
HALL_NAME = "示范市市民中心"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    h = Hall(tmp_path_factory.mktemp("kiosk-hall"), kiosks=1, speed=60, start_at=MONDAY_OPENING)
    try:
        h.start()
        h.wait_ready()
        yield h
    finally:
        h.stop()


@pytest.fixture(scope="module")
def kiosk(hall: Hall) -> Iterator[tuple[str, HallControl]]:
    with xvfb() as display, HallControl(hall, KIOSK, hall.work / "hall-control.sock") as control:
        yield display, control


@pytest.fixture(scope="module")
def center(hall: Hall) -> Iterator[CenterApi]:
    api = CenterApi(hall.web)
    api.wait_ready()
    api.sign_in("m001")
    yield api
    api.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kiosk-hall-shots")


def run(kiosk: tuple[str, HallControl], scenario: str, shots: Path) -> dict[str, Any]:
    display, control = kiosk
    report = run_driver(display, scenario, shots=shots, extra=["--hall", json.dumps(control.spec())])
    assert report["ok"], f"{report.get('error')}\n{report.get('traceback', '')}\n{report.get('stderr', '')[-2000:]}"
    assert report["overflows"] == [], report["overflows"]
    assert "Traceback" not in report["stderr"], report["stderr"][-2000:]
    return report


def shows_number(png: Path, number: str) -> bool:
    """The ticket's picture holds `number` as the printer simulator's head draws a ticket's
    number (size 3, bold, centred): a pixel-exact row, wherever it is on the sheet."""
    sheet, m = Image.open(png).convert("1"), PAPER_MARGIN
    paper = Paper(sheet.width - 2 * m)
    paper.put(_glyph_row([(ch, Look(bold=True, width=3, height=3)) for ch in number]), "center")
    row = paper.image()
    return any(ImageChops.difference(sheet.crop((m, y, m + row.width, y + row.height)), row).getbbox() is None
               for y in range(m, sheet.height - row.height))


def assert_issued_and_printed(center: CenterApi, ticket: dict[str, Any]) -> None:
    number, png = ticket["number"], Path(ticket["png"])
    waiting = [t for t in center.get("/api/windows/1")["queue"] if t["number"] == number]
    assert [(t["category"], t["item_code"], t["channel"]) for t in waiting] == [("A", "A01", "kiosk")], \
        f"the center does not hold {number} as a waiting kiosk ticket"
    assert png.is_file() and ticket["text"].startswith(f"{HALL_NAME} / 排队凭条"), ticket
    assert shows_number(png, number), f"{png} does not show {number}"


def test_a_number_with_the_id_card_is_the_one_the_center_issued_and_printed(
        kiosk: tuple[str, HallControl], center: CenterApi, shots: Path) -> None:
    report = run(kiosk, "hall_ticket", shots)
    [ticket] = report["notes"]["tickets"]
    assert_issued_and_printed(center, ticket)
    other = "A999" if ticket["number"] != "A999" else "A998"
    assert not shows_number(Path(ticket["png"]), other), "the picture check tells numbers apart"


def test_a_guide_prints_its_one_time_notice(kiosk: tuple[str, HallControl], shots: Path) -> None:
    report = run(kiosk, "hall_notice", shots)
    notice = report["notes"]["notice"]
    assert notice["text"].startswith(f"一次告知单 / {HALL_NAME}") and "不动产转移登记" in notice["text"], notice
    width, height = Image.open(notice["png"]).size
    assert height > width, "a whole list of materials, longer than it is wide"


def test_center_unreachable_then_back(kiosk: tuple[str, HallControl], center: CenterApi, hall: Hall,
                                      shots: Path) -> None:
    report = run(kiosk, "hall_center", shots)
    assert hall.center is not None and hall.center.alive(), "the center was started again"
    [ticket] = report["notes"]["tickets"]
    center.wait_ready()
    assert_issued_and_printed(center, ticket)


def test_daemon_restarted_the_kiosk_comes_back_by_itself(
        kiosk: tuple[str, HallControl], center: CenterApi, hall: Hall, shots: Path) -> None:
    report = run(kiosk, "hall_daemon", shots)
    daemon = hall.terminals[KIOSK].daemon
    assert daemon is not None and daemon.alive(), "a new daemon process runs"
    [ticket] = report["notes"]["tickets"]
    assert_issued_and_printed(center, ticket)


def test_paper_out_sends_citizens_elsewhere_then_numbers_again(
        kiosk: tuple[str, HallControl], center: CenterApi, shots: Path) -> None:
    report = run(kiosk, "hall_paper", shots)
    [ticket] = report["notes"]["tickets"]
    assert_issued_and_printed(center, ticket)
    names = {Path(s).stem for s in report["shots"]}
    assert {"portrait-zh-hall-paper-out", "portrait-zh-hall-paper-back-ticket"} <= names


def test_the_kiosk_keeps_the_halls_clock(hall: Hall, center: CenterApi) -> None:
    """`onetrip kiosk` reads the terminal's `[clock]`: its hours and header follow the hall, not the PC."""
    kiosk_now = load_settings(hall.terminals[KIOSK].config).clock.clock().time()
    assert abs(kiosk_now - center.get("/api/hall")["now"]) < 120  # two hall minutes: 2 s at 60×
    assert abs(kiosk_now - time.time()) > 3600, "the demo hall opens on another morning than now"


def test_the_daemon_remembers_a_card_for_real_seconds_not_hall_seconds(hall: Hall) -> None:
    """A citizen reading the screens for a few seconds keeps their card's identity: the daemon's
    180 s card memory is a timeout, and timeouts run in real time under a scaled hall clock."""
    t = hall.terminals[KIOSK]
    console, api = SimConsole(t.control), ApiClient(t.socket)
    try:
        console.send("card remove")
        api.call("forget_citizen")
        console.send("card insert 0")
        wait_for(lambda: api.call("hello")["result"]["card"] is not None, 5, "the card read")
        time.sleep(4.0)  # four hall minutes at 60×: past 180 s if the memory ran on hall time
        assert api.call("hello")["result"]["card"] is not None, "the card was forgotten after 4 s"
    finally:
        api.call("forget_citizen")
        console.send("card remove")
        api.close()
        console.close()
