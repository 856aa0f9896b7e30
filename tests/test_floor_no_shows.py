"""过号 back in line, through the console's HTTP API on a real CenterService: today's no-shows of
the window with the time left, one touch puts a ticket back by the hall's rule, only the
window's own clerk (or a manager) may, every attempt audited, and the rule printed as configured."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from center import audit, no_shows
from center.db import Database, open_database
from center.queue import QueueEngine
from center.queue_errors import ReactivationExpired
from center.queue_types import QueueSettings
from center.service import CenterService
from center.web import create_app
from core.clock import FakeClock
from daemon.printing import ticket_notice
from hallrig.staff_accounts import sign_in
from tests.center_fixtures import take_printed
from tests.queue_helpers import MONDAY_9, make_categories
from tests.web_fixtures import clips_dir, clock, service  # noqa: F401  (imported, not a plugin)


@pytest.fixture
def app(service: CenterService) -> Iterator[TestClient]:
    with TestClient(create_app(service, telemetry_period=0.05)) as c:
        yield c


def signed_in(app: TestClient, staff_no: str) -> TestClient:
    client = TestClient(app.app)
    sign_in(client, staff_no)
    return client


def act(client: TestClient, action: str, body: dict | None = None, status: int = 200, window: str = "3") -> dict:
    response = client.post(f"/api/windows/{window}/{action}", json=body or {})
    assert response.status_code == status, response.text
    return response.json()


def test_a_no_show_comes_back_at_the_counter_in_its_place_and_is_called_like_any(
        app: TestClient, service: CenterService, clock: FakeClock) -> None:
    clerk = signed_in(app, "s003")
    act(clerk, "sign_in")
    first = take_printed(service, "kiosk-01", {"category": "B"})
    second = take_printed(service, "kiosk-01", {"category": "B"})
    assert first["no_show_rule"] == "过号30分钟内可到窗口恢复，恢复后按原顺序叫号"
    act(clerk, "call")
    clock.advance(90)
    act(clerk, "no_show")
    clock.advance(10 * 60)

    desk = clerk.get("/api/windows/3").json()
    [missed] = desk["no_shows"]
    assert missed["number"] == first["number"]
    assert missed["reactivate_until"] - clock.time() == pytest.approx(20 * 60, abs=1)
    assert desk["no_show_rule"] == first["no_show_rule"]

    other = signed_in(app, "s002")  # window 2's clerk: not their counter
    assert act(other, "reactivate", {"ticket_id": missed["ticket_id"]}, 403)["error"] == "Forbidden"
    auditor = signed_in(app, "a001")
    act(auditor, "reactivate", {"ticket_id": missed["ticket_id"]}, 403)

    seen = service.hub.subscribe()
    back = act(clerk, "reactivate", {"ticket_id": missed["ticket_id"]})
    assert back["result"]["state"] == "waiting" and back["no_shows"] == []
    assert [t["number"] for t in back["queue"]][:2] == [first["number"], second["number"]]  # its original place
    called = act(clerk, "call")["result"]
    assert called["number"] == first["number"]
    kinds = []
    while not seen.empty():
        kinds.append(seen.get_nowait()["kind"])
    service.hub.unsubscribe(seen)
    assert "call" in kinds  # announced on the hall's channels like any call

    rows = [(r.staff_no, r.action, r.result) for r in audit.latest(service.db, 50) if "reactivate" in (r.target or "")]
    assert ("s003", "POST /api/windows/{window}/{action}", "ok") in rows
    assert ("s002", "POST /api/windows/{window}/{action}", "refused: Forbidden") in rows
    assert ("a001", "POST /api/windows/{window}/{action}", "refused: Forbidden") in rows


def test_too_late_or_not_this_windows_no_show_is_refused_in_plain_words(
        app: TestClient, service: CenterService, clock: FakeClock) -> None:
    clerk = signed_in(app, "s003")
    act(clerk, "sign_in")
    take_printed(service, "kiosk-01", {"category": "B"})
    act(clerk, "call")
    missed = act(clerk, "no_show")["result"]
    clock.advance(31 * 60)
    clerk = signed_in(app, "s003")  # the first session has idled out meanwhile
    [listed] = clerk.get("/api/windows/3").json()["no_shows"]
    assert listed["reactivate_until"] < clock.time()
    refused = act(clerk, "reactivate", {"ticket_id": missed["id"]}, 409)
    assert refused["message"] == f"{missed['number']} 过号已超过 30 分钟，请重新取号"

    manager = signed_in(app, "m001")  # a manager may act at any window, but only on its own no-shows
    act(manager, "sign_in", window="2")
    assert act(manager, "reactivate", {"ticket_id": missed["id"]}, 409, window="2")["message"] == "该号不是本窗口今日的过号"


def test_the_rule_in_words_follows_the_config_and_reaches_the_paper() -> None:
    assert no_shows.rule_text(QueueSettings()) == "过号30分钟内可到窗口恢复，恢复后按原顺序叫号"
    assert no_shows.rule_text(QueueSettings(reactivate_within_min=15, reactivate_after_tickets=3)) == (
        "过号15分钟内可到窗口恢复，恢复后排在3位等候者之后")
    assert no_shows.rule_text(QueueSettings(reactivate_within_min=0)) == "过号需重新取号"
    notice = ticket_notice({"number": "B001", "no_show_rule": "过号需重新取号"})
    assert notice.splitlines()[-1] == "过号需重新取号"


@pytest.fixture
def engine_db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(f"sqlite:///{tmp_path / 'queue.db'}")
    yield database
    database.dispose()


def engine_of(db: Database, settings: QueueSettings) -> tuple[QueueEngine, FakeClock]:
    monday = FakeClock(MONDAY_9.timestamp())
    engine = QueueEngine(db, monday, make_categories(), settings)
    engine.configure_window("1", ["A"])
    engine.sign_in("1", "s001")
    return engine, monday


def test_behind_the_next_n_waiting_when_the_hall_says_so(engine_db: Database) -> None:
    engine, monday = engine_of(engine_db, QueueSettings(reactivate_after_tickets=2))
    numbers = []
    for _ in range(4):
        numbers.append(engine.issue_ticket("A", "kiosk").number)
        monday.advance(30)
    engine.call_next("1")
    missed = engine.no_show("1")
    engine.reactivate(missed.id)
    called = []
    for _ in range(4):
        called.append(engine.call_next("1").number)
        engine.start("1")
        engine.finish("1")
    assert called == [numbers[1], numbers[2], numbers[0], numbers[3]]


def test_a_hall_without_reactivation_refuses_it_at_once(engine_db: Database) -> None:
    engine, monday = engine_of(engine_db, QueueSettings(reactivate_within_min=0))
    engine.issue_ticket("A", "kiosk")
    engine.call_next("1")
    missed = engine.no_show("1")
    monday.advance(1)
    [listed] = no_shows.of_window(engine_db, "1", missed.day, engine.settings)
    assert listed.reactivate_until is None
    with pytest.raises(ReactivationExpired):
        engine.reactivate(missed.id)
