"""Signed tokens for the citizen's phone pages: what the ticket's QR code and a booking's link carry.

A token is `<kind><subject>.<expiry>.<mac>`: the kind (`t` ticket, `b` booking), the
subject's unguessable reference (a ticket's `ref`, a booking's code — never a sequential
id), the expiry in epoch seconds (base 36; the day's close) and the first 16 bytes of
HMAC-SHA256 over the rest, urlsafe base64. Stdlib `hmac`, no itsdangerous: the format is
three fields, and a short token keeps the printed QR code small (about 60 characters).

The key is the hall's own: 32 random bytes made once in the center's state dir (0600), so
a token is good only at the hall that printed it, and a new key voids every token.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from core.errors import OneTripError

PREFIX = "/m"  # every public route of the citizen web is under it (center/citizen_web.py)
KINDS = ("t", "b")  # ticket, booking
MAC_BYTES = 16


class TokenRefused(OneTripError):
    """A phone's token that is not this hall's (forged, damaged) — or no longer valid."""


class ForgedToken(TokenRefused):
    def __init__(self) -> None:
        super().__init__("the token is not one this hall signed")


class ExpiredToken(TokenRefused):
    def __init__(self) -> None:
        super().__init__("the token expired at the day's close")


@dataclass(frozen=True)
class Claim:
    kind: str
    subject: str
    expires: float


def load_key(path: Path) -> bytes:
    """The hall's token key, made on first use; readable by the center's user only."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key)
        return key


def _b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


class Signer:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a token key of at least 16 bytes is expected")
        self.key = key

    def _mac(self, body: str) -> str:
        mac = hmac.new(self.key, body.encode("ascii"), hashlib.sha256).digest()[:MAC_BYTES]
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")

    def sign(self, kind: str, subject: str, expires: float) -> str:
        if kind not in KINDS or "." in subject or not subject:
            raise ValueError(f"cannot sign {kind!r}/{subject!r}")
        body = f"{kind}{subject}.{_b36(int(expires))}"
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str, now: float, kind: str) -> Claim:
        """The token's claim, if this hall signed it for `kind` and it has not expired."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].startswith(kind) or len(parts[0]) < 2:
            raise ForgedToken()
        body = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._mac(body), parts[2]):
            raise ForgedToken()
        expires = float(int(parts[1], 36))  # signed, so well formed
        if now >= expires:
            raise ExpiredToken()
        return Claim(kind, parts[0][1:], expires)


class PhoneLinks:
    """The URLs the citizen's phone opens: a ticket's (its QR code) and a booking's; each
    valid until the close of its day (`close_moment`, the engine's 日终清场 moment)."""

    def __init__(self, base_url: str, signer: Signer, close_moment: Callable[[date], float]) -> None:
        self.base_url, self.signer, self.close_moment = base_url, signer, close_moment

    def ticket(self, ref: str, day: str) -> str:
        return f"{self.base_url}{PREFIX}/t/{self.signer.sign('t', ref, self.close_moment(date.fromisoformat(day)))}"

    def booking(self, code: str, day: str) -> str:
        return f"{self.base_url}{PREFIX}/b/{self.signer.sign('b', code, self.close_moment(date.fromisoformat(day)))}"
