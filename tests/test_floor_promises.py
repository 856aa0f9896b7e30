"""容缺 promises kept, through the console's HTTP API, the kiosk's request and the phone page on a
real CenterService: the window records each deferred material with its 承诺书 and a deadline in
the hall's business days; the citizen sees what is owed; the control room lists what falls due
and what is late; an overdue one is an alert on the hall clock; a clerk records it handed in."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest
from starlette.testclient import TestClient

from center import audit
from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from hallrig.staff_accounts import sign_in
from tests.center_fixtures import take_printed
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)

CARD = "c" * 32  # the keyed hash of a citizen's card, as the daemon sends it


@pytest.fixture
def app(service: CenterService) -> Iterator[TestClient]:
    with TestClient(create_app(service, telemetry_period=0.05)) as c:
        yield c


def signed_in(app: TestClient, staff_no: str) -> TestClient:
    client = TestClient(app.app)
    sign_in(client, staff_no)
    return client


def post(client: TestClient, path: str, body: dict | None = None, status: int = 200) -> dict:
    response = client.post(path, json=body or {})
    assert response.status_code == status, response.text
    return response.json()


def serving_a02(clerk: TestClient, service: CenterService, clock: FakeClock) -> dict:
    """Window 1 (category A) serves 新建商品房转移登记 (A02), whose 契税完税凭证 is 可容缺."""
    ticket = take_printed(service, "kiosk-01", {"category": "A", "item_code": "A02", "citizen_key": CARD})
    post(clerk, "/api/windows/1/call")
    clock.advance(30)
    post(clerk, "/api/windows/1/start")
    clock.advance(300)  # a service of some minutes, as the wait estimates learn them
    return ticket


def at(service: CenterService, day: date) -> datetime:
    return datetime.combine(day, time(10), service.engine.tz)


def test_a_deferred_material_is_promised_shown_listed_alerted_and_fulfilled(
        app: TestClient, service: CenterService, clock: FakeClock) -> None:
    clerk = signed_in(app, "s001")
    post(clerk, "/api/windows/1/sign_in")
    items = {i["code"]: i for i in clerk.get("/api/windows/1").json()["items"]}
    assert items["A02"]["deferrable"] == ["契税完税凭证"]

    serving_a02(clerk, service, clock)
    finish = {"create_case": True, "item_code": "A02"}
    refused = post(clerk, "/api/windows/1/finish", {**finish, "deferred": ["契税完税凭证"]}, 409)  # no 承诺书
    assert refused["message"] == "容缺受理须生成办件并由群众签署承诺书"
    refused = post(clerk, "/api/windows/1/finish", {**finish, "deferred": ["居民身份证"], "pledge_signed": True}, 409)
    assert refused["message"] == "「居民身份证」不可容缺"
    done = post(clerk, "/api/windows/1/finish", {**finish, "deferred": ["契税完税凭证"], "pledge_signed": True})
    case_no = done["result"]["case"]["case_no"]
    [owed] = done["promises"]  # what this window's cases owe
    due = service.calendar.add_working_days(service.engine.local().date(), 5)  # [floor] promise_working_days
    assert (owed["case_no"], owed["material"], owed["due"], owed["pledge_signed"], owed["staff"]) == (
        case_no, "契税完税凭证", due.isoformat(), True, "s001")

    (case,) = service.requests.lookup_case("kiosk-01", {"citizen_key": CARD})["cases"]  # the kiosk's 查
    assert case["owed"] == [{"material": "契税完税凭证", "due": due.isoformat(), "overdue": False}]

    manager = signed_in(app, "m001")
    assert manager.get("/api/control").json()["promises"] == []  # due in 5 business days: not yet listed
    clock.set(at(service, due - timedelta(days=2)))
    manager = signed_in(app, "m001")  # the first session idled out meanwhile
    [listed] = manager.get("/api/control").json()["promises"]
    assert (listed["material"], listed["overdue"]) == ("契税完税凭证", False)

    clock.set(at(service, due + timedelta(days=1)))  # past the deadline, on the hall clock
    service.housekeeping.run()
    [alert] = [a for a in service.engine.list_alerts() if a.kind == "promise_overdue"]
    assert alert.text == f"容缺补交逾期：办件 {case_no} 的「契税完税凭证」应于 {due.isoformat()} 前补交"
    (case,) = service.requests.lookup_case("kiosk-01", {"citizen_key": CARD})["cases"]
    assert case["owed"][0]["overdue"] is True
    manager = signed_in(app, "m001")
    assert manager.get("/api/control").json()["promises"][0]["overdue"] is True

    auditor = signed_in(app, "a001")
    post(auditor, f"/api/promises/{owed['id']}/fulfil", status=403)
    clerk = signed_in(app, "s001")
    kept = post(clerk, f"/api/promises/{owed['id']}/fulfil")
    assert (kept["state"], kept["fulfilled_by"]) == ("fulfilled", "s001")
    assert not any(a.kind == "promise_overdue" for a in service.engine.list_alerts())
    assert service.requests.lookup_case("kiosk-01", {"citizen_key": CARD})["cases"][0]["owed"] == []
    post(clerk, f"/api/promises/{owed['id']}/fulfil", status=409)  # once
    rows = [(r.staff_no, r.target, r.result) for r in audit.latest(service.db, 100) if "fulfil" in r.action]
    assert ("s001", f"promise_id={owed['id']}", "ok") in rows
    assert ("a001", f"promise_id={owed['id']}", "refused: Forbidden") in rows


def test_the_phone_page_of_the_ticket_shows_what_is_owed(app: TestClient, service: CenterService,
                                                         clock: FakeClock) -> None:
    clerk = signed_in(app, "s001")
    post(clerk, "/api/windows/1/sign_in")
    ticket = serving_a02(clerk, service, clock)
    post(clerk, "/api/windows/1/finish", {"create_case": True, "item_code": "A02", "deferred": ["契税完税凭证"],
                                          "pledge_signed": True})
    token = ticket["qr"].rsplit("/t/", 1)[1]
    view = app.get(f"/m/api/t/{token}").json()
    assert view["state"] == "done" and [o["material"] for o in view["owed"]] == ["契税完税凭证"]
    assert view["no_show_rule"] == service.answers.no_show_rule
