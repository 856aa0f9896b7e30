"""The daemon's side of the local API: a Unix socket the kiosk connects to.

One thread per connected kiosk reads lines through `core.localapi.LineCodec`; each request
runs on a small pool, so a slow print never blocks a `device_states` on the same socket.
Events go to every connected kiosk. A bad line gets a typed error reply; the connection
and the daemon carry on.
"""
from __future__ import annotations

import logging
import os
import socket
import socketserver
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from core.errors import OneTripError
from core.localapi import (
    LineCodec,
    LocalApiError,
    check_args,
    check_result,
    messages,
    parse_request,
    reply_error,
    reply_ok,
)
from mqtt.terminal import RequestFailed

log = logging.getLogger("daemon.localapi")

Dispatch = Callable[[str, dict[str, Any]], dict[str, Any]]


class _Session(socketserver.BaseRequestHandler):
    server: "_Server"

    def setup(self) -> None:
        self.lock = threading.Lock()
        self.server.api._attach(self)

    def send(self, message: dict[str, Any]) -> None:
        data = LineCodec.send(message)
        with self.lock:
            try:
                self.request.sendall(data)
            except OSError:
                pass

    def handle(self) -> None:
        for msg in messages(self.request.recv):
            if isinstance(msg, LocalApiError):
                self.send(reply_error(None, "BadRequest", str(msg)))
            else:
                self.server.api.pool.submit(self.server.api._serve, self, msg)

    def finish(self) -> None:
        self.server.api._detach(self)


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    api: "LocalApiServer"


class LocalApiServer:
    def __init__(self, path: Path, dispatch: Dispatch) -> None:
        self.path = path
        self.dispatch = dispatch
        self.pool = ThreadPoolExecutor(4, thread_name_prefix="localapi")
        self._sessions: set[_Session] = set()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.stats = {"requests": 0, "errors": 0, "clients": 0}

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        self._server = _Server(str(self.path), _Session)
        self._server.api = self
        os.chmod(self.path, 0o660)  # the kiosk user shares the daemon's group
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,),
                                        name="localapi", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            for session in list(self._sessions):
                try:
                    session.request.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.path.unlink(missing_ok=True)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def clients(self) -> int:
        return len(self._sessions)

    def broadcast(self, message: dict[str, Any]) -> None:
        with self._lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.send(message)

    def _attach(self, session: _Session) -> None:
        with self._lock:
            self._sessions.add(session)
        self.stats["clients"] += 1

    def _detach(self, session: _Session) -> None:
        with self._lock:
            self._sessions.discard(session)

    def _serve(self, session: _Session, obj: dict[str, Any]) -> None:
        self.stats["requests"] += 1
        request_id = obj.get("id") if isinstance(obj.get("id"), (int, str)) else None
        try:
            request = parse_request(obj)
            result = self.dispatch(request.op, check_args(request.op, request.args))
        except LocalApiError as exc:
            self.stats["errors"] += 1
            session.send(reply_error(request_id, "BadRequest", str(exc)))
        except OneTripError as exc:
            self.stats["errors"] += 1
            # the center's refusal keeps its own type (NotIssuingNow, TooEarly…): the kiosk words
            # each one, instead of one "please try again" for all (docs/localapi.md, error types)
            type_ = exc.type if isinstance(exc, RequestFailed) else type(exc).__name__
            session.send(reply_error(request_id, type_, str(exc), getattr(exc, "values", None)))
        except Exception as exc:
            self.stats["errors"] += 1
            log.exception("local API op failed", extra={"op": obj.get("op")})
            session.send(reply_error(request_id, "InternalError", type(exc).__name__))
        else:
            try:  # what the daemon sends is held to the op's shape too: a drifted reply is a daemon bug
                session.send(reply_ok(request.id, check_result(request.op, result)))
            except LocalApiError as exc:
                self.stats["errors"] += 1
                log.error("local API reply misfit", extra={"op": request.op, "problem": str(exc)})
                session.send(reply_error(request.id, "InternalError", "ReplyMisfit"))
