"""What the center answers a kiosk, as issue 15 has the citizen meet it: the fields the
kiosk's screens and paper need, composed once at the center (a real CenterService on a real
broker, the hall clock at Monday 23 Nov 2026 10:00)."""
from __future__ import annotations

from datetime import date

from center.service import CenterService
from tests.center_fixtures import hall_clock, service  # noqa: F401  (fixtures)

CARD = "c" * 32  # a citizen key as the daemon sends it (keyed hash)


def serve(service: CenterService, window: str = "1", category: str = "A", **finish) -> dict:
    ticket = service.req_take_number("kiosk-01", {"category": category, "citizen_key": CARD})
    service.desk.call_next(window)
    service.desk.start(window)
    service.desk.finish(window, **finish)
    return ticket


def test_finding_1_a_case_is_answered_with_item_state_dates_and_where_to_collect(service: CenterService) -> None:
    service.desk.sign_in("1", "staff-001")
    serve(service, create_case=True, item_code="A02")  # 承诺 3 个工作日
    (case,) = service.req_lookup_case("kiosk-01", {"citizen_key": CARD})["cases"]
    item = service.catalog.item("A02")
    assert case["case_number"].startswith("20261123") and case["item"] == item.name
    assert (case["state"], case["state_name"]) == ("accepted", "受理")
    assert case["received"] == "2026-11-23"
    assert case["promised_by"] == "2026-11-26"  # Monday + 3 working days
    assert case["collect_at"] == item.window
    assert service.req_lookup_case("kiosk-01", {"case_number": case["case_number"]})["cases"] == [case]


def test_finding_1_promised_dates_count_the_hall_calendars_working_days(service: CenterService) -> None:
    days = service.calendar.add_working_days  # 2026: 中秋 09-25..27, 国庆 10-01..07 off, 10-10 worked (调休)
    assert days(date(2026, 9, 24), 0) == date(2026, 9, 24)  # 即办
    assert days(date(2026, 9, 24), 1) == date(2026, 9, 28)  # over 中秋 and its weekend
    assert days(date(2026, 9, 30), 1) == date(2026, 10, 8)  # over 国庆
    assert days(date(2026, 10, 9), 1) == date(2026, 10, 10)  # a make-up Saturday counts
