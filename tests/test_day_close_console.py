"""日终清场 at the console: the window API keys a window's ticket by id, never by number, so a
window still busy across midnight shows its own ticket (split from tests/test_day_close.py so
the queue's and the web's `clock` fixtures never meet in one module)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from starlette.testclient import TestClient

from center.queue_types import TicketState
from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from hallrig.staff_accounts import sign_in
from tests.center_fixtures import take_printed
from tests.queue_helpers import TZ
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (fixtures, kept in this module)

S = TicketState
TUESDAY_1630 = datetime(2026, 11, 24, 16, 30, tzinfo=TZ)


# -- the console, through the real web app ------------------------------------------------------

@pytest.fixture
def client(service: CenterService) -> Iterator[TestClient]:
    with TestClient(create_app(service, telemetry_period=0.05)) as c:
        yield c


def test_the_console_across_midnight(client: TestClient, service: CenterService, clock: FakeClock) -> None:
    clock.set(TUESDAY_1630)
    sign_in(client, "m001")  # the hall manager, who may act at every window
    for window in ("1", "3"):
        assert client.post(f"/api/windows/{window}/sign_in", ).status_code == 200
    take_printed(service, "kiosk-01", {"category": "A"})
    take_printed(service, "kiosk-01", {"category": "B"})
    assert client.post("/api/windows/1/call").json()["ticket"]["number"] == "A001"
    client.post("/api/windows/3/call"), client.post("/api/windows/3/start")
    b001 = client.get("/api/windows/3").json()["ticket"]
    assert (b001["number"], b001["state"], b001["day"]) == ("B001", "serving", "2026-11-24")

    clock.set(datetime(2026, 11, 25, 0, 0, 1, tzinfo=TZ))
    service.housekeeping.run()  # the loop does the same every half second
    assert client.get("/api/windows/1").status_code == 401  # hours idle: the session has ended
    sign_in(client, "m001")
    for window in ("1", "3"):
        view = client.get(f"/api/windows/{window}")
        assert view.status_code == 200, view.text
        assert view.json()["window"]["state"] == "closed" and view.json()["ticket"] is None
    assert service.engine.ticket(b001["id"]).state is S.DAY_CLOSED

    clock.set(datetime(2026, 11, 25, 8, 30, tzinfo=TZ))
    sign_in(client, "m001")  # a new day, a new sign-in
    client.post("/api/windows/3/sign_in")
    today = take_printed(service, "kiosk-01", {"category": "B"})
    assert today["number"] == "B001" and int(today["ticket_id"]) != b001["id"]
    called = client.post("/api/windows/3/call").json()
    assert (called["ticket"]["id"], called["ticket"]["day"]) == (int(today["ticket_id"]), "2026-11-25")
    transferred = client.post("/api/windows/3/transfer", json={"category": "C"}).json()
    assert transferred["result"]["id"] == int(today["ticket_id"])  # the current ticket, by id
    report = client.get("/api/reports?day=2026-11-24&by=category").json()
    assert report["rows"][-1]["day_closed"] == 2

