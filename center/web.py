"""The center's web screens: hall display, counter console, control room and reports.

`create_app(service)` returns a Starlette app: static pages (local assets only — halls run
on intranets), a JSON API over `CenterService`, `/events` (server-sent events from the
hub), the screens' texts at `/i18n.js`, the chime and each call's sentence under `/voice/`,
CSV reports and `/metrics`. Building the app does no I/O; the lifespan starts the two
background jobs (filling the voice clip cache, sampling telemetry) and stops them.

Every refusal of the engine reaches the browser as JSON `{"error", "message", "detail"}`
with a message in the hall's language a window clerk can act on, never a stack trace.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path
from typing import Any

import anyio
from prometheus_client import Histogram
from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from center import help_desk, i18n, metrics, no_shows, promises, reports, screens
from center.citizen_web import create_citizen_app
from center.queue_errors import InvalidTransition, NotIssuingNow, UnknownWindow
from center.ratings import FollowUpAction
from center.auth import (
    PUBLIC, CsrfRejected, Forbidden, Guard, NotSignedIn, PasswordChangeRequired, TooManyAttempts, client_of, staff,
)
from center.plain import plain
from center.service import CenterService
from center.window_desk import WindowDesk
from center.staff import (
    AccountDisabled, AccountLocked, BadCredentials, PasswordRejected, Role, Session, StaffError,
)
from center.web_safety import BadBody, BodyTooLarge, SecurityHeaders, read_body
from center.web_staff import StaffWeb
from center.telemetry import TelemetryHistory
from center.voice import Voice, VoiceError
from core.catalog_model import parse_hours
from core.errors import OneTripError, RequestTimeout

log = logging.getLogger("center.web")

STATIC = Path(__file__).with_name("static")
PAGES = {"/": "index.html", "/display": "display.html", "/console": "console.html", "/control": "control.html",
         "/reports": "reports.html", "/login": "login.html", "/audit": "audit.html"}
DISPLAY_EVENTS = frozenset({"call", "queue", "windows", "day_close"})
LOOPBACK = ("127.0.0.1", "::1")
KEEPALIVE_S = 10.0   # a comment line on a quiet stream, so proxies keep it open
WAKE_S = 1.0
COMMANDS = ("test_page", "restart_driver", "rebirth")
COMMAND_TIMEOUT_S = 5.0
TELEMETRY_STALE_S = 60.0

def _state_name(state: str) -> str:
    """A ticket's, window's or follow-up's state as the hall says it (they share some values)."""
    for table in ("ticket_state", "window_state", "follow_up_state", "state"):
        key = f"{table}.{state.replace(' ', '_')}"
        if key in i18n.STRINGS:
            return i18n.text(key)
    return state


def _action_name(action: str) -> str:
    """The engine's action ("call_back", "call a ticket back", "move to done") in the hall's words."""
    if action.startswith("move to "):
        return i18n.text("action.move_to", state=_state_name(action.removeprefix("move to ")))
    key = "action." + "_".join(action.split("(")[0].strip().replace("-", " ").replace("_", " ").split())
    return i18n.text(key if key in i18n.STRINGS else "action.other")


def error_body(exc: Exception) -> dict[str, str]:
    """What a clerk reads when the center refuses, in the hall's language (the engine's own text
    follows as the detail, for the log and the maintainer)."""
    name = type(exc).__name__
    if isinstance(exc, i18n.Worded):
        message = exc.text()
    elif isinstance(exc, NotIssuingNow) and exc.notice:
        message = exc.notice
    elif isinstance(exc, InvalidTransition):
        message = i18n.text("err.InvalidTransition", state=_state_name(exc.state), action=_action_name(exc.action))
    elif f"err.{name}" in i18n.STRINGS:  # worded with the values the refusal carries (QueueError.values)
        message = i18n.text(f"err.{name}", **getattr(exc, "values", {}))
    else:
        message = i18n.text("err.other")
    return {"error": name, "message": message, "detail": str(exc)}


