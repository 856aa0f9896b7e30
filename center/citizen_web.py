"""The citizen's phone pages (扫码看进度, 扫码评价, 预约管理): public routes, apart from the staff's.

Everything is under `/m/`: the ticket page `/m/t/<token>` (what the ticket's QR code
opens), the booking page `/m/b/<token>`, their JSON API under `/m/api/` and the pages'
three assets. `create_citizen_app(service)` is its own Starlette app, with its own error
words (for citizens, not clerks) and a per-address rate limit in front of every route. The
staff app mounts it at `/m`; with `[citizen_web] port` it is served apart on its own
address instead (`split_by_port`), so a hall exposes it on guest Wi-Fi or behind its
reverse proxy without exposing the console.

A token (center/tokens.py) names one ticket or booking and expires at its day's close; a
page shows no name, no ID and nothing of other citizens, and nothing tracks a phone beyond
the token it holds (no cookie, no storage on the server).
"""
from __future__ import annotations

import asyncio
import io
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator
from datetime import datetime
from ipaddress import ip_address, ip_network
from pathlib import Path
from typing import Any

import anyio
import qrcode
import qrcode.image.svg
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from center import promises
from center.hub import Hub
from center.plain import plain
from center.queue_errors import InvalidTransition, UnknownTicket
from center.queue_types import Channel, TicketState
from center.ratings import BAD, LEVELS
from center.service import CenterService
from center.tokens import PREFIX, Claim, ExpiredToken, TokenRefused
from center.web_safety import BodyTooLarge, read_raw
from core.clock import Clock
from core.errors import OneTripError

log = logging.getLogger("center.citizen_web")

STATIC = Path(__file__).with_name("static")
ASSETS = {"phone.js": "text/javascript; charset=utf-8", "phone.css": "text/css; charset=utf-8"}
REFRESH_S = 30.0   # a quiet stream still sends a fresh view this often (waits move with time)
WAKE_S = 1.0       # how often a stream looks at the stop flag
HUB_KINDS = frozenset({"queue", "call", "windows", "day_close", "rating"})
NEAR_CHOICES = range(1, 21)
PHONE_BODY_LIMIT = 4096  # a rating with its reasons, a near-turn choice, a new slot: small by nature
BAD_REASONS = ("等候时间太长", "办理时间太长", "工作人员态度不好", "材料要求没有一次说清", "跑了不止一次", "环境或设备问题")

# What a citizen reads when something is refused (the engine's text is not shown to them).
MESSAGES = {
    "ForgedToken": "二维码无效：请扫描本大厅打印的排队凭条上的二维码",
    "ExpiredToken": "二维码已过期：凭条在当天闭馆后失效，如需办理请重新取号",
    "AlreadyRated": "这次服务已经评价过了（一次一评），感谢您的反馈",
    "ReasonRequired": "选择“不满意”或“非常不满意”时，请选择或填写原因",
    "NotRateable": "业务办结后才能评价",
    "InvalidLevel": "请选择一个评价等级",
    "ReactivationExpired": "过号已超时，请重新取号",
    "NoAppointment": "没有找到这个预约",
    "InvalidTransition": "当前状态不能进行此操作，请刷新页面",
    "SlotFull": "该时段已约满，请选择其他时段",
    "ChangeTooLate": "距预约时段开始太近，已不能在手机上更改，请按时到大厅办理",
    "BookingClosed": "该预约已签到、取消或过期，不能再更改",
    "TooManyRequests": "访问过于频繁，请稍后再试",
    "BadRequest": "请求内容不正确",
    "BodyTooLarge": "请求内容过大",
    "NotFound": "页面不存在",
}


