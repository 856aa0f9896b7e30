"""The demo hall's staff: one clerk per window, a hall manager, a maintainer, an auditor and an
administrator, all with one known password (printed by `make demo`). A real hall adds its
own with `onetrip staff add` and changes every initial password at first sign-in."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from center.db import Database
from center.staff import Role, StaffDirectory
from core.clock import Clock

if TYPE_CHECKING:
    import httpx

DEMO_PASSWORD = "OneTrip-demo-2026"
DEMO_APPOINTMENT_KEY = "demo-appointment-platform-key"  # the demo's appointment platform (Bearer)
DEMO_APPOINTMENT_KEY_SHA256 = hashlib.sha256(DEMO_APPOINTMENT_KEY.encode()).hexdigest()
CLERKS = {str(w): f"s00{w}" for w in range(1, 7)}  # window → its clerk's 工号
DEMO_STAFF: list[tuple[str, str, set[Role]]] = [
    *((no, f"{w}号窗口人员", {Role.CLERK}) for w, no in CLERKS.items()),
    ("h001", "导办员小李", {Role.CLERK}),  # a floor helper (帮办): sent by the manager, closes the case
    ("m001", "值班长", {Role.MANAGER}),
    ("w001", "运维员", {Role.MAINTAINER}),
    ("a001", "审计员", {Role.AUDITOR}),
    ("admin", "系统管理员", {Role.ADMIN}),
]


def seed(db: Database, clock: Clock) -> None:
    StaffDirectory(db, clock).seed(DEMO_STAFF, DEMO_PASSWORD)


def sign_in_lines(base: str) -> list[str]:
    """How to sign in, for the demo's banner."""
    return [f"staff sign-in  {base}/login  password {DEMO_PASSWORD} for every demo account:",
            "               " + ", ".join(f"{no} ({'/'.join(sorted(r.value for r in roles))})"
                                          for no, _, roles in DEMO_STAFF)]


def staff_client(base: str, staff_no: str, timeout: float = 10.0) -> httpx.Client:
    """An httpx client of the center's web, signed in as `staff_no`. httpx is imported here: the
    demo hall seeds its staff without it."""
    import httpx

    http = httpx.Client(base_url=base, timeout=timeout)
    sign_in(http, staff_no)
    return http


def clerk_client(base: str, window: str | int, timeout: float = 10.0) -> httpx.Client:
    """Signed in as the demo clerk of `window`, who may act at that window only."""
    return staff_client(base, CLERKS[str(window)], timeout)


def sign_in(http: Any, staff_no: str, password: str = DEMO_PASSWORD) -> dict[str, Any]:
    """Sign an httpx-style client (httpx.Client, Starlette's TestClient) in: its cookie jar
    keeps the session, and every later request carries the CSRF token."""
    response = http.post("/api/session", json={"staff_no": staff_no, "password": password})
    if response.status_code != 200:
        raise RuntimeError(f"sign-in of {staff_no} refused: {response.text}")
    me = response.json()
    http.headers["X-CSRF-Token"] = me["csrf"]
    return me