STATUS: tuple[tuple[type[Exception], int], ...] = (
    (RequestTimeout, 504), (UnknownWindow, 404), (NotSignedIn, 401), (BadCredentials, 401), (AccountLocked, 401),
    (AccountDisabled, 401), (Forbidden, 403), (CsrfRejected, 403), (PasswordChangeRequired, 403),
    (TooManyAttempts, 429), (BodyTooLarge, 413), (BadBody, 400), (PasswordRejected, 400), (StaffError, 400),
)


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    status = next((code for kind, code in STATUS if isinstance(exc, kind)), 409)
    return JSONResponse(error_body(exc), status)


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": "BadRequest", "message": i18n.text("err.BadRequest"), "detail": str(exc)}, 400)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    message = i18n.text("err.NotFound" if exc.status_code == 404 else "err.HTTPError")
    return JSONResponse({"error": "HTTPError", "message": message, "detail": str(exc.detail)}, exc.status_code)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request failed", extra={"path": request.url.path})
    return JSONResponse({"error": "InternalError", "message": i18n.text("err.InternalError"),
                         "detail": type(exc).__name__}, 500)


class Timing:
    """ASGI middleware: time to the first response byte, per route template (not /events)."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app, self.histogram = app, histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/events":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = scope.get("route")
                self.histogram.labels(getattr(route, "path", "unmatched"), scope["method"]).observe(
                    time.perf_counter() - start)
            await send(message)

        await self.app(scope, receive, timed)


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(plain(data), status)


async def _body(request: Request) -> dict[str, Any]:
    return await read_body(request, request.app.state.web.config.web.max_body_bytes)


def _text(body: dict[str, Any], key: str) -> str:
    """A required field; left empty, refused naming it in the hall's words (`field.<key>`)."""
    value = str(body.get(key) or "").strip()
    if not value:
        raise BadBody("err.BadBody.missing", field=i18n.text(f"field.{key}"))
    return value


# Console actions: (desk, window, body, current ticket id or None, the signed-in 工号) → result
DeskAction = Callable[[WindowDesk, str, dict[str, Any], Callable[[], int], str], Any]
DESK_ACTIONS: dict[str, DeskAction] = {
    "sign_in": lambda d, w, b, t, who: d.sign_in(w, who),
    "sign_out": lambda d, w, b, t, who: d.sign_out(w),
    "call": lambda d, w, b, t, who: d.call_next(w),
    "recall": lambda d, w, b, t, who: d.recall(w),
    "start": lambda d, w, b, t, who: d.start(w),
    "finish": lambda d, w, b, t, who: d.finish(w, create_case=bool(b.get("create_case")),
                                          item_code=b.get("item_code") or None,
                                          deferred=[str(m) for m in b.get("deferred") or []],
                                          pledge_signed=bool(b.get("pledge_signed"))),
    "no_show": lambda d, w, b, t, who: d.no_show(w),
    "hold": lambda d, w, b, t, who: d.hold(w),
    "call_back": lambda d, w, b, t, who: d.call_back(w, int(_text(b, "ticket_id"))),
    "reactivate": lambda d, w, b, t, who: d.reactivate(w, int(_text(b, "ticket_id"))),
    "transfer": lambda d, w, b, t, who: d.transfer(int(b.get("ticket_id") or t()), _text(b, "category")),
    "pause": lambda d, w, b, t, who: d.pause(w, _text(b, "reason")),
    "resume": lambda d, w, b, t, who: d.resume(w),
    "rating": lambda d, w, b, t, who: d.prompt_rating(w),
}


