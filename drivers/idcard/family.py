"""The ID-card reader as the daemon and `onetrip sim` see it: its reads go to the kiosk only."""
from __future__ import annotations

from pathlib import Path

from core.config import ConfigModel
from drivers.family import Family, Route, SimPart
from drivers.idcard.driver import CardError, CardRead, CardRemoved, IdCardReader, IdCardSettings
from drivers.idcard.sim import IdCardSim


class IdCardSimSettings(ConfigModel):
    link: str = "idcard"


def route(event: object) -> Route | None:
    if isinstance(event, CardRead):
        return Route("citizen", "card_read", {"card": event.card})
    if isinstance(event, CardRemoved):
        return Route("kiosk", "card_removed")
    if isinstance(event, CardError):
        return Route("kiosk", "card_error", {"reason": event.reason})  # the detail stays in the log
    return None


def build_sim(settings: IdCardSimSettings, run_dir: Path) -> IdCardSim:
    return IdCardSim(run_dir / settings.link)


FAMILY = Family(
    name="idcard", settings=IdCardSettings, driver=IdCardReader,
    sim=SimPart("card", IdCardSimSettings, build_sim),
    capabilities=("read_card",), route=route, kiosk_events=("card_read", "card_removed", "card_error"),
)
