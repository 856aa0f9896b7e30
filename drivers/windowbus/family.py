"""The window bus as the daemon and `onetrip sim` see it: key presses and ratings go to the center."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from core.config import ConfigModel
from drivers.family import Family, Route, SimPart
from drivers.windowbus.codec import KeyPressed, RatingPressed
from drivers.windowbus.driver import WindowBus, WindowBusSettings, WindowInput
from drivers.windowbus.profiles import known_profile
from drivers.windowbus.sim import WindowBusSim


class WindowBusSimSettings(ConfigModel):
    link: str = "windowbus"
    profile: str = "ft12"
    addresses: list[int] = Field(default=[1, 2, 3, 4], min_length=1)

    _profile = field_validator("profile")(known_profile)

    @field_validator("addresses")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value) or not all(1 <= a <= 247 for a in value):
            raise ValueError("addresses must be distinct and within 1..247")
        return value


def route(event: object) -> Route | None:
    """Through the outbox: a refusal (outbox full) reaches the driver, which keeps a rating on its pad."""
    if not isinstance(event, WindowInput):
        return None
    if isinstance(event.event, RatingPressed):
        return Route("hall", "rating", {"window": event.window, "level": event.event.level, "channel": "pad"})
    if isinstance(event.event, KeyPressed):
        return Route("hall", "caller_key", {"window": event.window, "key": event.event.key.value,
                                            "digit": event.event.digit})
    return None


def build_sim(settings: WindowBusSimSettings, run_dir: Path) -> WindowBusSim:
    return WindowBusSim(run_dir / settings.link, settings.addresses, settings.profile)


FAMILY = Family(
    name="windowbus", settings=WindowBusSettings, driver=WindowBus,
    sim=SimPart("bus", WindowBusSimSettings, build_sim),
    capabilities=("show_number", "caller_keys", "rating"), route=route, hall_events=("caller_key", "rating"),
)
