"""The scripted hall day of `onetrip demo` without a display (HEADLESS=1): `run_day(hall)`.

Citizens arrive on the hall's arrival curve (a mid-morning peak), swipe cards and take
numbers at the two kiosks, check in appointments booked beforehand, print checklists, rate
and now and then call a helper; six clerks sign in, call, serve, finish, transfer, give up
on no-shows, hold and call back, and pause; one no-show is put back in line at its counter,
the hall manager sends a helper to each 帮办, and a window accepts a case with a 容缺 promise.
Kiosk-02's printer runs out of paper for a while. Everything happens through the doors people use — the simulators' consoles, the
daemons' local API, the center's web API — on the hall's scaled clock.

The day is the morning session (opening to 12:00, when issuing pauses for lunch, then the
windows serve whoever still waits): at the demo's 60× it takes about four real minutes.
Every wait is bounded and every failure is logged into the report, so `run_day` always
returns the report's path.
"""
from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.clock import ScaledClock
from core.privacy import citizen_key
from drivers.idcard.sim import DEFAULT_CITIZENS
from hallrig.apiclient import ApiClient
from hallrig.day_citizens import Kiosk
from hallrig.day_floor import Floor
from hallrig.day_hall import CenterApi, Day, DayLog, HallEvents, SimConsole
from hallrig.day_plan import SLOT_MIN, Visitor, card_weights, plan_visitors
from hallrig.day_report import Timing, write_report
from hallrig.day_screens import Screens
from hallrig.day_staff import Break, Desk, KeypadDesk, Ratings, Window
from hallrig.privacy_scan import privacy_scan
from hallrig.rig import DEMO_PIN, DEMO_SECRET

if TYPE_CHECKING:
    from hallrig.hall import Hall

__all__ = ["privacy_scan", "run_day"]

log = logging.getLogger("hallrig.day")

STAFF = {"1": "刘芳", "2": "孙磊", "3": "周婷", "4": "吴涛", "5": "郑悦", "6": "何静"}
DRAIN_MIN = 60          # after issuing closes, the windows serve at most this long (hall minutes)
LEAD_IN_S = 60          # hall seconds between the script starting and the first citizen
PEAK_AT = 0.65          # where in the arrival span the screens are photographed
PAPER_OUT = ("kiosk-02", 0.5, 0.07)   # kiosk, when (fraction of the span), how long (fraction)


def run_day(hall: Hall, visitors: int = 240, *, close: dtime = dtime(12, 0), seed: int = 1122) -> Path:
    """Run the scripted day on a started, ready hall; write the report into `hall.work / "report"`."""
    out = hall.work / "report"
    out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the script's own requests are not the hall's news
    started = time.monotonic()
    api = CenterApi(hall.web)
    consoles = {name: SimConsole(t.control) for name, t in hall.terminals.items()}
    daylog = DayLog()
    day: Day | None = None
    screens = Screens(hall.web, out, daylog)
    try:
        screens.start()
        screens.ready.wait(30)  # chromium is up before the day's clock starts counting
        day = _open_day(hall, api, consoles, daylog, close)
        _run(hall, day, visitors, random.Random(seed), screens)
    except Exception as exc:  # the report is written whatever happened
        daylog.fail("the day", exc)
        log.exception("demo day failed")
    finally:
        if day is not None:
            day.stop.set()
        screens.peak.set()
        screens.done.set()
        if screens.is_alive():
            screens.join(60)
    report = out / "report.md"
    try:
        if day is None:
            raise RuntimeError("the day never opened: " + "; ".join(daylog.failures))
        timing = Timing(day.start, day.now(), time.monotonic() - started, hall.speed, visitors)
        report = write_report(hall, day, timing, out, screens.taken)
    except Exception as exc:
        log.exception("demo report failed")
        report.write_text("# Demo day\n\nThe report could not be written: "
                          f"{type(exc).__name__}: {exc}\n\n" + "\n".join(f"- {f}" for f in daylog.failures) + "\n",
                          encoding="utf-8")
    finally:
        api.close()
        for console in consoles.values():
            console.close()
    print(f"demo day: {len(daylog.issued)} tickets, {daylog.counts['calls announced']} calls, "
          f"{len(daylog.ratings)} ratings, {len(daylog.failures)} script failures "
          f"in {time.monotonic() - started:.0f} s", flush=True)
    return report


