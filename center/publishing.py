"""Hall publishing: the catalog (retained, again on every reconnect) and the queue summary on
hall/queue and to the web's hub, sent off the request's path by one thread and coalesced."""
from __future__ import annotations

import logging
import threading
from typing import Any

from center.hub import Hub
from center.near_turn import NearTurn
from center.plain import plain
from center.queue import QueueEngine
from core.catalog import Catalog
from mqtt.center import CenterLink

log = logging.getLogger("center")


class HallPublishing:
    """The retained hall channels a screen or kiosk reads on connecting, kept current."""

    def __init__(self, link: CenterLink, hub: Hub, catalog: Catalog, engine: QueueEngine, near_turn: NearTurn) -> None:
        self.link = link
        self.hub = hub
        self.catalog = catalog
        self.engine = engine
        self.near_turn = near_turn
        self._stop = threading.Event()
        self._queue_dirty = threading.Event()
        self._thread: threading.Thread | None = None
        link.add_connect_hook(self.publish_catalog)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._queue_publisher, name="center_queue_publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._queue_dirty.set()
        if self._thread is not None:
            self._thread.join(3)

    def queue_changed(self) -> None:
        """The queue moved: its summary goes out shortly, off the request's path (coalesced)."""
        self._queue_dirty.set()

    def _queue_publisher(self) -> None:
        while not self._stop.is_set():
            self._queue_dirty.wait()
            if self._stop.is_set():
                return
            self._queue_dirty.clear()
            try:
                self.publish_queue()
            except Exception:
                log.exception("queue summary failed")
            self._stop.wait(0.2)  # at most five summaries a second, however busy the hall

    def publish_catalog(self) -> None:
        self.link.publish_hall("catalog", self.catalog.to_snapshot(), retain=True)

    def queue_summary(self) -> list[dict[str, Any]]:
        names = {c.letter: c.name for c in self.catalog.categories}
        return [{**plain(s), "name": names.get(s.category, s.category)} for s in self.engine.queue_summary()]

    def publish_queue(self) -> None:
        summary = {"categories": self.queue_summary(), "windows": plain(self.engine.window_states())}
        self.link.publish_hall("queue", summary, retain=True, qos=0)
        self.hub.publish("queue", summary)
        self.near_turn.changed()
