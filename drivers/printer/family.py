"""The ticket printer as the daemon and `onetrip sim` see it."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from core.config import ConfigModel
from drivers.family import Family, SimPart
from drivers.printer.driver import Printer, PrinterSettings
from drivers.printer.sim import PrinterSim


class PrinterSimSettings(ConfigModel):
    tcp_port: int = Field(default=9100, ge=0, le=65535, description="0 = any free port")
    link: str | None = "printer"
    width_dots: Literal[384, 576] = 576
    tickets: str = "tickets"


def build_sim(settings: PrinterSimSettings, run_dir: Path) -> PrinterSim:
    return PrinterSim(run_dir / settings.tickets, tcp_port=settings.tcp_port,
                      link=run_dir / settings.link if settings.link else None, width_dots=settings.width_dots)


FAMILY = Family(
    name="printer", settings=PrinterSettings, driver=Printer,
    sim=SimPart("printer", PrinterSimSettings, build_sim,
                outputs=lambda settings, run_dir: {"tickets": run_dir / settings.tickets}),
    capabilities=("print_ticket", "print_checklist", "test_page"),
)
