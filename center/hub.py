"""Fan-out of live hall events to the web screens (server-sent events).

Each screen gets its own bounded queue; a screen that stops reading loses its oldest
events, never blocks the queue engine.
"""
from __future__ import annotations

import itertools
import queue
import threading
from typing import Any


class Hub:
    def __init__(self, depth: int = 500) -> None:
        self.depth = depth
        self._subscribers: set[queue.Queue] = set()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def subscribe(self) -> queue.Queue:
        q: queue.Queue = queue.Queue(self.depth)
        with self._lock:
            self._subscribers.add(q)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with self._lock:
            self._subscribers.discard(q)

    def publish(self, kind: str, data: Any) -> None:
        message = {"id": next(self._ids), "kind": kind, "data": data}
        with self._lock:
            subscribers = list(self._subscribers)
        for q in subscribers:
            while True:
                try:
                    q.put_nowait(message)
                    break
                except queue.Full:
                    try:
                        q.get_nowait()
                    except queue.Empty:
                        pass

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
