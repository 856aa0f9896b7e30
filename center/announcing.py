"""A call announced at once on every channel (hall.md §3): hall/calls, the web's hub, the
near-turn watcher, the window's LED display and the voice announcers that join here."""
from __future__ import annotations

import logging
from typing import Callable

from center.config import WindowSettings
from center.hub import Hub
from center.near_turn import NearTurn
from center.plain import plain
from center.queue import QueueEngine
from center.queue_types import Call
from mqtt.center import CenterLink

log = logging.getLogger("center")


class Announcing:
    """One place that every call goes through, from the console, a keypad or the web."""

    def __init__(self, link: CenterLink, hub: Hub, near_turn: NearTurn, engine: QueueEngine,
                 windows: dict[str, WindowSettings]) -> None:
        self.link = link
        self.hub = hub
        self.near_turn = near_turn
        self.engine = engine
        self.windows = windows
        self.announcers: list[Callable[[Call], None]] = []  # the voice queue joins here

    def announce(self, call: Call) -> None:
        data = plain(call)
        self.link.publish_hall("calls", data)
        self.hub.publish("call", data)
        self.near_turn.changed(data)
        window = self.windows.get(call.window)
        if window and window.bus and call.window.isdigit():
            waiting = self.engine.estimate(call.category).ahead  # the category's waiting count, not the whole summary
            self.link.send_command(window.bus, "display", {"window": int(call.window), "number": call.number,
                                                           "waiting": waiting}, ttl=30)
        for announcer in self.announcers:
            try:
                announcer(call)
            except Exception:
                log.exception("announcer failed")

