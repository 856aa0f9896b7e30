"""Clerks at the windows of the scripted day: call, serve, finish, and the rest of hall.md §3.

Windows on the window bus (1–4): their clerks press the caller keypad (call, recall,
give-up, evaluate, pause) through the bus simulator, and the citizen rates on the pad.
The keypad has no "start" key, so the clerk marks the citizen sitting down on the counter
console (开始办理); otherwise the next call would both start and end the service, and every
service at a keypad window would last zero minutes.
Windows 5–6 work the counter console alone (the web API): call, start, finish with a case,
no-show, transfer, hold and call back, pause for lunch; their citizens rate at a kiosk.
"""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hallrig.day_hall import CenterError, Day
from hallrig.day_plan import (
    BAD_REASONS,
    NO_SHOW_SHARE,
    TRANSFER_TO,
    Visitor,
    rating_level,
    service_seconds,
)

STATE_TIMEOUT_S = 3.0        # real seconds for a key press to show in the center
POLL_S = 0.05                # how often a clerk glances at the console after a key press
KEYPAD_RATE_SHARE = 0.55     # citizens who press the pad when it lights
KIOSK_RATE_SHARE = 0.20      # citizens of windows 5–6 who go back to a kiosk to rate
CASE_SHARE = 0.7             # finished services that open a case (办件)
TRANSFER_SHARE = 0.05


@dataclass(frozen=True)
class Called:
    number: str
    ticket_id: int | None
    category: str


@dataclass(frozen=True)
class Break:
    start: float   # hall time
    end: float
    reason: str


class Ratings:
    """Levels for the whole hall: drawn from the day's distribution, and the third rating of
    the day is a 差评 for certain, so every day has a follow-up to show."""

    def __init__(self, rng: random.Random) -> None:
        self.rng, self.given = rng, 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self.given += 1
            return 2 if self.given == 3 else rating_level(self.rng)


class Desk:
    """The web half every window has: the counter console's JSON API."""

    keypad = False

    def __init__(self, code: str, day: Day) -> None:
        self.code, self.day = code, day

    @property
    def busy(self) -> bool:
        """A citizen is already called to the window (a keypad's `call` both ends and calls)."""
        return False

    def view(self) -> dict[str, Any]:
        return self.day.api.get(f"/api/windows/{self.code}")["window"]

    def web(self, action: str, **body: Any) -> Any:
        return self.day.api.window(self.code, action, **body)

    def waiting(self, categories: list[str]) -> int:
        return sum(c["waiting"] for c in self.day.api.get("/api/display")["categories"] if c["category"] in categories)

    def call(self) -> Called | None:
        try:
            result = self.web("call")["result"]
        except CenterError as exc:
            if exc.name == "NoTicketWaiting":
                return None
            raise
        return Called(result["number"], result["ticket_id"], result["category"])

    def start(self) -> None:
        self.web("start")

    def recall(self) -> None:
        self.web("recall")

    def no_show(self) -> None:
        self.web("no_show")

    def hold(self) -> None:
        self.web("hold")

    def call_back(self, held: Called) -> Called:
        self.web("call_back", ticket_id=held.ticket_id)
        return held

    def finish(self, level: int | None, case: bool, call_next: bool = True) -> None:
        """办结; `level` is for rating pads, `call_next` for keypads (the console does neither)."""
        self.web("finish", create_case=case)

    def finish_deferred(self) -> bool:
        """容缺受理 at the console: the case accepted with one 可容缺 material promised on the
        citizen's signed 承诺书 — the ticket's item, else an item of its category that has one.
        False (nothing done) when the category has no such item."""
        view = self.day.api.get(f"/api/windows/{self.code}")
        ticket = view["ticket"] or {}
        items = sorted((i for i in view["items"] if i["deferrable"] and i["category"] == ticket.get("category")),
                       key=lambda i: i["code"] != ticket.get("item_code"))
        if not items:
            return False
        self.web("finish", create_case=True, item_code=items[0]["code"], deferred=items[0]["deferrable"][:1],
                 pledge_signed=True)
        return True

    def pause(self, reason: str) -> bool:
        self.web("pause", reason=reason)
        return True

    def resume(self) -> None:
        self.web("resume")


