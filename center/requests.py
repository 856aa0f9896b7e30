"""Requests from terminals (取号, 预约签到, 查询): each op of mqtt/payloads.RESULTS, its args
checked against its shape, answered with what the citizen is told (center/answers.py)."""
from __future__ import annotations

from typing import Any, Callable

from center.answers import Answers
from center.appointments import Timing
from center.queue import QueueEngine
from mqtt import payloads
from mqtt.payloads import parse


def check_in_note(timing: str | None, slot: str) -> str:
    """What the citizen reads after a check-in: an early one is called from its slot's start."""
    if timing == Timing.EARLY.value:
        return f"您的预约时段 {slot}，时段开始后优先叫号"
    return "已签到，请等候叫号"



class Requests:
    """The link's request handlers, one method per op (`take_number`, `check_in`, `lookup_case`)."""

    def __init__(self, engine: QueueEngine, answers: Answers, queue_changed: Callable[[], None]) -> None:
        self.engine = engine
        self.answers = answers
        self.queue_changed = queue_changed

    def take_number(self, terminal: str, args: dict[str, Any]) -> dict[str, Any]:
        a = parse(payloads.TakeNumber, args)
        if a.answers and a.item_code:
            self.answers.materials(a.item_code, a.answers)  # answers the event does not have: refused before issuing
        # A kiosk prints the ticket and confirms it (ticket_printed); the other channels print nothing.
        view = self.engine.take_number(a.category, a.channel, citizen_key=a.citizen_key, priority=a.priority,
                                       item_code=self.answers.known_item(a.item_code), terminal=terminal,
                                       awaits_print=a.channel == "kiosk")
        self.queue_changed()
        return self.answers.ticket_answer(view.ticket, a.answers, view)

    def check_in(self, terminal: str, args: dict[str, Any]) -> dict[str, Any]:
        a = parse(payloads.CheckIn, args)
        appointment = self.engine.check_in(citizen_key=a.citizen_key, code=a.code, terminal=terminal,
                                           awaits_print=True)  # the kiosk prints the check-in's ticket
        self.queue_changed()
        slot = f"{self.engine.local(appointment.slot_start):%H:%M}-{self.engine.local(appointment.slot_end):%H:%M}"
        return {**self.answers.ticket_answer(appointment.ticket), "slot": slot, "appointment": appointment.code,
                "timing": appointment.timing, "note": check_in_note(appointment.timing, slot)}

    def lookup_case(self, terminal: str, args: dict[str, Any]) -> dict[str, Any]:
        a = parse(payloads.LookupCase, args)
        if a.case_number:
            cases = [self.engine.case(a.case_number)]
        else:
            cases = self.engine.cases_of(str(a.citizen_key))
        return {"cases": [self.answers.case_answer(c) for c in cases]}