class CenterWeb:
    """The handlers, with what they share: the center's parts they use (not the service that
    holds them), the voice, telemetry and timings."""

    def __init__(self, service: CenterService, voice: Voice | None, history: TelemetryHistory,
                 telemetry_period: float, guard: Guard) -> None:
        self.config, self.clock, self.catalog, self.db = service.config, service.clock, service.catalog, service.db
        self.engine, self.link, self.hub, self.staff = service.engine, service.link, service.hub, service.staff
        self.desk, self.answers, self.floor = service.desk, service.answers, service.floor
        self.publishing, self.announcing = service.publishing, service.announcing
        self.availability = service.availability
        self.guard = guard
        self.voice = voice
        self.history = history
        self.telemetry_period = telemetry_period
        self.exporter = metrics.CenterMetrics(self.engine, self.link, self.db, lambda: self.sse_clients)
        self.stopping = threading.Event()
        self.sse_limiter = anyio.CapacityLimiter(512)  # one parked thread per open screen
        self.sse_clients = 0

    # ---- lifecycle -------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.stopping.clear()
        if self.voice is not None:
            threading.Thread(target=self._prepare_voice, args=(self.voice,), name="voice-clips", daemon=True).start()
        sampler = asyncio.create_task(self._sample_telemetry())
        self.announcing.announcers.append(self.exporter.called)
        try:
            yield
        finally:
            self.announcing.announcers.remove(self.exporter.called)
            self.close_streams()
            sampler.cancel()

    def close_streams(self) -> None:
        """End the screens' event streams (before the server drains its connections)."""
        self.stopping.set()

    @staticmethod
    def _prepare_voice(voice: Voice) -> None:
        try:
            made = voice.prepare()
            log.info("voice clips ready", extra={"synthesised": made})
        except (VoiceError, OSError) as exc:
            log.warning("voice clips not prepared; calls will be synthesised live", extra={"error": str(exc)})

    async def _sample_telemetry(self) -> None:
        while True:
            self.history.sample(self.link.terminals)
            await asyncio.sleep(self.telemetry_period)

    # ---- helpers ---------------------------------------------------------------------------
    def _today(self) -> str:
        return self.engine.local().date().isoformat()

    def _midnight(self) -> float:
        return datetime.combine(self.engine.local().date(), dtime(), self.engine.tz).timestamp()

    def _categories(self) -> list[dict[str, Any]]:
        return [{"letter": c.letter, "name": c.name, "wait_target_min": c.wait_target_min}
                for c in self.catalog.categories]

    def _window(self, code: str) -> dict[str, Any]:
        view = next((w for w in self.engine.window_states() if w.code == code), None)
        if view is None or code not in self.config.windows:
            raise UnknownWindow(code)
        day = self._today()
        ticket = None
        if view.ticket_id is not None:
            t = self.engine.ticket(view.ticket_id)
            names = {i.code: i.name for i in self.catalog.items}
            ticket = {**plain(t), "item_name": names.get(t.item_code or "")}
        return {
            "window": plain(view), "ticket": ticket, "bus": self.config.windows[code].bus,
            "queue": screens.window_queue(self.db, code, day, self.engine.clock.time(),
                                          self.engine.settings.fairness),
            "held": self.engine.held_at(code),
            "no_shows": no_shows.of_window(self.db, code, day, self.engine.settings),
            "no_show_rule": self.answers.no_show_rule,
            "promises": self._owed(promises.owed_at(self.db, code)),
            "categories": self._categories(),
            "items": [{"code": i.code, "name": i.name, "category": i.category,
                       "deferrable": self.answers.deferrable_materials(i.code)} for i in self.catalog.items
                      if i.category in view.categories],
        }

    def _terminal(self, view: Any, now: float) -> dict[str, Any]:
        summary = self.availability.terminal_summary(view)
        born = {d.name: d for d in view.birth.devices} if view.birth else {}
        for name, device in summary["devices"].items():
            heard = view.heard.get(name)
            info = born.get(name)
            device.update(family=info.family if info else None, model=info.model if info else None,
                          firmware=info.firmware if info else None,
                          telemetry_age_s=round(now - heard, 1) if heard is not None else None)
            device["stale"] = device["stale"] or (heard is not None and now - heard > TELEMETRY_STALE_S)
        return {**summary, "since": view.since, "last_seq": view.last_seq,
                "system_age_s": round(now - view.heard["system"], 1) if "system" in view.heard else None}

    # ---- pages and live events -----------------------------------------------------------------
    def strings(self, request: Request) -> Response:
        """/i18n.js: the screens' texts in the hall's language (center/i18n.py)."""
        return Response(i18n.script(self.config.web.language), media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache"})

    async def page(self, request: Request) -> Response:
        return FileResponse(STATIC / PAGES[request.url.path], media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})

    async def events(self, request: Request) -> StreamingResponse:
        """Server-sent hall events. Without a staff session (the hall display) only what a
        public screen shows: calls, queue summaries, window states, the day close."""
        hub = self.hub
        session = await anyio.to_thread.run_sync(self.guard.session, request)
        kinds = None if session is not None else DISPLAY_EVENTS

        async def stream() -> AsyncIterator[str]:
            q = hub.subscribe()  # here, so a stream never started never stays subscribed
            self.sse_clients += 1
            quiet = 0.0
            try:
                yield "retry: 2000\n\n"
                while not self.stopping.is_set():  # checked every second, so shutdown never waits on screens
                    try:
                        msg = await anyio.to_thread.run_sync(q.get, True, WAKE_S, abandon_on_cancel=True,
                                                             limiter=self.sse_limiter)
                    except queue.Empty:
                        quiet += WAKE_S
                        if quiet >= KEEPALIVE_S:
                            quiet = 0.0
                            yield ": keepalive\n\n"
                        continue
                    quiet = 0.0
                    if kinds is not None and msg["kind"] not in kinds:
                        continue
                    data = json.dumps(msg["data"], ensure_ascii=False)
                    yield f"id: {msg['id']}\nevent: {msg['kind']}\ndata: {data}\n\n"
            finally:
                self.sse_clients -= 1
                hub.unsubscribe(q)

        return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def hall(self, request: Request) -> JSONResponse:
        """The hall's name, time zone and clock: screens show the hall's time, not their PC's."""
        return _json({"hall": self.catalog.header.hall, "tz": self.engine.settings.timezone,
                      "now": self.clock.time(), "speed": getattr(self.clock, "speed", 1.0),
                      "no_show_rule": self.answers.no_show_rule})

    # ---- hall display ---------------------------------------------------------------------------
    def display(self, request: Request) -> JSONResponse:
        """`voice`: how the display announces (None when silent); quiet hours read on the hall clock."""
        v = self.voice.settings if self.voice is not None else None
        return _json({"hall": self.catalog.header.hall, "categories": self.publishing.queue_summary(),
                      "calls": screens.recent_calls(self.db, self._midnight()),
                      "voice": v and {"repeat": v.repeat, "volume": v.volume, "quiet_volume": v.quiet_volume,
                                      "quiet_hours": [[a.hour * 60 + a.minute, b.hour * 60 + b.minute]
                                                      for a, b in parse_hours(v.quiet_hours)]}})

    def chime_wav(self, request: Request) -> Response:
        if self.voice is None:
            raise HTTPException(404, "voice is disabled in this hall's config")
        return FileResponse(self.voice.chime_audio(), media_type="audio/wav",
                            headers={"Cache-Control": "max-age=86400"})

    def voice_wav(self, request: Request) -> Response:
        if self.voice is None:
            raise HTTPException(404, "voice is disabled in this hall's config")
        call = screens.announcement(self.db, int(request.path_params["announcement_id"]))
        if call is None:
            raise HTTPException(404, "no such announcement")
        path = self.voice.call_audio(call["number"], call["window"], call["window_name"])
        return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "max-age=86400"})

    # ---- counter console ----------------------------------------------------------------------------
    def windows(self, request: Request) -> JSONResponse:
        return _json({"windows": self.engine.window_states(), "categories": self._categories()})

    def window(self, request: Request) -> JSONResponse:
        return _json(self._window(request.path_params["window"]))

    async def window_action(self, request: Request) -> JSONResponse:
        code, action = request.path_params["window"], request.path_params["action"]
        if action not in DESK_ACTIONS:
            raise HTTPException(404, f"no window action {action!r}")
        body = await _body(request)
        if code not in self.config.windows:
            raise UnknownWindow(code)
        session = request.state.session
        self._at_own_window(session, code, action)

        def current_ticket() -> int:
            view = next(w for w in self.engine.window_states() if w.code == code)
            if view.ticket_id is None:  # worded as the engine's own refusals: 当前状态为「空闲」，不能转移
                raise InvalidTransition(f"window {code}", view.state.value, action)
            return view.ticket_id

        def run() -> dict[str, Any]:
            result = DESK_ACTIONS[action](self.desk, code, body, current_ticket, session.staff_no)
            return {"ok": True, "action": action, "result": plain(result), **self._window(code)}

        return _json(await anyio.to_thread.run_sync(run))

    def _at_own_window(self, session: Session, window: str, action: str) -> None:
        """A clerk acts only at the window they signed in to (and signs in as themselves); a
        hall manager may act at any window."""
        if session.has(Role.MANAGER):
            return
        if action == "sign_in":
            return  # as the session's own 工号; the engine refuses a window already signed in
        staff_at = next(w.staff for w in self.engine.window_states() if w.code == window)
        if staff_at != session.staff_no:
            raise Forbidden("err.Forbidden.window", window=window)

    # ---- appointments ---------------------------------------------------------------------------
    async def book_appointment(self, request: Request) -> JSONResponse:
        """Book a slot for the appointment platform (预约): only the citizen's keyed hash travels.
        The platform authenticates with its API key (`Authorization: Bearer …`), whose SHA-256
        is in `[web] appointment_keys_sha256`."""
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        digest = hashlib.sha256(key.encode()).hexdigest()
        if scheme.lower() != "bearer" or not any(hmac.compare_digest(digest, k)
                                                 for k in self.config.web.appointment_keys_sha256):
            raise NotSignedIn()
        body = await _body(request)
        slot_start, slot_end = (datetime.fromisoformat(_text(body, k)) for k in ("slot_start", "slot_end"))
        appointment = await anyio.to_thread.run_sync(lambda: self.engine.book_appointment(
            _text(body, "category"), _text(body, "citizen_key"), slot_start, slot_end,
            item_code=body.get("item_code") or None, channel=str(body.get("channel") or "web")))
        return _json({**plain(appointment), "page": self.answers.booking_page(appointment)})

    # ---- control room -------------------------------------------------------------------------------
    def control(self, request: Request) -> JSONResponse:
        targets = {c.letter: c.wait_target_min for c in self.catalog.categories}
        now = self.clock.time()
        follow_ups = self.engine.open_follow_ups()
        rated = screens.ratings_by_id(self.db, [f.rating_id for f in follow_ups])
        return _json({
            "hall": self.catalog.header.hall, "now": now,
            "categories": [{**c, "wait_target_min": targets.get(c["category"])}
                           for c in self.publishing.queue_summary()],
            "windows": self.engine.window_states(),
            "alerts": self.engine.list_alerts(),
            "terminals": [self._terminal(v, now) for v in sorted(self.link.terminals.values(),
                                                                 key=lambda v: v.terminal)],
            "follow_ups": [{**plain(f), "rating": rated.get(f.rating_id)} for f in follow_ups],
            "ratings": screens.ratings_since(self.db, self._midnight()),
            "refused_events": self.engine.refused_events(20),
            "promises": self._promises(), "promise_due_soon_days": self.config.floor.promise_due_soon_days,
            "help_cases": help_desk.open_cases(self.db),
            "helpers": [{"staff_no": a.staff_no, "name": a.name} for a in self.staff.listing()
                        if a.state.value == "active" and a.roles & {Role.CLERK, Role.MANAGER}],
            "unprinted": self.engine.unprinted(),  # 未出票: issued, never confirmed printed by its kiosk
            "link": {"connected": self.link.connected, **dict(self.link.stats)},
        })

    def _promises(self) -> list[dict[str, Any]]:
        """容缺 owed and due within `[floor] promise_due_soon_days`, or overdue, soonest first."""
        return self._owed(promises.due_soon(self.db, self.engine.local().date(),
                                            self.config.floor.promise_due_soon_days))

    def _owed(self, found: list[promises.Promise]) -> list[dict[str, Any]]:
        """Promises as the console and the control room list them, each marked overdue or not today."""
        today = self.engine.local().date()
        return [{**plain(p), "overdue": p.overdue(today)} for p in found]

    async def fulfil_promise(self, request: Request) -> JSONResponse:
        """补交 recorded by a clerk or a manager (audited by its route)."""
        promise_id, by = int(request.path_params["promise_id"]), request.state.session.staff_no
        return _json(await anyio.to_thread.run_sync(lambda: self.floor.fulfil_promise(promise_id, by)))

    async def help_assign(self, request: Request) -> JSONResponse:
        """A hall manager acknowledges a 帮办 and names the floor helper who goes."""
        body = await _body(request)
        case_id, by = int(request.path_params["case_id"]), request.state.session.staff_no
        return _json(await anyio.to_thread.run_sync(
            lambda: self.floor.help_step(case_id, "assign", by, helper=_text(body, "helper"))))

    async def help_step(self, request: Request) -> JSONResponse:
        """The helper assigned (or a manager) marks arrival, or closes the case with its outcome."""
        body = await _body(request)
        case_id, action = int(request.path_params["case_id"]), request.path_params["action"]
        session = request.state.session
        if action not in ("arrive", "close"):
            raise HTTPException(404, f"no help action {action!r}")
        outcome = _text(body, "outcome") if action == "close" else None

        def run() -> help_desk.HelpCase:  # in a thread, as every handler's database work
            if not session.has(Role.MANAGER) and help_desk.get(self.db, case_id).helper != session.staff_no:
                raise Forbidden("err.Forbidden.help_case")
            return self.floor.help_step(case_id, action, session.staff_no, outcome=outcome)

        return _json(await anyio.to_thread.run_sync(run))

    def telemetry(self, request: Request) -> JSONResponse:
        return _json(self.history.terminal(request.path_params["terminal"]))

    async def ack_alert(self, request: Request) -> JSONResponse:
        body = await _body(request)
        alert = self.engine.ack_alert(_text(body, "kind"), _text(body, "key"), request.state.session.staff_no)
        if alert is None:
            raise HTTPException(404, "no such alert")
        self.hub.publish("alert", plain(alert))
        return _json(alert)

    async def follow_up_step(self, request: Request) -> JSONResponse:
        body = await _body(request)
        action = FollowUpAction(request.path_params["action"])
        follow_up = self.engine.follow_up_step(int(request.path_params["follow_up_id"]), action,
                                               request.state.session.staff_no, body.get("note") or None)
        return _json(follow_up)

    async def command(self, request: Request) -> JSONResponse:
        terminal, name = request.path_params["terminal"], request.path_params["name"]
        if name not in COMMANDS:
            raise HTTPException(404, f"no remote command {name!r}")
        if terminal not in self.link.terminals:
            raise HTTPException(404, f"no terminal {terminal!r}")
        args = (await _body(request)).get("args") or {}
        result = await anyio.to_thread.run_sync(
            lambda: self.link.command(terminal, name, args, timeout=COMMAND_TIMEOUT_S))
        return _json(result.model_dump(), 200 if result.ok else 409)

    # ---- reports and metrics ------------------------------------------------------------------------
    def _report(self, request: Request) -> tuple[str, str, str, list[reports.ReportRow]]:
        q = request.query_params
        by = q.get("by", "category")
        first = q.get("from") or q.get("day") or self._today()
        last = q.get("to") or q.get("day") or first
        for day in (first, last):
            date.fromisoformat(day)
        labels = {"category": {c.letter: f"{c.letter} {c.name}" for c in self.catalog.categories},
                  "window": {code: w.name for code, w in self.config.windows.items()}}.get(by, {})
        rows = reports.report(reports.visits(self.db, self.engine.tz, first, last), by, labels)
        return by, first, last, rows

    def report(self, request: Request) -> JSONResponse:
        by, first, last, rows = self._report(request)
        return _json({"by": by, "from": first, "to": last, "rows": rows, "groups": reports.GROUPS,
                      "help": help_desk.day_figures(self.db, first, last),
                      "promises": promises.figures(self.db, first, last, self.engine.tz,
                                                   self.engine.local().date())})

    def report_csv(self, request: Request) -> Response:
        by, first, last, rows = self._report(request)
        name = f"onetrip-report-{by}-{first}{'' if first == last else '_' + last}.csv"
        return Response(reports.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def metrics(self, request: Request) -> Response:
        """Prometheus scrapes from the center's own host; anyone else needs a maintainer's session."""
        if client_of(request) not in LOOPBACK:
            session = self.guard.session(request)
            if session is None or not session.has(Role.MAINTAINER):
                raise Forbidden("err.Forbidden.metrics")
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(self.exporter.registry), media_type=content_type)