def _open_day(hall: Hall, api: CenterApi, consoles: dict[str, SimConsole], daylog: DayLog, close: dtime) -> Day:
    """The day's clock follows the center's (the hall time everyone sees), from its `/api/hall`."""
    api.wait_ready()
    api.sign_in("m001")  # the hall manager: the control room and the reports
    info = api.get("/api/hall")
    tz = ZoneInfo(info["tz"])
    clock = ScaledClock(float(info["now"]), hall.speed)
    start = clock.time() + LEAD_IN_S
    closing = datetime.fromtimestamp(start, tz).replace(hour=close.hour, minute=close.minute, second=0, microsecond=0)
    if closing.timestamp() < start + 15 * 60:
        raise ValueError(f"the hall clock is already at {datetime.fromtimestamp(start, tz):%H:%M}: "
                         f"too late for a day that closes at {close:%H:%M}")
    return Day(api, clock, tz, start, closing.timestamp(), consoles, daylog, threading.Event())


def _run(hall: Hall, day: Day, visitors: int, rng: random.Random, screens: Screens) -> None:
    kiosk_names = [n for n, t in hall.terminals.items() if t.printer_port is not None]
    catalog = _catalog(hall.terminals[kiosk_names[0]].socket)
    ages = [card.age_on(day.local().date()) for card in DEFAULT_CITIZENS]
    walk_ins, booked = plan_visitors(rng, catalog.get("items", []), day.local(day.start), day.local(day.close),
                                     visitors, card_weights(ages))
    arrivals = walk_ins + _book(day, booked)
    helpers = [Visitor(day.at(f), "helper") for f in (0.25, 0.7)]
    day.arrivals_left = len(arrivals)
    print(f"demo day: {len(arrivals)} citizens ({len(booked)} booked) from {day.local(day.start):%H:%M}, "
          f"issuing until {day.local(day.close):%H:%M} hall time", flush=True)

    events = HallEvents(hall.web, day.log, day.stop)
    events.start()
    events.connected.wait(5)
    kiosks = [Kiosk(name, day, hall.terminals[name].socket, catalog) for name in kiosk_names]
    for a, b in zip(kiosks, kiosks[1:] + kiosks[:1]):
        a.elsewhere = b.line if b is not a else None
    for v in arrivals + helpers:
        rng.choice(kiosks).line.put(v)

    def rate_at_kiosk(v: Visitor) -> None:
        rng.choice(kiosks).line.put(v)

    windows = _windows(day, rng, rate_at_kiosk)
    floor = Floor(day, list(STAFF), day.close + DRAIN_MIN * 60, lambda: not any(w.is_alive() for w in windows))
    threads: list[threading.Thread] = [*kiosks, *windows, floor,
                                       threading.Thread(target=_paper_out, args=(hall, day), daemon=True)]
    for thread in threads:
        thread.start()
    budget = _budget_s(day)
    timer = threading.Timer(budget, day.stop.set)
    timer.daemon = True
    timer.start()
    hard_stop = time.monotonic() + budget + 30  # every wait inside a window is bounded too
    try:
        if day.wait_until(day.at(PEAK_AT)):
            screens.peak.set()
        for w in windows:
            w.join(max(0.0, hard_stop - time.monotonic()))
        floor.join(max(0.0, hard_stop - time.monotonic()))
        for k in kiosks:
            k.line.close()  # the last ratings at the kiosks, then home
        for k in kiosks:
            k.join(30)
        _settle(day)
    finally:
        timer.cancel()


