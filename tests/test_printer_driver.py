"""The printer driver against the simulated printer, over TCP (port 9100 style) and over a pty."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image

from core.devstate import Condition, DeviceState, Reason
from drivers.printer.driver import Printer, PrinterNotReady, PrinterSettings, PrintNotConfirmed
from drivers.printer.job import sample_ticket
from drivers.printer.render import render_raster, render_text
from drivers.printer.sim import PrinterSim
from tests.conftest import wait_until


@dataclass
class Rig:
    sim: PrinterSim
    printer: Printer
    states: list[Condition]

    def condition_is(self, state: DeviceState, reason: Reason = Reason.NONE, timeout: float = 5.0) -> None:
        wait_until(lambda: (self.printer.condition.state, self.printer.condition.reason) == (state, reason),
                   timeout)


def make_rig(tmp_path: Path, link: str, **overrides: object) -> Iterator[Rig]:
    tcp = link == "tcp"
    sim = PrinterSim(tmp_path / "out", tcp_port=0 if tcp else None, link=None if tcp else tmp_path / "ttyPRN")
    sim.start()
    where = {"transport": "tcp", "tcp_port": sim.tcp_port} if tcp else {"port": str(tmp_path / "ttyPRN")}
    settings = PrinterSettings(**{**where, "poll_interval": 0.3, "reply_timeout": 0.3,  # type: ignore[arg-type]
                                  "confirm_timeout": 1.0, **overrides})
    states: list[Condition] = []
    printer = Printer.from_settings("printer", settings, on_state=lambda name, c: states.append(c))
    printer.start()
    rig = Rig(sim, printer, states)
    rig.condition_is(DeviceState.ONLINE)
    try:
        yield rig
    finally:
        printer.stop()
        sim.stop()


@pytest.fixture(params=["tcp", "pty"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    yield from make_rig(tmp_path, request.param)


def test_happy_path_prints_a_ticket(rig: Rig) -> None:
    result = rig.printer.print_ticket("job-1", sample_ticket(notice="（A001）"))
    assert result.ticket_count == 1 and result.status.online
    (ticket,) = rig.sim.tickets
    assert "（A001）" in ticket.lines  # the punctuation-only CJK line python-escpos gets wrong
    assert {"市民中心", "不动产登记", "A023", "您前面还有 12 人等候"} <= set(ticket.lines)
    assert ticket.qr == ["https://zwfw.example.gov.cn/q/smzx/A023?d=20250901"]
    with Image.open(ticket.png) as png:
        assert png.width == 576 + 48 and png.height > 900
    assert rig.printer.get_status()["info"]["tickets_since_paper_change"] == 1


def test_raster_ticket_prints_the_picture(rig: Rig) -> None:
    rig.printer.print_job("job-r", render_raster(sample_ticket(), 576))
    (ticket,) = rig.sim.tickets
    assert ticket.images >= 1 and ticket.lines == []


def test_the_same_job_id_prints_once(rig: Rig) -> None:
    first = rig.printer.print_job("job-7", render_text(sample_ticket()))
    again = rig.printer.print_job("job-7", render_text(sample_ticket()))
    assert again == first
    assert len(rig.sim.tickets) == 1
    rig.printer.print_job("job-8", render_text(sample_ticket()))
    assert len(rig.sim.tickets) == 2


def test_paper_out_refuses_without_a_ticket(rig: Rig) -> None:
    rig.sim.handle_command(["printer", "paper", "out"])
    with pytest.raises(PrinterNotReady) as refused:
        rig.printer.print_job("job-1", render_text(sample_ticket()))
    assert refused.value.reason is Reason.PAPER_OUT
    assert rig.sim.tickets == []
    rig.condition_is(DeviceState.OFFLINE, Reason.PAPER_OUT)
    rig.sim.handle_command(["printer", "paper", "ok"])
    rig.condition_is(DeviceState.ONLINE)
    rig.printer.print_job("job-1", render_text(sample_ticket()))  # refused ids may be retried
    assert len(rig.sim.tickets) == 1


def test_cover_open_refuses(rig: Rig) -> None:
    rig.sim.handle_command(["printer", "cover", "open"])
    with pytest.raises(PrinterNotReady) as refused:
        rig.printer.print_job("job-1", render_text(sample_ticket()))
    assert refused.value.reason is Reason.COVER_OPEN
    rig.condition_is(DeviceState.OFFLINE, Reason.COVER_OPEN)
    assert rig.sim.tickets == []


def test_cutter_error_is_named(rig: Rig) -> None:
    rig.sim.handle_command(["cutter", "error"])
    rig.condition_is(DeviceState.OFFLINE, Reason.CUTTER_ERROR)
    with pytest.raises(PrinterNotReady) as refused:
        rig.printer.print_job("job-1", render_text(sample_ticket()))
    assert refused.value.reason is Reason.CUTTER_ERROR


def test_paper_low_is_degraded_and_still_prints(rig: Rig) -> None:
    rig.sim.handle_command(["printer", "paper", "low"])
    rig.condition_is(DeviceState.DEGRADED, Reason.PAPER_LOW)
    result = rig.printer.print_job("job-1", render_text(sample_ticket()))
    assert result.status.paper_near_end
    assert len(rig.sim.tickets) == 1


def test_silent_printer_goes_offline_and_refuses(rig: Rig) -> None:
    rig.sim.handle_command(["printer", "silent", "on"])
    rig.condition_is(DeviceState.OFFLINE, Reason.NO_ANSWER)
    with pytest.raises(PrinterNotReady) as refused:
        rig.printer.print_job("job-1", render_text(sample_ticket()))
    assert refused.value.reason is Reason.NO_ANSWER
    rig.sim.handle_command(["printer", "silent", "off"])
    rig.condition_is(DeviceState.ONLINE)


def test_unplug_goes_offline_and_replug_comes_back(rig: Rig) -> None:
    rig.sim.handle_command(["unplug"])
    rig.condition_is(DeviceState.OFFLINE, Reason.PORT_GONE, timeout=20.0)
    with pytest.raises(PrinterNotReady):
        rig.printer.print_job("job-1", render_text(sample_ticket()))
    rig.sim.handle_command(["replug"])
    rig.condition_is(DeviceState.ONLINE, timeout=20.0)
    rig.printer.print_job("job-1", render_text(sample_ticket()))
    assert len(rig.sim.tickets) == 1


def test_no_status_after_the_job_is_not_a_success(rig: Rig) -> None:
    rig.sim.on_ticket = lambda ticket: rig.sim.handle_command(["silent", "on"])
    with pytest.raises(PrintNotConfirmed) as unconfirmed:
        rig.printer.print_job("job-1", render_text(sample_ticket()))
    assert unconfirmed.value.reason is Reason.NO_ANSWER
    assert rig.printer.tickets_since_paper_change == 0


def test_paper_running_out_during_the_job_is_reported(tmp_path: Path) -> None:
    for rig in make_rig(tmp_path, "tcp"):
        rig.sim.on_ticket = lambda ticket: rig.sim.handle_command(["paper", "out"])
        with pytest.raises(PrintNotConfirmed) as unconfirmed:
            rig.printer.print_job("job-1", render_text(sample_ticket()))
        assert unconfirmed.value.reason is Reason.PAPER_OUT
        assert rig.printer.condition.reason is Reason.PAPER_OUT


def test_dle_eot_confirmation_for_printers_without_gs_r(tmp_path: Path) -> None:
    for rig in make_rig(tmp_path, "tcp", confirm="dle_eot"):
        assert rig.printer.print_job("job-1", render_text(sample_ticket())).ticket_count == 1
        assert len(rig.sim.tickets) == 1


def test_paper_change_restarts_the_count(tmp_path: Path) -> None:
    for rig in make_rig(tmp_path, "tcp"):
        for n in range(3):
            assert rig.printer.print_job(f"job-{n}", render_text(sample_ticket())).ticket_count == n + 1
        rig.printer.mark_paper_changed()
        assert rig.printer.print_job("job-9", render_text(sample_ticket())).ticket_count == 1


def test_state_changes_are_reported_once_each(tmp_path: Path) -> None:
    for rig in make_rig(tmp_path, "tcp"):
        rig.sim.handle_command(["paper", "low"])
        rig.condition_is(DeviceState.DEGRADED, Reason.PAPER_LOW)
        time.sleep(1.0)  # three more polls with the same answer
        assert [(c.state, c.reason) for c in rig.states] == [
            (DeviceState.ONLINE, Reason.NONE), (DeviceState.DEGRADED, Reason.PAPER_LOW)]


def test_sim_text_interface(tmp_path: Path) -> None:
    sim = PrinterSim(tmp_path, tcp_port=None)
    assert sim.handle_command(["printer", "paper", "low"]).startswith("printer")
    assert "paper low" in sim.describe()
    assert sim.handle_command(["cover", "open"]).count("cover open") == 1
    assert sim.handle_command(["printer", "fly"]).startswith("error: unknown printer command")
    assert sim.handle_command(["tickets"]) == "0 tickets; last: -"