def create_app(service: CenterService, *, voice: Voice | None = None, telemetry_period: float = 5.0,
               history: TelemetryHistory | None = None) -> Starlette:
    """The web app over a built (not necessarily started) service; cheap: no I/O here.

    `voice` defaults to the config's voice settings (None when voice is disabled)."""
    if voice is None and service.config.voice.enabled:
        voice = Voice(service.config.voice)
    guard = Guard(service.staff, service.clock)
    web = CenterWeb(service, voice, history or TelemetryHistory(), telemetry_period, guard)
    people = StaffWeb(guard, service.config.web.max_body_bytes)
    desk, managers = staff(Role.CLERK, Role.MANAGER), staff(Role.MANAGER)
    watch, reporting = staff(Role.MANAGER, Role.MAINTAINER), staff(Role.MANAGER, Role.AUDITOR, audited=True)
    auditors, admins = staff(Role.AUDITOR, audited=True), staff(Role.ADMIN)
    r = guard.route
    routes = [
        *(r(path, web.page, PUBLIC) for path in PAGES),
        r("/events", web.events, PUBLIC),  # filtered: a public screen gets only the display's events
        r("/api/hall", web.hall, PUBLIC),
        r("/i18n.js", web.strings, PUBLIC),
        r("/api/display", web.display, PUBLIC),
        r("/voice/chime.wav", web.chime_wav, PUBLIC),
        r("/voice/{announcement_id:int}.wav", web.voice_wav, PUBLIC),
        r("/api/session", people.whoami, PUBLIC),
        r("/api/session", people.sign_in, PUBLIC, ["POST"]),
        r("/api/session/sign_out", people.sign_out, PUBLIC, ["POST"]),
        r("/api/session/password", people.change_password, PUBLIC, ["POST"]),
        r("/api/appointments", web.book_appointment, PUBLIC, ["POST"]),  # the platform's API key
        r("/metrics", web.metrics, PUBLIC),  # loopback, or a maintainer's session
        r("/api/windows", web.windows, desk),
        r("/api/windows/{window}", web.window, desk),
        r("/api/windows/{window}/{action}", web.window_action, desk, ["POST"]),
        r("/api/control", web.control, watch),
        r("/api/promises/{promise_id:int}/fulfil", web.fulfil_promise, desk, ["POST"]),
        r("/api/help/{case_id:int}/assign", web.help_assign, managers, ["POST"]),
        r("/api/help/{case_id:int}/{action}", web.help_step, desk, ["POST"]),
        r("/api/telemetry/{terminal}", web.telemetry, watch),
        r("/api/alerts/ack", web.ack_alert, managers, ["POST"]),
        r("/api/follow-ups/{follow_up_id:int}/{action}", web.follow_up_step, managers, ["POST"]),
        r("/api/terminals/{terminal}/commands/{name}", web.command, staff(Role.MAINTAINER), ["POST"]),
        r("/api/reports", web.report, reporting),
        r("/reports.csv", web.report_csv, reporting),
        r("/api/audit", people.audit_rows, auditors),
        r("/audit.csv", people.audit_csv, auditors),
        r("/api/staff", people.accounts, admins),
        r("/api/staff", people.add_account, admins, ["POST"]),
        r("/api/staff/{staff_no}/{action}", people.account_action, admins, ["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if service.config.citizen_web.port is None:  # else served apart (center/main.py)
        routes.append(Mount("/m", app=create_citizen_app(service, web.stopping)))
    handlers: dict[Any, Any] = {OneTripError: _refused, ValueError: _bad_request,
                                HTTPException: _http_error, Exception: _internal}
    middleware = [Middleware(SecurityHeaders), Middleware(Timing, histogram=web.exporter.latency)]
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers=handlers, lifespan=web.lifespan)
    app.state.web = web
    return app