def _settle(day: Day, timeout: float = 5.0) -> None:
    """The last ratings travel through the terminals' outboxes: let the center have them first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not day.stop.is_set():
        if day.api.get("/api/reports")["rows"][-1]["ratings"] >= len(day.log.ratings):
            return
        time.sleep(0.1)


def _budget_s(day: Day) -> float:
    """Real seconds the day may take at most: the span, the drain limit, and a minute of slack."""
    return (day.close + DRAIN_MIN * 60 - day.now()) / day.clock.speed + 60


def _catalog(socket_path: Path) -> dict[str, Any]:
    client = ApiClient(socket_path, timeout=10)
    try:
        reply = client.call("catalog")
        if not reply["ok"]:
            raise RuntimeError(f"catalog: {reply['error']}")
        return reply["result"]
    finally:
        client.close()


def _book(day: Day, booked: list[tuple[Visitor, datetime]]) -> list[Visitor]:
    """Book the slots through the center's appointment API; code check-ins get their booking's code."""
    secret = DEMO_SECRET.encode()
    visitors = []
    for i, (v, slot) in enumerate(booked):
        key = (DEFAULT_CITIZENS[v.card].citizen_key(secret) if v.card is not None
               else citizen_key(f"APPT{i:04d}", secret))  # someone else who booked online
        try:
            appointment = day.api.book({
                "category": v.category, "item_code": v.item_code, "citizen_key": key, "channel": "web",
                "slot_start": slot.isoformat(), "slot_end": (slot + timedelta(minutes=SLOT_MIN)).isoformat()})
        except Exception as exc:
            day.log.fail(f"booking {slot:%H:%M} {v.category}", exc)
            continue
        visitors.append(v if v.card is not None else dataclasses.replace(v, code=appointment["code"]))
        day.log.count("appointments booked")
    return visitors


def _windows(day: Day, rng: random.Random, rate_at_kiosk: Callable[[Visitor], None]) -> list[Window]:
    """The clerks: a keypad desk where the hall config puts the window on a bus, else the console."""
    ratings = Ratings(random.Random(rng.random()))
    span = day.close - day.start

    def brk(at: float, length_s: float) -> tuple[Break, ...]:
        start = day.at(at)
        reason = "午休" if day.local(start).hour >= 11 else "临时离岗"
        return (Break(start, start + min(length_s, 0.12 * span), reason),)

    breaks = {"4": brk(0.40, 10 * 60), "5": brk(0.80, 30 * 60), "6": brk(0.90, 30 * 60)}
    made = []
    for code, staff in STAFF.items():
        bus = day.api.get(f"/api/windows/{code}")["bus"]
        desk = KeypadDesk(code, day, bus) if bus else Desk(code, day)
        made.append(Window(desk, day, random.Random(rng.random()), ratings, staff,
                           breaks=breaks.get(code, ()), hold_at=day.at(0.5) if code == "6" else None,
                           rate_at_kiosk=None if bus else rate_at_kiosk, drain_until=day.close + DRAIN_MIN * 60,
                           no_show_at=day.at(0.3) if code == "6" else None,
                           promise_at=day.at(0.2) if code == "6" else None))
    return made


def _paper_out(hall: Hall, day: Day) -> None:
    """Kiosk-02's roll runs out; the control room sees 缺纸, a maintainer changes it in maintenance mode."""
    kiosk, at, length = PAPER_OUT
    if kiosk not in hall.terminals or not day.wait_until(day.at(at)):
        return
    try:
        day.consoles[kiosk].send("printer paper out")
        day.log.count("paper-out episodes")
        if not day.wait_until(day.at(at + length)):
            return
        day.consoles[kiosk].send("printer paper ok")
        client = ApiClient(hall.terminals[kiosk].socket, timeout=10)
        try:
            for op, args in (("maintenance", {"enter": True, "pin": DEMO_PIN}), ("paper_changed", {}),
                             ("maintenance", {"enter": False})):
                reply = client.call(op, **args)
                if not reply["ok"]:
                    day.log.fail(f"{kiosk} maintenance {op}", str(reply["error"]))
        finally:
            client.close()
    except Exception as exc:
        day.log.fail(f"{kiosk} paper change", exc)
