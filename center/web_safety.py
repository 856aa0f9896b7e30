"""What every response and every request body of the center's web gets, whoever asks.

Headers: a Content-Security-Policy without inline script (the pages load only their own
files), no MIME sniffing, no referrer, no framing (the hall display may be framed by the
center's own pages), HSTS when served over TLS. Bodies: JSON objects only, at most
`[web] max_body_bytes` and `MAX_DEPTH` levels deep, else a typed 4xx — never a 500.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from center.i18n import Worded

MAX_DEPTH = 16
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self';"
       " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {frames}")
FRAMEABLE = ("/display",)  # a hall may show its display inside its own pages


class BodyTooLarge(Worded):
    def __init__(self, limit: int) -> None:
        super().__init__("err.BodyTooLarge", kb=limit // 1024)


class BadBody(Worded):
    """Not a JSON object, nested too deep, or not sent as JSON (`err.BadBody.<why>`)."""


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        frames = "'self'" if scope["path"] in FRAMEABLE else "'none'"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}  # a route's own choice stands
                extra = [(b"content-security-policy", CSP.format(frames=frames).encode()),
                         (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"SAMEORIGIN" if frames == "'self'" else b"DENY"),
                         (b"cross-origin-opener-policy", b"same-origin")]
                if scope.get("scheme") == "https":
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers + [(k, v) for k, v in extra if k not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


def _depth(value: Any) -> int:
    """Nesting depth, iteratively (a hostile body must not exhaust the stack here either)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


async def read_raw(request: Request, limit: int) -> bytes:
    """The request's body, refused (413) past `limit` bytes before more of it is read."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise BodyTooLarge(limit)
    return raw


async def read_body(request: Request, limit: int) -> dict[str, Any]:
    """The request's JSON object; {} for an empty body."""
    raw = await read_raw(request, limit)
    if not raw:
        return {}
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise BadBody("err.BadBody.not_json")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadBody("err.BadBody.too_deep", n=MAX_DEPTH) from None
    except ValueError:
        raise BadBody("err.BadBody.invalid") from None
    if not isinstance(data, dict):
        raise BadBody("err.BadBody.not_object")
    if _depth(data) > MAX_DEPTH:
        raise BadBody("err.BadBody.too_deep", n=MAX_DEPTH)
    return data