def refusal(name: str, status: int) -> JSONResponse:
    return JSONResponse({"error": name, "message": MESSAGES.get(name, "操作未完成，请稍后再试")}, status)


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, TokenRefused):
        return refusal(type(exc).__name__, 410 if isinstance(exc, ExpiredToken) else 403)
    if isinstance(exc, BodyTooLarge):
        return refusal("BodyTooLarge", 413)
    return refusal(type(exc).__name__, 404 if isinstance(exc, UnknownTicket) else 409)


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    return refusal("BadRequest", 400)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return refusal("NotFound" if exc.status_code == 404 else "BadRequest", exc.status_code)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("citizen request failed", extra={"path": request.url.path.split("/")[2:4]})  # never the token
    return JSONResponse({"error": "InternalError", "message": "系统繁忙，请稍后再试"}, 500)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatingBody(Body):
    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=len(BAD_REASONS))
    text: str = Field("", max_length=200)


class NearBody(Body):
    ahead: int = Field(ge=NEAR_CHOICES.start, le=NEAR_CHOICES.stop - 1)


class MoveBody(Body):
    slot_start: datetime


async def _parsed(request: Request, model: type[Body]) -> Any:
    try:
        return model.model_validate_json(await read_raw(request, PHONE_BODY_LIMIT) or b"{}")
    except ValidationError as exc:
        raise ValueError(str(exc)) from None


