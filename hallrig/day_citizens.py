"""Citizens at the kiosks of the scripted day: each kiosk serves its line one person at a time.

A citizen swipes the ID card on the reader simulator (or takes a number without one), asks
the daemon's local API for a number exactly as the Kivy app does, and lifts the card again.
Some check in an appointment (by card, or by scanning the booking's code), some print the
one-time complete notice, some come back after their service to rate it, and one or two ask
for a floor helper. A kiosk whose printer is out sends its citizen to the other kiosk.
"""
from __future__ import annotations

import dataclasses
import heapq
import itertools
import queue
import threading
import time
from pathlib import Path
from typing import Any

from core.catalog import Catalog, paper_materials
from hallrig.apiclient import ApiClient
from hallrig.day_hall import Day, Issued
from hallrig.day_plan import Visitor
from kiosk.ticket_qr import ticket_token

CARD_READ_TIMEOUT_S = 5.0
REROUTE_WALK_S = 45.0  # hall seconds to walk to the other kiosk
PRINTER_REFUSALS = ("PrinterNotReady", "PrintNotConfirmed")  # what a printer that ran out mid-job answers


class KioskLine:
    """The people standing at one kiosk, in order of arrival; served when their time comes."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Visitor]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, visitor: Visitor) -> None:
        with self._cond:
            heapq.heappush(self._heap, (visitor.at, next(self._order), visitor))
            self._cond.notify()

    def close(self) -> None:
        """No one else comes: the kiosk finishes its line and stops."""
        with self._cond:
            self._closed = True
            self._cond.notify()

    def next(self, day: Day) -> Visitor | None:
        with self._cond:
            while not day.stop.is_set():
                if self._heap:
                    left = (self._heap[0][0] - day.now()) / day.clock.speed
                    if left <= 0:
                        return heapq.heappop(self._heap)[2]
                    self._cond.wait(min(left, 0.5))
                elif self._closed:
                    return None
                else:
                    self._cond.wait(0.5)
            return None


class Kiosk(threading.Thread):
    """One self-service terminal and the citizens using it, through its local API."""

    def __init__(self, name: str, day: Day, socket_path: Path, catalog: dict[str, Any]) -> None:
        super().__init__(name=f"day-{name}", daemon=True)
        self.kiosk, self.day, self.socket_path = name, day, socket_path
        self.items = {i["code"]: i for i in catalog.get("items", [])}
        self.catalog = Catalog.from_snapshot(catalog)
        self.line = KioskLine()
        self.elsewhere: KioskLine | None = None  # where citizens go when this kiosk cannot print
        self.api: ApiClient | None = None

    def run(self) -> None:
        try:
            self.api = ApiClient(self.socket_path, timeout=10)
        except OSError as exc:
            self.day.log.fail(f"{self.kiosk}: local API", exc)
            return
        try:
            while (visitor := self.line.next(self.day)) is not None:
                handled = True
                try:
                    handled = self.serve(visitor)
                except Exception as exc:  # one citizen's trouble must not close the kiosk
                    self.day.log.fail(f"{self.kiosk}: {visitor.errand} {visitor.category}", exc)
                finally:
                    if handled and visitor.errand in ("number", "appointment"):
                        self.day.arrived()
        finally:
            self.api.close()

    # ---- one citizen -----------------------------------------------------------------------
    def serve(self, v: Visitor) -> bool:
        """Returns False when the citizen went to the other kiosk instead."""
        if v.errand == "rate":
            issued = self.day.log.issued.get(v.ticket or "")  # the ticket's own QR: a typed number needs the card
            token = ticket_token(self._scan(issued.qr)) if issued and issued.qr else None
            self._ok("rate", **({"ticket_token": token} if token else {"ticket": v.ticket}), level=v.level,
                     reasons=list(v.reasons))
            self.day.log.rated("kiosk", v.level)
            return True
        if v.errand == "helper":
            self._ok("call_helper", topic="不会操作自助机")
            self.day.log.count("helpers called")
            return True
        if v.card is not None:
            self._insert_card(v.card)
        try:
            return self._take(v)
        finally:
            if v.card is not None:
                self.day.consoles[self.kiosk].send("card remove")
            self._ok("forget_citizen")  # what the kiosk app does when the citizen walks away

    def _take(self, v: Visitor) -> bool:
        if v.errand == "appointment":
            args: dict[str, Any] = {"use_card": True} if v.card is not None else {"code": self._scan(v.code or "")}
            op = "check_in"
        else:
            args = {"category": v.category, "item_code": v.item_code, "priority": v.priority,
                    "use_card": v.card is not None}
            op = "take_number"
        started = time.perf_counter()
        reply = self._call(op, **args)
        latency = time.perf_counter() - started
        if not reply["ok"]:
            return self._refused(v, op, reply["error"])
        r = reply["result"]
        channel = "appointment" if op == "check_in" else "kiosk"
        self.day.log.ticket(Issued(int(r["ticket_id"]), r["number"], r["category"], self.day.now(), self.kiosk,
                                   latency, channel, r.get("priority"), r.get("qr") or ""))
        self.day.log.printed(self.kiosk, "appointment" if op == "check_in" else "priority" if r.get("priority")
                             else "ticket", r["number"])
        if v.checklist and v.item_code in self.items:
            self._print_checklist(self.items[v.item_code])
        return True

    def _refused(self, v: Visitor, op: str, error: dict[str, Any]) -> bool:
        kind, message = error.get("type", ""), error.get("message", "")
        if kind == "PrinterNotReady" and self.elsewhere is not None:
            self.day.log.count("sent to the other kiosk (printer out)")
            if "cancelled" in message:
                self.day.log.count("tickets cancelled (print failed)")
            self.elsewhere.put(dataclasses.replace(v, at=self.day.now() + REROUTE_WALK_S))
            return False
        if "NotIssuingNow" in message or "不在取号时间" in message:
            self.day.log.count("turned away (issuing closed)")
        else:
            self.day.log.fail(f"{self.kiosk}: {op} {v.category}", f"{kind}: {message}")
        return True

    def _print_checklist(self, item: dict[str, Any]) -> None:
        days = item.get("promised_days")
        notice = "即来即办：材料齐全当场办结" if days == 0 else f"承诺时限 {days} 个工作日" if days else ""
        reply = self._call("print_checklist", service=item["name"], qr=f"https://hall.example/guide/{item['code']}",
                           materials=paper_materials(self.catalog.notice(item["code"])), notice=notice)
        if not reply["ok"] and reply["error"].get("type") in PRINTER_REFUSALS:
            # the paper-out drill may take the paper between the ticket and its checklist: the
            # kiosk says so on screen and the ticket already lists the materials — not a failure
            self.day.log.count("checklists not printed (printer out)")
            return
        if not reply["ok"]:
            raise RuntimeError(f"print_checklist refused: {reply['error']}")
        self.day.log.count("checklists printed")
        self.day.log.printed(self.kiosk, "checklist", item["code"])

    # ---- the devices, through the simulator console and the local API ------------------------------
    def _drain_events(self) -> None:
        assert self.api is not None
        try:
            while True:
                self.api.events.get_nowait()
        except queue.Empty:
            pass

    def _insert_card(self, index: int) -> dict[str, Any]:
        assert self.api is not None
        self._drain_events()
        answer = self.day.consoles[self.kiosk].send(f"card insert {index}")
        if not answer.startswith("ok"):
            raise RuntimeError(f"card simulator: {answer}")
        return self.api.next_event("card_read", CARD_READ_TIMEOUT_S)

    def _scan(self, code: str) -> str:
        assert self.api is not None
        self._drain_events()
        self.day.consoles[self.kiosk].send(f"scan {code}")
        return str(self.api.next_event("code_scanned", CARD_READ_TIMEOUT_S)["code"])

    def _call(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.api is not None
        return self.api.call(op, **args)

    def _ok(self, op: str, **args: Any) -> dict[str, Any]:
        reply = self._call(op, **args)
        if not reply["ok"]:
            raise RuntimeError(f"{op} refused: {reply['error']}")
        return reply["result"]
