"""The hall floor in the scripted day: a 过号 put back in line at its counter, the 帮办 requests
answered by a named helper and closed, and 容缺 promises — one made at a window today, and one
from a case accepted last week that is overdue this morning (`seed_overdue_promise`, written
before the center starts, as the hall's history would have it).

Everything the day does here goes through the center's web API, as its people do: the hall
manager sends the helper from the control room, the helper (导办员, `h001`) marks arrival and
closes, the window's own clerk reactivates the no-show.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from center.catalog_load import load_catalog
from center.config import CenterConfig
from center.db import open_database
from center.promises import record
from center.queue import QueueEngine
from center.service import category_rules
from core.calendar import load_calendar
from core.clock import FakeClock
from core.config import load_config
from hallrig.day_hall import CenterApi, Day

HELPER = "h001"          # the demo's floor helper (hallrig/staff_accounts.py)
ANSWER_AFTER_S = 60      # hall seconds: the manager sends someone
WALK_S = 90              # …the helper reaches the kiosk
HELP_S = 180             # …and helps for this long
OUTCOME = "已协助群众完成自助取号"
DEFERRED = ("A02", "契税完税凭证")  # last week's case: 新建商品房转移登记, its 可容缺 material


def seed_overdue_promise(config_path: Path, today: date) -> str:
    """A case accepted at window 1 on the latest working day whose promise is past due today,
    through the queue engine at that day's hall time; returns its case number."""
    config = load_config(config_path, CenterConfig, environ={})
    calendar = load_calendar(config.calendar)
    days = config.floor.promise_working_days
    made_on = today - timedelta(days=1)
    while not calendar.day(made_on).working or calendar.add_working_days(made_on, days) >= today:
        made_on -= timedelta(days=1)
    clock = FakeClock()
    clock.set(datetime.combine(made_on, time(9, 30), ZoneInfo(config.queue.timezone)))
    db = open_database(config.database)
    try:
        engine = QueueEngine(db, clock, category_rules(load_catalog(config.catalog, calendar)), config.queue,
                             calendar)
        window = config.windows["1"]
        engine.configure_window("1", window.categories, window.name, window.department)
        engine.sign_in("1", "s001")
        engine.issue_ticket("A", "kiosk", item_code=DEFERRED[0])
        engine.call_next("1")
        clock.advance(60)
        engine.start("1")
        clock.advance(600)
        case = engine.finish("1", create_case=True, item_code=DEFERRED[0]).case
        assert case is not None
        record(db, case.case_no, [DEFERRED[1]], calendar.add_working_days(made_on, days), clock.time(), "1", "s001")
        engine.sign_out("1")
        return case.case_no
    finally:
        db.dispose()


class Floor(threading.Thread):
    """The control room and the floor through the day: help answered, one no-show reactivated."""

    def __init__(self, day: Day, windows: list[str], until: float, closed: Callable[[], bool]) -> None:
        """Until hall time `until`, or once the windows are `closed` and no 帮办 is open."""
        super().__init__(name="day-floor", daemon=True)
        self.day, self.windows, self.until, self.closed = day, windows, until, closed
        self.reactivated = False

    def run(self) -> None:
        helper = CenterApi(self.day.api.base)
        try:
            helper.sign_in(HELPER)
            while not self.day.stop.is_set() and self.day.now() < self.until:
                try:
                    open_cases = self.answer(helper)
                    if not self.reactivated:
                        self.reactivate()
                    if self.closed() and not open_cases:
                        break
                except Exception as exc:  # the floor's trouble is the report's, not the day's end
                    self.day.log.fail("floor", exc)
                self.day.sleep(20)
        finally:
            helper.close()

    def answer(self, helper: CenterApi) -> int:
        """Each 帮办 one step further when its time has come; how many are still open."""
        now, api = self.day.now(), self.day.api
        cases = api.get("/api/control")["help_cases"]
        for case in cases:
            if case["state"] == "asked" and now - case["asked_at"] >= ANSWER_AFTER_S:
                api.post(f"/api/help/{case['id']}/assign", {"helper": HELPER})
                self.day.log.count("帮办 helpers sent")
            elif case["state"] == "assigned" and now - case["acknowledged_at"] >= WALK_S:
                helper.post(f"/api/help/{case['id']}/arrive")
            elif case["state"] == "arrived" and now - case["arrived_at"] >= HELP_S:
                helper.post(f"/api/help/{case['id']}/close", {"outcome": OUTCOME})
                self.day.log.count("帮办 answered and closed")
        return len(cases)

    def reactivate(self) -> None:
        """The first no-show back in time is put back in line by its window's clerk."""
        now = self.day.now()
        for code in self.windows:
            for missed in self.day.api.get(f"/api/windows/{code}")["no_shows"]:
                if missed["reactivate_until"] and missed["reactivate_until"] - now > 60:
                    self.day.api.window(code, "reactivate", ticket_id=missed["ticket_id"])
                    self.day.log.count("过号 reactivated")
                    self.reactivated = True
                    return
