"""The window actions of hall.md §3, for the counter console and the caller keypads alike:
each runs in the engine and, when it is a call, is announced at once on every channel (a call
that does not reach the screens is a bug)."""
from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from center import no_shows, promises
from center.answers import Answers
from center.config import WindowSettings
from center.db import Database
from center.hub import Hub
from center.plain import plain
from center.queue import QueueEngine
from center.queue_errors import QueueError
from center.queue_types import Call

log = logging.getLogger("center")


class WindowDesk:
    """The window actions of hall.md §3, for the console and the caller keypads alike."""

    KEYS = {"recall": "recall", "give-up": "no_show", "hold": "hold", "call-back": "call_back_held",
            "pause": "toggle_pause"}

    def __init__(self, engine: QueueEngine, db: Database, hub: Hub, windows: dict[str, WindowSettings],
                 answers: Answers, announce: Callable[[Call], None], queue_changed: Callable[[], None],
                 promise: Callable[[str, Sequence[str], str], Any], send_command: Callable[..., Any]) -> None:
        self.engine = engine
        self.db = db
        self.hub = hub
        self.windows = windows
        self.answers = answers
        self.announce = announce
        self.queue_changed = queue_changed
        self.promise = promise
        self.send_command = send_command

    def _done(self, result: Any) -> Any:
        if isinstance(result, Call):
            self.announce(result)
        self.hub.publish("windows", plain(self.engine.window_states()))
        self.queue_changed()
        return result

    def _state(self, window: str) -> str:
        return next(w.state.value for w in self.engine.window_states() if w.code == window)

    def _complete(self, window: str, event_id: str) -> None:
        """Keypads have no start/finish keys: the next call or an evaluation ends the service."""
        state = self._state(window)
        if state == "calling":
            self.engine.start(window, from_call=True, event_id=f"{event_id}:start")
            state = "serving"
        if state == "serving":
            self._done(self.engine.finish(window, event_id=f"{event_id}:finish"))

    def key(self, window: str, key: str, event_id: str) -> Any:
        """A caller keypad's key, applied once per event (the last step carries the event's id)."""
        if key == "call":
            self._complete(window, event_id)
            return self.call_next(window, event_id=event_id)
        if key == "evaluate":
            self._complete(window, event_id)
            self.engine.apply_event(event_id, "prompt_rating", lambda conn: None)
            return self.prompt_rating(window)
        action = self.KEYS.get(key)
        if action is None:
            log.info("caller key without an action", extra={"window": window, "key": key})
            self.engine.apply_event(event_id, f"key:{key}", lambda conn: None)
            return None
        return getattr(self, action)(window, event_id=event_id)

    def call_next(self, window: str, event_id: str | None = None) -> Call:
        return self._done(self.engine.call_next(window, event_id=event_id))

    def recall(self, window: str, event_id: str | None = None) -> Call:
        return self._done(self.engine.recall(window, event_id=event_id))

    def start(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.engine.start(window, event_id=event_id))

    def finish(self, window: str, create_case: bool = False, item_code: str | None = None,
               event_id: str | None = None, deferred: Sequence[str] = (), pledge_signed: bool = False) -> Any:
        """办结; with `deferred` (容缺受理) the case is accepted on the citizen's signed 承诺书 and
        each material becomes a promise due in the hall's business days (center/promises.py)."""
        item_code = self.answers.known_item(item_code)
        if deferred:
            current = next(w.ticket_id for w in self.engine.window_states() if w.code == window)
            code = item_code or (self.engine.ticket(current).item_code if current else None)
            promises.check(deferred, self.answers.deferrable_materials(code), code, pledge_signed)
            if not create_case:
                raise promises.PledgeRequired()  # a promise belongs to a case
        finished = self._done(self.engine.finish(window, create_case=create_case, item_code=item_code,
                                                 event_id=event_id))
        if deferred and finished.case is not None:
            self.promise(finished.case.case_no, deferred, window)
        return finished

    def no_show(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.engine.no_show(window, event_id=event_id))

    def hold(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.engine.hold(window, event_id=event_id))

    def call_back(self, window: str, ticket_id: int, event_id: str | None = None) -> Call:
        return self._done(self.engine.call_back(window, ticket_id, event_id=event_id))

    def call_back_held(self, window: str, event_id: str | None = None) -> Call:
        held = self.engine.held_at(window)
        if not held:
            raise QueueError(f"window {window} holds no ticket")
        return self.call_back(window, held[0].id, event_id=event_id)

    def reactivate(self, window: str, ticket_id: int, event_id: str | None = None) -> Any:
        """过号恢复 at the counter: only a no-show of this window today, by the hall's rule."""
        day = self.engine.local().date().isoformat()
        if all(n.ticket_id != ticket_id for n in no_shows.of_window(self.db, window, day, self.engine.settings)):
            raise no_shows.NotMissedHere(ticket_id, window)
        return self._done(self.engine.reactivate(ticket_id, event_id=event_id))

    def transfer(self, ticket_id: int, category: str, event_id: str | None = None) -> Any:
        return self._done(self.engine.transfer(ticket_id, category, event_id=event_id))

    def pause(self, window: str, reason: str, event_id: str | None = None) -> Any:
        return self._done(self.engine.pause(window, reason, event_id=event_id))

    def resume(self, window: str, event_id: str | None = None) -> Any:
        return self._done(self.engine.resume(window, event_id=event_id))

    def toggle_pause(self, window: str, event_id: str | None = None) -> Any:
        if self._state(window) == "paused":
            return self.resume(window, event_id=event_id)
        return self.pause(window, "窗口暂停", event_id=event_id)

    def sign_in(self, window: str, staff: str) -> Any:
        return self._done(self.engine.sign_in(window, staff))

    def sign_out(self, window: str) -> Any:
        return self._done(self.engine.sign_out(window))

    def prompt_rating(self, window: str, event_id: str | None = None) -> dict[str, Any]:
        """Light the window's rating pad (一次一评: the service just finished is the one rated)."""
        bus = self.windows[window].bus
        if bus and window.isdigit():
            self.send_command(bus, "start_rating", {"window": int(window)}, ttl=30)
        self.hub.publish("rating_prompt", {"window": window})
        return {"prompted": window}
