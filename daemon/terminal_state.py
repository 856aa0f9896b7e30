"""What a terminal knows besides its devices: the center's last catalog and queue summary,
and whether a maintainer has it in maintenance mode. The kiosk's ops and the center's
commands share these without holding the whole Terminal."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class HallView:
    """The hall channels as last heard (the catalog also from the cache on disk)."""

    catalog: dict[str, Any] | None = None
    queue: dict[str, Any] | None = None


class Maintenance:
    """Maintenance mode; every change is told (the daemon tells the kiosk)."""

    def __init__(self, on_change: Callable[[bool], None]) -> None:
        self.on = False
        self._on_change = on_change

    def set(self, on: bool) -> None:
        self.on = on
        self._on_change(on)
