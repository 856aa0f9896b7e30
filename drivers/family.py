"""What one device family is, told once: its settings, driver, simulator and what the daemon does with it.

Each family's folder (drivers/printer/, drivers/idcard/, …) exports one `Family` from its
`family.py`, and drivers/registry.py lists them. The daemon builds drivers from it and routes
their events by it, `onetrip sim` builds simulators from it, and the benches find theirs by
its name, so a new family is one folder and one line in the registry.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Protocol

from core.config import ConfigModel
from drivers.base import Driver


@dataclass(frozen=True)
class Route:
    """Where the daemon takes one device event.

    `kiosk`: a local-API event to the kiosk app; `hall`: an event to the center through the
    disk outbox (raises OutboxFull when refused); `citizen`: a card read, which the daemon
    turns into the kiosk's view of the citizen (`data["card"]`; the ID number never leaves).
    """

    to: Literal["kiosk", "hall", "citizen"]
    event: str
    data: Mapping[str, Any] = field(default_factory=dict)


class Simulator(Protocol):
    """A device simulated from the device side, steered by one-line commands."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def handle_command(self, words: list[str]) -> str: ...
    def describe(self) -> str: ...


def no_outputs(settings: Any, run_dir: Path) -> dict[str, Path]:
    return {}


@dataclass(frozen=True)
class SimPart:
    """How `onetrip sim` runs the family's simulator."""

    word: str                      # its [section] in sim.toml and the first word of its commands
    settings: type[ConfigModel]    # that section's model; every path in it is inside the run directory
    build: Callable[[Any, Path], Simulator]  # (settings, run directory) → a simulator, not yet started
    usage: str = ""                # how `help` lists its commands (default: "<word> …")
    aliases: tuple[str, ...] = ()  # other first words that steer it (`scan <code>`)
    outputs: Callable[[Any, Path], dict[str, Path]] = no_outputs  # what it writes, for the banner


def no_route(event: object) -> Route | None:
    return None


@dataclass(frozen=True)
class Family:
    name: str                          # the `family` of a terminal's [devices.<name>] table
    settings: type[ConfigModel]        # validates the rest of that table
    driver: type[Driver]               # built with `driver.from_settings(name, settings, …)`
    sim: SimPart
    capabilities: tuple[str, ...]      # what the family gives the hall: listed in the birth inventory
    route: Callable[[object], Route | None] = no_route  # where each of its events goes (None: nowhere)
    kiosk_events: tuple[str, ...] = ()  # the local-API events `route` gives (kiosk and citizen routes)
    hall_events: tuple[str, ...] = ()   # the outbox events `route` gives (hall routes)
