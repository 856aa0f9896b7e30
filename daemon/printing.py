"""Turns what the center and the kiosk ask for into printed paper, or a clear refusal.

The printer's state is checked before anything is asked of the center, and the driver
confirms every job with the printer's status afterwards; a job id makes each print
idempotent, so a repeated command never prints a second ticket.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import Clock, local_datetime
from core.devstate import DeviceState, Reason
from daemon.supervisor import Supervisor
from drivers.printer.driver import Printer, PrinterNotReady, PrintResult
from drivers.printer.job import Checklist, MaterialLine, PrintJob, QueueSlip
from drivers.registry import PRINTER


def materials(items: list[dict[str, Any]]) -> tuple[MaterialLine, ...]:
    return tuple(MaterialLine(name=m["name"], note=m.get("note", ""), optional=bool(m.get("optional")),
                          deferrable=bool(m.get("deferrable"))) for m in items)


def ticket_notice(t: dict[str, Any]) -> str:
    """What the window must know at a glance: 绿色通道 or the appointment's slot, a line each,
    then the hall's 过号 rule."""
    lines = []
    if t.get("slot"):
        lines.append(f"预约时段 {t['slot']}，请按时办理")
    if t.get("priority"):
        lines.append(f"绿色通道（{t.get('priority_name') or t['priority']}）优先办理，请在窗口出示相关证件")
    if t.get("no_show_rule"):  # the hall's own words, from the center
        lines.append(str(t["no_show_rule"]))
    return "\n".join(lines)


def queue_slip(hall: str, t: dict[str, Any], at: datetime) -> QueueSlip:
    """The queue slip for the center's ticket answer (core/answers.py TicketAnswer)."""
    return QueueSlip(hall=hall, number=t["number"], service=t.get("service") or t["category_name"],
                     people_ahead=int(t.get("ahead", 0)),
                     wait_minutes=None if t.get("wait_min") is None else (int(t["wait_min"]), int(t["wait_max"])),
                     issued_at=at, qr=t.get("qr") or f"onetrip:ticket:{t['number']}",
                     materials=materials(t.get("materials", [])), notice=ticket_notice(t),
                     window_area=str(t.get("window_area") or ""))


class TicketPrinter:
    def __init__(self, supervisor: Supervisor, hall_name: str, clock: Clock) -> None:
        self.supervisor = supervisor
        self.hall_name = hall_name
        self.clock = clock

    def printer(self) -> Printer:
        printer = self.supervisor.by_family(PRINTER)
        if not isinstance(printer, Printer):  # None: the terminal's config names no printer
            raise PrinterNotReady(Reason.DISABLED, "this terminal has no printer")
        return printer

    def check_ready(self) -> None:
        """Raise PrinterNotReady unless the printer can take a job right now."""
        printer = self.printer()
        condition = printer.condition
        if condition.state in (DeviceState.OFFLINE, DeviceState.CONNECTING):
            raise PrinterNotReady(condition.reason or Reason.NO_ANSWER,
                                  f"printer {condition.state.value}: {condition.reason.value or 'not ready'}")

    def _print(self, job_id: str, job: PrintJob) -> dict[str, Any]:
        result: PrintResult = self.printer().print_ticket(job_id, job)
        return {"job_id": result.job_id, "bytes": result.bytes_sent, "tickets_since_paper": result.ticket_count}

    def _now(self) -> datetime:
        return local_datetime(self.clock.time())

    def print_ticket(self, job_id: str, t: dict[str, Any]) -> dict[str, Any]:
        return self._print(job_id, queue_slip(self.hall_name, t, self._now()))

    def print_checklist(self, job_id: str, args: dict[str, Any]) -> dict[str, Any]:
        checklist = Checklist(hall=self.hall_name, service=str(args["service"]),
                              materials=materials(args.get("materials", [])), issued_at=self._now(),
                              notice=str(args.get("notice", "")), qr=str(args.get("qr", "")))
        return self._print(job_id, checklist)

    def test_page(self, job_id: str) -> dict[str, Any]:
        status = self.printer().get_status()
        lines = [MaterialLine(name=f"{k}: {v}") for k, v in status["counters"].items()]
        return self._print(job_id, Checklist(hall=self.hall_name, service="打印测试页 TEST PAGE", materials=tuple(lines),
                                             issued_at=self._now(), notice=f"state {status['state']}"))
