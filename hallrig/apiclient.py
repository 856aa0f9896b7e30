"""A blocking local-API client (tests, the demo day, fault drills): requests in, replies and events out."""
from __future__ import annotations

import itertools
import queue
import socket
import threading
import time
from pathlib import Path
from typing import Any

from core.localapi import LineCodec, LocalApiError, messages


class ApiClient:
    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(str(path))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.replies: dict[Any, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self.closed = False  # the daemon hung up: a reply can no longer come
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for msg in messages(self.sock.recv):
            if isinstance(msg, LocalApiError):
                continue
            if "event" in msg:
                self.events.put(msg)
            else:
                with self._cond:
                    self.replies[msg.get("id")] = msg
                    self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reply_to(self, request_id: Any, timeout: float = 15.0) -> dict[str, Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: request_id in self.replies or self.closed, timeout):
                raise TimeoutError(f"no reply to {request_id}")
            if request_id not in self.replies:
                raise ConnectionError(f"the daemon closed the connection before replying to {request_id}")
            return self.replies.pop(request_id)

    def call(self, op: str, **args: Any) -> dict[str, Any]:
        request_id = next(self._ids)
        self.send_raw(LineCodec.send({"id": request_id, "op": op, "args": args}))
        return self.reply_to(request_id)

    def next_event(self, name: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            msg = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if msg["event"] == name:
                return msg["data"]

    def close(self) -> None:
        self.sock.close()