class RateLimit:
    """ASGI middleware: a token bucket per client address over every public route — a burst
    of `per_min`, refilled at `per_min` a minute — on the hall's clock. Behind the hall's
    reverse proxy the address is the nearest untrusted one in X-Forwarded-For."""

    def __init__(self, app: ASGIApp, per_min: int, clock: Clock, trusted: list[str]) -> None:
        self.app, self.per_min, self.clock = app, per_min, clock
        self.trusted = [ip_network(n, strict=False) for n in trusted]
        self.buckets: dict[str, tuple[float, float]] = {}  # address → (tokens, at)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def address(self, scope: Scope) -> str:
        address = scope["client"][0] if scope.get("client") else "?"
        if not self._is_trusted(address):
            return address
        forwarded = [v for k, v in scope["headers"] if k == b"x-forwarded-for"]
        hops = [h.strip() for h in b",".join(forwarded).decode("latin-1").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return address

    def take(self, address: str) -> bool:
        now = self.clock.time()
        if len(self.buckets) > 10_000:  # forget the addresses whose bucket is full again
            refill = self.per_min / 60
            self.buckets = {a: b for a, b in self.buckets.items() if b[0] + (now - b[1]) * refill < self.per_min}
        tokens, at = self.buckets.get(address, (float(self.per_min), now))
        tokens = min(float(self.per_min), tokens + max(0.0, now - at) * self.per_min / 60)
        if tokens < 1:
            self.buckets[address] = (tokens, now)
            return False
        self.buckets[address] = (tokens - 1, now)
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.take(self.address(scope)):
            response = refusal("TooManyRequests", 429)
            response.headers["Retry-After"] = str(max(1, round(60 / self.per_min)))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class Changes:
    """Hub events → a wake-up for every open phone stream, without a parked thread per phone
    (a hall may have hundreds open): one thread reads the hub and sets each stream's event."""

    def __init__(self, hub: Hub, stopping: threading.Event) -> None:
        self.hub, self.stopping = hub, stopping
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def waiter(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiters.add(waiter)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="phone-changes", daemon=True)
                self._thread.start()
        return waiter

    def drop(self, waiter: tuple[asyncio.AbstractEventLoop, asyncio.Event]) -> None:
        with self._lock:
            self._waiters.discard(waiter)

    def _run(self) -> None:
        """Read the hub while any phone stream is open (then leave it, as a closed screen does)."""
        q = self.hub.subscribe()
        try:
            while True:
                try:
                    message = q.get(timeout=WAKE_S)
                except queue.Empty:
                    with self._lock:
                        if self.stopping.is_set() or not self._waiters:
                            self._thread = None
                            return
                    continue
                if message["kind"] in HUB_KINDS:
                    with self._lock:
                        waiters = list(self._waiters)
                    for loop, event in waiters:
                        try:
                            loop.call_soon_threadsafe(event.set)
                        except RuntimeError:  # its loop is gone
                            self.drop((loop, event))
        finally:
            self.hub.unsubscribe(q)


class CitizenWeb:
    def __init__(self, service: CenterService, stopping: threading.Event) -> None:
        # the center's parts the phone pages use, not the service that holds them
        self.config, self.clock, self.catalog, self.db = service.config, service.clock, service.catalog, service.db
        self.engine, self.hub, self.phone = service.engine, service.hub, service.phone
        self.answers, self.near_turn, self.publishing = service.answers, service.near_turn, service.publishing
        self.stopping = stopping
        self.changes = Changes(service.hub, stopping)

    # ---- tokens ----------------------------------------------------------------------------
    def _claim(self, request: Request, kind: str) -> Claim:
        return self.phone.signer.verify(request.path_params["token"], self.clock.time(), kind)

    def _ticket(self, request: Request) -> tuple[Claim, Any]:
        claim = self._claim(request, "t")
        return claim, self.engine.ticket_by_ref(claim.subject)

    # ---- pages -----------------------------------------------------------------------------
    async def page(self, request: Request) -> Response:
        """The page itself, with the status its token earns (the page then says why in words)."""
        status = 200
        try:
            self._claim(request, request.url.path.split("/")[2])
        except ExpiredToken:
            status = 410
        except TokenRefused:
            status = 403
        return FileResponse(STATIC / "phone.html", status_code=status, media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            raise HTTPException(404)
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    # ---- the ticket ----------------------------------------------------------------------------
    def view(self, ticket_id: int, claim: Claim) -> dict[str, Any]:
        """What the ticket page shows: the ticket's state in the hall's words, nothing personal."""
        engine = self.engine
        v = engine.ticket_view(ticket_id)
        t = v.ticket
        category = self.catalog.category(t.category)
        window = self.config.windows.get(t.window or "")
        out: dict[str, Any] = {
            "hall": self.catalog.header.hall, "number": t.number, "category": t.category,
            "category_name": category.name, "service": self.answers.service_name(t.category, t.item_code),
            "window_area": self.answers.window_area(t.category, t.item_code), "state": t.state.value,
            "issued_at": t.issued_at, "appointment": t.appointment_id is not None, "recalls": t.recalls,
            "ahead": v.ahead if t.state is TicketState.WAITING else None, "last_called": v.last_called,
            "wait_min": v.estimate.low_min, "wait_max": v.estimate.high_min, "open_windows": v.estimate.open_windows,
            "window": t.window, "window_name": window.name if window else t.window,
            "near": self.near_turn.watched(ticket_id), "expires": claim.expires, "tz": engine.settings.timezone,
            "rating": None, "rateable": False, "reactivate_until": None, "reactivate_open": False,
            "no_show_rule": self.answers.no_show_rule, "owed": [],
        }
        if t.state is TicketState.DONE:
            out["owed"] = promises.owed_view(promises.of_ticket(self.db, ticket_id), engine.local().date())
            rating = engine.ticket_rating(ticket_id)
            out["rateable"] = rating is None
            if rating is not None:
                out["rating"] = {"level": rating.level, "words": LEVELS[rating.level], "at": rating.at}
        if t.state is TicketState.NO_SHOW:
            missed_at = engine.history(ticket_id)[-1].at
            out["reactivate_until"] = until = missed_at + engine.settings.reactivate_within_min * 60
            out["reactivate_open"] = self.clock.time() <= until
        return out

    async def ticket(self, request: Request) -> JSONResponse:
        claim, t = self._ticket(request)
        view = await anyio.to_thread.run_sync(self.view, t.id, claim)
        return JSONResponse({**view, "levels": LEVELS, "bad_reasons": BAD_REASONS, "near_choices": list(NEAR_CHOICES),
                             "reactivate_within_min": self.engine.settings.reactivate_within_min},
                            headers={"Cache-Control": "no-store"})

    async def events(self, request: Request) -> StreamingResponse:
        """The ticket's view whenever it changes (SSE `ticket`), until the token expires."""
        claim, t = self._ticket(request)

        async def stream() -> AsyncIterator[str]:
            waiter = self.changes.waiter()
            last = ""
            try:
                yield "retry: 3000\n\n"
                while not self.stopping.is_set():
                    view = json.dumps(await anyio.to_thread.run_sync(self.view, t.id, claim), ensure_ascii=False)
                    if view != last:
                        last = view
                        yield f"event: ticket\ndata: {view}\n\n"
                    else:
                        yield ": keepalive\n\n"
                    if self.clock.time() >= claim.expires:
                        yield "event: expired\ndata: {}\n\n"
                        return
                    waited = 0.0
                    while waited < REFRESH_S and not self.stopping.is_set():
                        try:
                            await asyncio.wait_for(waiter[1].wait(), WAKE_S)
                            break
                        except TimeoutError:
                            waited += WAKE_S
                    waiter[1].clear()
            finally:
                self.changes.drop(waiter)

        return StreamingResponse(stream(), media_type="text/event-stream; charset=utf-8",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    async def rate(self, request: Request) -> JSONResponse:
        """扫码评价: the same engine door as the pad and the kiosk, so one rating per service."""
        claim, t = self._ticket(request)
        body: RatingBody = await _parsed(request, RatingBody)
        reasons = [r for r in body.reasons if r in BAD_REASONS] + ([body.text.strip()] if body.text.strip() else [])
        if body.level > BAD:
            reasons = [body.text.strip()] if body.text.strip() else []
        rating = await anyio.to_thread.run_sync(lambda: self.engine.rate(
            body.level, ticket_id=t.id, reasons=reasons, channel=Channel.QR.value))
        self.hub.publish("rating", plain(rating))
        return JSONResponse({"ok": True, "level": rating.level, "words": LEVELS[rating.level],
                             "follow_up": rating.follow_up_id is not None})

    async def near(self, request: Request) -> JSONResponse:
        """近号提醒: tell when `ahead` or fewer are ahead (also the hall's webhook, if set)."""
        claim, t = self._ticket(request)
        body: NearBody = await _parsed(request, NearBody)
        if t.state is not TicketState.WAITING:
            raise InvalidTransition(f"ticket {t.number}", t.state.value, "watch")
        page = self.phone.ticket(t.ref, t.day)
        await anyio.to_thread.run_sync(lambda: self.near_turn.watch(t.id, body.ahead, page))
        return JSONResponse({"ok": True, "near": body.ahead})

    async def reactivate(self, request: Request) -> JSONResponse:
        """过号顺延: a no-show back within the hall's limit waits again in its place."""
        claim, t = self._ticket(request)
        await anyio.to_thread.run_sync(lambda: self.engine.reactivate(t.id))
        self.publishing.queue_changed()
        return JSONResponse({"ok": True})


    # ---- the booking ----------------------------------------------------------------------------
    def booking_view(self, code: str, claim: Claim) -> dict[str, Any]:
        """The booking page: the slot, its state, the QR code the kiosk's scanner checks in, and
        the slots it may move to — nothing of the citizen."""
        engine = self.engine
        a = engine.appointment(code)
        category = self.catalog.category(a.category)
        svg = qrcode.make(a.code, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
        out = io.BytesIO()
        svg.save(out)
        changeable = a.state == "booked" and self.clock.time() <= a.slot_start - engine.settings.change_until_min * 60
        return {
            "hall": self.catalog.header.hall, "category_name": category.name,
            "service": self.answers.service_name(a.category, a.item_code),
            "window_area": self.answers.window_area(a.category, a.item_code),
            "slot_start": a.slot_start, "slot_end": a.slot_end, "state": a.state, "qr_svg": out.getvalue().decode(),
            "ticket_number": a.ticket.number if a.ticket else None, "changeable": changeable,
            "change_until_min": engine.settings.change_until_min, "expires": claim.expires,
            "checkin_early_min": engine.settings.checkin_early_min,
            "tz": engine.settings.timezone,
            "slots": [{"start": st, "end": en, "left": left}
                      for st, en, left in engine.open_slots(a.category, a.slot_end - a.slot_start)
                      if st != a.slot_start] if changeable else [],
        }

    async def booking(self, request: Request) -> JSONResponse:
        claim = self._claim(request, "b")
        return JSONResponse(await anyio.to_thread.run_sync(self.booking_view, claim.subject, claim),
                            headers={"Cache-Control": "no-store"})

    async def cancel_booking(self, request: Request) -> JSONResponse:
        claim = self._claim(request, "b")
        await anyio.to_thread.run_sync(lambda: self.engine.cancel_appointment(claim.subject))
        return JSONResponse(await anyio.to_thread.run_sync(self.booking_view, claim.subject, claim))

    async def move_booking(self, request: Request) -> JSONResponse:
        claim = self._claim(request, "b")
        body: MoveBody = await _parsed(request, MoveBody)
        current = await anyio.to_thread.run_sync(self.engine.appointment, claim.subject)
        end = datetime.fromtimestamp(body.slot_start.timestamp() + current.slot_end - current.slot_start,
                                     body.slot_start.tzinfo)
        moved = await anyio.to_thread.run_sync(lambda: self.engine.move_appointment(claim.subject, body.slot_start,
                                                                                    end))
        page = self.answers.booking_page(moved)  # valid until the new slot's day closes
        new_claim = self.phone.signer.verify(page.rsplit("/", 1)[1], self.clock.time(), "b")
        view = await anyio.to_thread.run_sync(self.booking_view, claim.subject, new_claim)
        return JSONResponse({**view, "page": page})


def create_citizen_app(service: CenterService, stopping: threading.Event | None = None) -> Starlette:
    """The public routes (mounted at /m by the staff app, or served apart: `split_by_port`)."""
    web = CitizenWeb(service, stopping or threading.Event())
    routes = [
        Route("/t/{token}", web.page),
        Route("/b/{token}", web.page),
        Route("/static/{name}", web.asset),
        Route("/api/t/{token}", web.ticket),
        Route("/api/t/{token}/events", web.events),
        Route("/api/t/{token}/rating", web.rate, methods=["POST"]),
        Route("/api/t/{token}/near", web.near, methods=["POST"]),
        Route("/api/t/{token}/reactivate", web.reactivate, methods=["POST"]),
        Route("/api/b/{token}", web.booking),
        Route("/api/b/{token}/cancel", web.cancel_booking, methods=["POST"]),
        Route("/api/b/{token}/move", web.move_booking, methods=["POST"]),
    ]
    settings = service.config.citizen_web
    handlers: dict[Any, Any] = {OneTripError: _refused, ValueError: _bad_request, HTTPException: _http_error,
                                Exception: _internal}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.add_middleware(RateLimit, per_min=settings.requests_per_min, clock=service.clock,
                       trusted=settings.trusted_proxies)
    app.state.citizen = web
    return app


def public_app(citizen: Starlette) -> Starlette:
    """Only the citizen's routes, at /m — what a separate port serves."""
    return Starlette(routes=[Mount(PREFIX, app=citizen)])


def split_by_port(staff: ASGIApp, public: ASGIApp, public_port: int) -> ASGIApp:
    """One server, two addresses: requests arriving on `public_port` reach only the citizen's
    routes; everything else (the lifespan included) is the staff app's."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or (None, None)
        target = public if scope["type"] != "lifespan" and server[1] == public_port else staff
        await target(scope, receive, send)

    return app
