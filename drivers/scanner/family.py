"""The QR scanner as the daemon and `onetrip sim` see it: each code goes to the kiosk."""
from __future__ import annotations

from pathlib import Path

from core.config import ConfigModel
from drivers.family import Family, Route, SimPart
from drivers.scanner.codec import CodeScanned
from drivers.scanner.driver import Scanner, ScannerSettings
from drivers.scanner.sim import ScannerSim


class ScannerSimSettings(ConfigModel):
    node: str = "scanner.events"


def route(event: object) -> Route | None:
    return Route("kiosk", "code_scanned", {"code": event.code}) if isinstance(event, CodeScanned) else None


def build_sim(settings: ScannerSimSettings, run_dir: Path) -> ScannerSim:
    return ScannerSim(run_dir / settings.node)


FAMILY = Family(
    name="scanner", settings=ScannerSettings, driver=Scanner,
    sim=SimPart("scanner", ScannerSimSettings, build_sim, usage="scan <code> | scanner …", aliases=("scan",)),
    capabilities=("scan_code",), route=route, kiosk_events=("code_scanned",),
)
