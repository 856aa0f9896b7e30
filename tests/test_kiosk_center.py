"""What the center answers a kiosk, as issue 15 has the citizen meet it: the fields the
kiosk's screens and paper need, composed once at the center (a real CenterService on a real
broker, the hall clock at Monday 23 Nov 2026 10:00)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from center.service import CenterService
from kiosk.guides import print_args
from mqtt.contract import ErrorInfo
from mqtt.payloads import InvalidArgs
from mqtt.terminal import RequestFailed, TerminalLink
from tests.center_fixtures import hall_clock, service, take_printed  # noqa: F401  (fixtures)
from tests.conftest import wait_until

CARD = "c" * 32  # a citizen key as the daemon sends it (keyed hash)


@pytest.fixture
def kiosk_link(service: CenterService, mqtt_settings, tmp_path: Path) -> Iterator[TerminalLink]:
    link = TerminalLink(mqtt_settings, "kiosk-01", tmp_path / "kiosk-01")
    link.start()
    try:
        wait_until(lambda: link.center_reachable)
        yield link
    finally:
        link.stop()


def serve(service: CenterService, window: str = "1", category: str = "A", card: str | None = CARD, **finish) -> dict:
    ticket = take_printed(service, "kiosk-01", {"category": category, "citizen_key": card})
    service.desk.call_next(window)
    service.desk.start(window)
    service.desk.finish(window, **finish)
    return ticket


def test_finding_1_a_case_is_answered_with_item_state_dates_and_where_to_collect(service: CenterService) -> None:
    service.desk.sign_in("1", "staff-001")
    serve(service, create_case=True, item_code="A02")  # 承诺 3 个工作日
    (case,) = service.requests.lookup_case("kiosk-01", {"citizen_key": CARD})["cases"]
    item = service.catalog.item("A02")
    assert case["case_number"].startswith("20261123") and case["item"] == item.name
    assert (case["state"], case["state_name"]) == ("accepted", "受理")
    assert case["received"] == "2026-11-23"
    assert case["promised_by"] == "2026-11-26"  # Monday + 3 working days
    assert case["collect_at"] == item.window
    assert service.requests.lookup_case("kiosk-01", {"case_number": case["case_number"]})["cases"] == [case]


def test_finding_1_promised_dates_count_the_hall_calendars_working_days(service: CenterService) -> None:
    days = service.calendar.add_working_days  # 2026: 中秋 09-25..27, 国庆 10-01..07 off, 10-10 worked (调休)
    assert days(date(2026, 9, 24), 0) == date(2026, 9, 24)  # 即办
    assert days(date(2026, 9, 24), 1) == date(2026, 9, 28)  # over 中秋 and its weekend
    assert days(date(2026, 9, 30), 1) == date(2026, 10, 8)  # over 国庆
    assert days(date(2026, 10, 9), 1) == date(2026, 10, 10)  # a make-up Saturday counts


def test_finding_2_the_life_event_ticket_lists_what_the_screen_and_the_notice_listed(service: CenterService) -> None:
    """新生儿出生, 父母未婚, 生育津贴, 代办: the citizen's answers travel with take_number, and the
    ticket, the screen's list and the printed notice come from one composer (Catalog.merge)."""
    answers = {"married": "no", "maternity": "yes", "agent": "yes"}
    ticket = take_printed(service, "kiosk-01", {"category": "G", "item_code": "YJS02", "answers": answers})
    screen = service.catalog.merge("YJS02", answers)  # what the kiosk's screen lists
    notice = print_args(screen, service.catalog, "https://example.gov.cn/{code}")
    names = [m["name"] for m in ticket["materials"]]
    assert names == [m.name for m in screen.materials] == [m["name"] for m in notice["materials"]]
    assert ticket["materials"] == notice["materials"]
    assert {"非婚生育情况说明", "授权委托书", "受托人居民身份证"} <= set(names) and "结婚证" not in names
    default = take_printed(service, "kiosk-01", {"category": "G", "item_code": "YJS02"})
    assert "结婚证" in [m["name"] for m in default["materials"]], "no answers: the defaults"


def test_finding_2_an_answer_the_event_does_not_have_is_refused_before_a_number_is_issued(
        service: CenterService) -> None:
    before = service.engine.queue_summary()
    with pytest.raises(InvalidArgs):
        take_printed(service, "kiosk-01", {"category": "G", "item_code": "YJS02", "answers": {"married": "maybe"}})
    assert service.engine.queue_summary() == before


def test_finding_3_a_too_early_check_in_reaches_the_terminal_with_its_come_back_time(
        service: CenterService, kiosk_link: TerminalLink) -> None:
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    booking = service.engine.book_appointment("A", CARD, noon, noon.replace(minute=30))
    with pytest.raises(RequestFailed) as early:
        kiosk_link.request("check_in", {"code": booking.code})
    assert early.value.type == "TooEarly" and early.value.values == {"come_back_at": "11:30"}
    with pytest.raises(RequestFailed) as none:
        kiosk_link.request("check_in", {"code": "AP-NOSUCH-0001"})
    assert none.value.type == "NoAppointment"


def rate(link: TerminalLink, **which: str) -> ErrorInfo | None:
    """A kiosk's rating as the daemon sends it; the center's refusal, or None when stored."""
    return link.emit_answered("rating", {"level": 5, "channel": "kiosk", **which}).result(5)


def test_finding_4_a_typed_number_rates_only_with_the_card_that_took_it(
        service: CenterService, kiosk_link: TerminalLink) -> None:
    service.desk.sign_in("1", "staff-001")
    ticket = serve(service)
    number = ticket["number"]
    assert rate(kiosk_link, ticket=number).type == "NotTheirsToRate"  # typed, no card
    assert rate(kiosk_link, ticket=number, citizen_key="d" * 32).type == "NotTheirsToRate"  # a stranger's card
    assert service.engine.ticket_rating(int(ticket["ticket_id"])) is None, "the stranger used up nothing"
    assert rate(kiosk_link, ticket=number, citizen_key=CARD) is None  # its owner, by card
    assert service.engine.ticket_rating(int(ticket["ticket_id"])).level == 5
    refused = service.engine.refused_events()
    assert {r.error for r in refused} == {"NotTheirsToRate"} and all(
        r.payload.get("citizen_key") in (None, "***") for r in refused), "kept for the control room, masked"


def test_finding_4_the_tickets_qr_rates_the_ticket_it_is_printed_on(
        service: CenterService, kiosk_link: TerminalLink) -> None:
    service.desk.sign_in("1", "staff-001")
    ticket = serve(service, card=None)  # taken without a card: only its QR names it
    token = ticket["qr"].rsplit("/", 1)[1]
    assert rate(kiosk_link, ticket=ticket["number"], citizen_key=CARD).type == "NotTheirsToRate"
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert rate(kiosk_link, ticket_token=forged).type == "NotTheirsToRate"
    assert rate(kiosk_link, ticket_token=token) is None
    assert rate(kiosk_link, ticket_token=token).type == "AlreadyRated"
    assert all(r.payload.get("ticket_token") == "***" for r in service.engine.refused_events()
               if "ticket_token" in r.payload), "the token (it opens the phone page) is not kept"
