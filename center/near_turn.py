"""近号提醒: the citizen asks to be told when N people are ahead; the center calls the hall's webhook.

The phone page notifies by itself (Web Notifications, else in the page) from its live view;
this watcher is the center's side, for a hall that plugs in its SMS platform: when a
watched ticket has N or fewer people ahead, and again when it is called, the configured
`[citizen_web] webhook_url` gets one POST (docs/phone.md, "Webhook"). No phone number ever
reaches OneTrip: the hall's platform maps the ticket to its own contact, if it has one.

Watches live in memory (the page posts its choice again whenever it reconnects, so a
restarted center learns them back); deliveries run on one sender thread, retried with
backoff, so a slow SMS platform never holds the queue.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable

from center.config import CitizenWebSettings, WindowSettings
from center.queue import QueueEngine
from center.queue_errors import UnknownTicket
from center.queue_types import TicketState
from core.catalog import Catalog
from core.clock import Clock

log = logging.getLogger("center.near_turn")
RETRIES = (1.0, 5.0, 30.0)  # seconds before the 2nd, 3rd and 4th attempt


@dataclass
class Watch:
    ahead: int
    page: str
    told_near: bool = False


def signature(secret: str, body: bytes) -> str:
    """`X-OneTrip-Signature`: what a receiver recomputes to know the POST is the hall's."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class NearTurn:
    def __init__(self, engine: QueueEngine, settings: CitizenWebSettings, windows: dict[str, WindowSettings],
                 catalog: Catalog, window_area: Callable[[str, str | None], str], clock: Clock) -> None:
        self.engine = engine
        self.settings = settings
        self.windows = windows
        self.catalog = catalog
        self.window_area = window_area
        self.clock = clock
        self._watches: dict[int, Watch] = {}
        self._lock = threading.Lock()
        self._outbox: queue.Queue[dict[str, Any] | None] = queue.Queue(1000)
        self._stop = threading.Event()
        self._changes: queue.Queue[dict[str, Any] | None] = queue.Queue(100)  # a call, or None: the queue moved
        self._threads: list[threading.Thread] = []
        self.delivered = 0  # POSTs the receiver accepted (2xx)

    def start(self) -> None:
        self._stop.clear()
        for target in (self._watch_loop, self._send_loop):
            thread = threading.Thread(target=target, name=f"near-turn{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(3)

    def watch(self, ticket_id: int, ahead: int, page: str) -> None:
        """Tell (again) when `ahead` or fewer people are ahead; a new choice may tell again."""
        with self._lock:
            old = self._watches.get(ticket_id)
            self._watches[ticket_id] = Watch(ahead, page, told_near=bool(old and old.ahead == ahead and old.told_near))
        self.check()

    def forget(self, ticket_id: int) -> None:
        with self._lock:
            self._watches.pop(ticket_id, None)

    def watched(self, ticket_id: int) -> int | None:
        with self._lock:
            watch = self._watches.get(ticket_id)
            return watch.ahead if watch else None

    def changed(self, call: dict[str, Any] | None = None) -> None:
        """The queue moved (or `call` was made): look at the watches soon, off the caller's path."""
        if not self._watches:
            return
        try:
            self._changes.put_nowait(call)
        except queue.Full:
            pass  # checks are pending anyway; a call is still seen as the ticket's state

    def _watch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                call = self._changes.get(timeout=1.0)
            except queue.Empty:
                continue
            try:
                self.check(call)
            except Exception:
                log.exception("near-turn check failed")

    def check(self, call: dict[str, Any] | None = None) -> None:
        """Look at every watched ticket: near → one `near_turn`; called → one `called`; gone → forgotten."""
        with self._lock:
            watches = dict(self._watches)
        for ticket_id, watch in watches.items():
            try:
                view = self.engine.ticket_view(ticket_id)
            except UnknownTicket:
                self.forget(ticket_id)
                continue
            t = view.ticket
            if t.state is TicketState.WAITING:
                if view.ahead <= watch.ahead and not watch.told_near:
                    watch.told_near = True
                    self._post("near_turn", t, watch, ahead=view.ahead)
            elif t.state is TicketState.CALLED and call is not None and call.get("ticket_id") == ticket_id:
                window = self.windows.get(t.window or "")
                self._post("called", t, watch, window=t.window, window_name=window.name if window else t.window)
            elif t.state is not TicketState.CALLED:
                self.forget(ticket_id)  # serving, done, held, no-show, cancelled, closed: nothing to tell

    def _post(self, kind: str, ticket: Any, watch: Watch, **extra: Any) -> None:
        if not self.settings.webhook_url:
            return
        body = {"kind": kind, "hall": self.catalog.header.hall, "day": ticket.day, "number": ticket.number,
                "category": ticket.category, "category_name": self.catalog.category(ticket.category).name,
                "window_area": self.window_area(ticket.category, ticket.item_code), "threshold": watch.ahead,
                "page": watch.page, "at": self.clock.time(), **extra}
        try:
            self._outbox.put_nowait(body)
        except queue.Full:
            log.warning("near-turn webhook backlog full; notice dropped", extra={"kind": kind})

    def _send_loop(self) -> None:
        while (body := self._outbox.get()) is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            for wait in (0.0, *RETRIES):
                if self._stop.wait(wait):
                    return
                if self._deliver(data):
                    self.delivered += 1
                    break
            else:
                log.warning("near-turn webhook gave up", extra={"kind": body["kind"]})

    def _deliver(self, data: bytes) -> bool:
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "onetrip-center"}
        if self.settings.webhook_secret:
            headers["X-OneTrip-Signature"] = signature(self.settings.webhook_secret, data)
        request = urllib.request.Request(str(self.settings.webhook_url), data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.settings.webhook_timeout_s) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError) as exc:
            log.warning("near-turn webhook failed", extra={"error": str(exc)})
            return False