class KeypadDesk(Desk):
    """A bus window: the caller keypad and rating pad through `onetrip sim`, plus the console's start."""

    keypad = True

    def __init__(self, code: str, day: Day, console_name: str) -> None:
        super().__init__(code, day)
        self.console = day.consoles[console_name]
        self.pending: Called | None = None  # called by the `call` key that finished the last service
        self.pressed_at = 0.0

    @property
    def busy(self) -> bool:
        return self.pending is not None

    def key(self, *words: str) -> None:
        """A key on this window's caller keypad or rating pad (`rate 5`)."""
        answer = self.console.send(f"bus key {self.code} {' '.join(words)}")
        if "pressed" not in answer:
            raise RuntimeError(f"bus simulator: {answer}")
        self.pressed_at = time.monotonic()

    def until(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The window's view once `check` holds (the press went bus → daemon → MQTT → center)."""
        deadline = time.monotonic() + STATE_TIMEOUT_S
        while time.monotonic() < deadline and not self.day.stop.is_set():
            view = self.view()
            if check(view):
                self.day.log.keypad(time.monotonic() - self.pressed_at)
                return view
            time.sleep(POLL_S)
        return None

    def _called(self, view: dict[str, Any] | None, before: str | None) -> Called | None:
        if view is None or view["state"] != "calling" or view["ticket_number"] == before:
            return None
        return Called(view["ticket_number"], None, view["ticket_number"][0])

    def call(self) -> Called | None:
        if self.pending is not None:
            called, self.pending = self.pending, None
            return called
        view = self.view()
        if not self.waiting(list(view["categories"])):
            return None
        self.key("call")  # another window may take the last citizen first: then the center refuses
        return self._called(self.until(lambda v: v["state"] == "calling"), view["ticket_number"])

    def recall(self) -> None:
        self.key("recall")

    def no_show(self) -> None:
        self.key("give-up")
        self.until(lambda v: v["state"] == "idle")

    def finish(self, level: int | None, case: bool, call_next: bool = True) -> None:
        """`evaluate` ends the service and lights the pad; `call` ends it and calls the next; before a
        break the clerk ends it on the console instead, so that no one is called to a closing window."""
        before = self.view()["ticket_number"]
        if level is None and not call_next:
            super().finish(None, case)
            return
        if level is not None:
            self.key("evaluate")
            self.until(lambda v: v["state"] == "idle")
            self.key("rate", str(level))
            return
        self.key("call")
        view = self.until(lambda v: v["state"] != "serving")
        if view is not None and view["state"] == "idle" and self.waiting(list(view["categories"])):
            # the center ends the service, then calls: idle may be the moment between, for as long
            # as a loaded machine makes it; with someone waiting, the call is still coming
            view = self.until(lambda v: v["state"] == "calling") or self.view()
        self.pending = self._called(view, before)

    def pause(self, reason: str) -> bool:
        self.key("pause")  # the keypad's pause toggles; the center names it 窗口暂停
        return self.until(lambda v: v["state"] == "paused") is not None

    def resume(self) -> None:
        self.key("pause")
        self.until(lambda v: v["state"] == "idle")


class Window(threading.Thread):
    """One clerk's day: sign in, serve until the hall is empty, take the scripted breaks, sign out."""

    def __init__(self, desk: Desk, day: Day, rng: random.Random, ratings: Ratings, staff: str,
                 breaks: tuple[Break, ...] = (), hold_at: float | None = None,
                 rate_at_kiosk: Callable[[Visitor], None] | None = None, drain_until: float = 0.0,
                 no_show_at: float | None = None, promise_at: float | None = None) -> None:
        super().__init__(name=f"day-window-{desk.code}", daemon=True)
        self.desk, self.day, self.rng, self.ratings, self.staff = desk, day, rng, ratings, staff
        self.breaks = list(breaks)
        self.hold_at = hold_at     # console windows only: hold one citizen once, after this hall time
        self.no_show_at = no_show_at  # one citizen called after this hall time does not come (过号)
        self.promise_at = promise_at  # console windows only: one case after this accepted with 容缺
        self.held: Called | None = None
        self.served_since_hold = 0
        self.rate_at_kiosk = rate_at_kiosk
        self.drain_until = drain_until
        self.categories: list[str] = []

    def run(self) -> None:
        try:
            self.categories = list(self.desk.web("sign_in", staff=self.staff)["window"]["categories"])
            self.work()
        except Exception as exc:
            self.day.log.fail(f"window {self.desk.code}", exc)

    def work(self) -> None:
        while not self.day.stop.is_set() and self.day.now() < self.drain_until:
            try:
                self.take_break()
                called = self.held_back() or self.desk.call()
                if called is None:
                    if self.day.arrivals_done and self.held is None and not self.desk.waiting(self.categories):
                        break
                    self.day.sleep(20)
                    continue
                self.serve(called)
            except Exception as exc:  # one citizen's trouble must not close the window
                self.day.log.fail(f"window {self.desk.code}", exc)
                self.day.sleep(30)
        self.close_counter()

    def held_back(self) -> Called | None:
        """The held citizen is back with the paper: called back once the next citizen was served."""
        if self.held is None or self.served_since_hold < 1:
            return None
        held, self.held = self.held, None
        self.day.log.count("called back after hold")
        return self.desk.call_back(held)

    def serve(self, called: Called) -> None:
        day, rng, log = self.day, self.rng, self.day.log
        if rng.random() < NO_SHOW_SHARE or self._scripted("no_show_at"):
            day.sleep(60)
            self.desk.recall()
            day.sleep(60)
            self.desk.no_show()
            log.count("no-shows (given up)")
            return
        day.sleep(rng.uniform(20, 60))  # walking up to the counter
        self.desk.start()
        if self.hold_at is not None and day.now() >= self.hold_at:
            self.hold(called)
            return
        if not self.desk.keypad and rng.random() < TRANSFER_SHARE:
            day.sleep(rng.uniform(30, 90))
            self.desk.web("transfer", category=TRANSFER_TO.get(called.category, "G"))
            log.count("transfers")
            return
        day.sleep(service_seconds(rng, called.category))
        level = self.ratings.next() if self.desk.keypad and rng.random() < KEYPAD_RATE_SHARE else None
        if self.promise_at is not None and day.now() >= self.promise_at and self.desk.finish_deferred():
            self.promise_at = None
            log.count("容缺 promises recorded")
        else:
            self.desk.finish(level, case=rng.random() < CASE_SHARE, call_next=not self.break_due())
        self.served_since_hold += 1
        if level is not None:
            log.rated("pad", level)
        if not self.desk.keypad and self.rate_at_kiosk is not None and rng.random() < KIOSK_RATE_SHARE:
            level = self.ratings.next()
            reasons = tuple(rng.choice(BAD_REASONS)) if level <= 2 else ()
            self.rate_at_kiosk(Visitor(day.now() + rng.uniform(60, 180), "rate", called.category,
                                       ticket=called.number, level=level, reasons=reasons))

    def hold(self, called: Called) -> None:
        """挂起 once a day: the citizen went to copy a missing paper; called back after the next one."""
        self.day.sleep(self.rng.uniform(60, 120))
        self.desk.hold()
        self.held, self.hold_at, self.served_since_hold = called, None, 0
        self.day.log.count("holds")

    def _scripted(self, moment: str) -> bool:
        """A once-a-day scripted moment (`no_show_at`) has come: True once, then never again."""
        at = getattr(self, moment)
        if at is None or self.day.now() < at:
            return False
        setattr(self, moment, None)
        return True

    def break_due(self) -> bool:
        return bool(self.breaks) and self.day.now() >= self.breaks[0].start

    def take_break(self) -> None:
        if not self.break_due() or self.desk.busy:
            return
        brk = self.breaks.pop(0)
        if not self.desk.pause(brk.reason):
            self.day.log.fail(f"window {self.desk.code}", "the pause key did not pause the window")
            return
        self.day.log.count("pauses")
        self.day.wait_until(brk.end)
        self.desk.resume()

    def close_counter(self) -> None:
        """The clerk signs out, unless the day was cut short with a citizen still at the counter."""
        try:
            if self.desk.view()["state"] == "idle":
                self.desk.web("sign_out")
        except CenterError as exc:
            self.day.log.fail(f"window {self.desk.code} closing", exc)
