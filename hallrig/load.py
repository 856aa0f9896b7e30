"""A steady load of simulated citizens and window staff against a running `Hall`.

Citizens take numbers at the kiosks through the local API (some with their ID card on the
reader) and rate finished services there; staff at the bus windows work only with their
caller keypads and rating pads (keys go to the simulators' control sockets, so the window
bus, the daemon's outbox and the center all carry them), and staff at web windows use the
counter console's API. Everything the load caused is written in a `Ledger`: the tickets
citizens were told, the keys pressed, the ratings recorded. `hallrig.audit` compares it
with what the center applied, which is how the fault drills count lost and duplicated events.

The load never asks for something the center would refuse in a healthy hall: a window
presses "call" only for a ticket it knows is waiting for it (its own count of told
tickets, per category pool, minus the calls already pressed), so every refusal the center
logs is a finding, not noise. Pools: windows 1 and 2 call category A, 3 calls C, 4 calls D
and G (B, which windows 2 and 3 share, is never issued), web window 5 calls E and F.
"""
from __future__ import annotations

import queue
import random
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hallrig.apiclient import ApiClient
from hallrig.hall import BUS_WINDOWS, Hall, Terminal
from hallrig.staff_accounts import clerk_client
from kiosk.ticket_qr import ticket_token

BUS_POOLS = {1: "A", 2: "A", 3: "C", 4: "DG"}     # bus window → the category pool it calls
WEB_POOLS = {"5": "EF"}                            # web window → pool (window 6 stays closed)
CATEGORY_POOL = {"A": "A", "C": "C", "D": "DG", "G": "DG", "E": "EF", "F": "EF"}


def sim_command(control: Path, line: str, timeout: float = 5.0) -> str:
    """One line to an `onetrip sim` console, its one-line answer back."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(str(control))
        s.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    answer = data.decode().strip()
    if answer.startswith("error"):
        raise RuntimeError(f"sim refused {line!r}: {answer}")
    return answer


@dataclass
class Ledger:
    """What the load did and what people were told, for the audit."""

    tickets: dict[int, str] = field(default_factory=dict)         # ticket id → number told
    told_twice: int = 0                                           # one ticket told to two citizens
    take_latency: list[float] = field(default_factory=list)       # seconds, successful take_number
    refusals: Counter[str] = field(default_factory=Counter)       # take_number errors, by type
    presses: Counter[str] = field(default_factory=Counter)        # "call", "recall", "evaluate", "rate"
    kiosk_ratings: int = 0                                        # `rate` ops the daemon recorded
    rating_refusals: Counter[str] = field(default_factory=Counter)
    web_visits: int = 0                                           # services finished at web windows
    web_errors: Counter[str] = field(default_factory=Counter)
    reconnects: list[float] = field(default_factory=list)         # seconds a kiosk was without its daemon
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def told(self, ticket_id: int, number: str, latency: float) -> None:
        with self.lock:
            self.told_twice += ticket_id in self.tickets
            self.tickets[ticket_id] = number
            self.take_latency.append(latency)

    def count(self, counter: Counter[str], key: str) -> None:
        with self.lock:
            counter[key] += 1

    @property
    def key_presses(self) -> int:
        return self.presses["call"] + self.presses["recall"] + self.presses["evaluate"]


class Pools:
    """Tickets known to be waiting, per pool: told minus claimed by a call."""

    def __init__(self) -> None:
        self._waiting: Counter[str] = Counter()
        self._cond = threading.Condition()

    def add(self, pool: str) -> None:
        with self._cond:
            self._waiting[pool] += 1
            self._cond.notify_all()

    def claim(self, pool: str, timeout: float) -> bool:
        with self._cond:
            if not self._cond.wait_for(lambda: self._waiting[pool] > 0, timeout):
                return False
            self._waiting[pool] -= 1
            return True

    def total(self) -> int:
        with self._cond:
            return sum(self._waiting.values())


@dataclass
class LoadSettings:
    take_interval: float = 0.5      # seconds between two citizens at one kiosk
    service_time: float = 0.6       # seconds a bus or web window serves one citizen
    max_waiting: int = 12           # citizens stop taking numbers while this many wait
    card_share: float = 0.1         # citizens who put their ID card on the reader
    recall_share: float = 0.2       # calls followed by a recall
    kiosk_rating_share: float = 0.5  # web-window citizens who rate at a kiosk afterwards
    categories: dict[str, int] = field(default_factory=lambda: {"A": 4, "C": 2, "D": 2, "E": 1, "F": 1})
    seed: int = 7


class Load:
    """Start with `start()`, stop with `stop()`; `ledger` holds what happened."""

    def __init__(self, hall: Hall, settings: LoadSettings | None = None) -> None:
        self.hall = hall
        self.settings = settings or LoadSettings()
        self.ledger = Ledger()
        self.pools = Pools()
        self.to_rate: deque[str] = deque()   # numbers finished at web windows, for kiosk ratings
        self.qr_of: dict[str, str] = {}      # each number's QR: a rating scans it (a typed one needs the card)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._bus = next(t for t in hall.terminals.values() if t.printer_port is None)
        self._bus_lock = threading.Lock()    # one console line at a time keeps each window's order
        self.kiosks = [t for t in hall.terminals.values() if t.printer_port is not None]

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        for window in [str(w) for w in BUS_WINDOWS] + list(WEB_POOLS):
            with closing(clerk_client(self.hall.web, window)) as web:  # each window's own clerk signs in there
                if web.get(f"/api/windows/{window}").json()["window"]["state"] == "closed":
                    web.post(f"/api/windows/{window}/sign_in").raise_for_status()
        rng = random.Random(self.settings.seed)
        workers: list[tuple[Callable[[Any, random.Random], None], tuple[Any, random.Random]]]
        workers = [(self._citizens, (k, random.Random(rng.random()))) for k in self.kiosks]
        workers += [(self._bus_window, (w, random.Random(rng.random()))) for w in BUS_POOLS]
        workers += [(self._web_window, (w, random.Random(rng.random()))) for w in WEB_POOLS]
        for target, args in workers:
            thread = threading.Thread(target=target, args=args, name=f"load-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)
        self._threads.clear()

    def run_for(self, seconds: float) -> None:
        self._stop.wait(seconds)

    # ---- citizens at a kiosk ---------------------------------------------------------------------
    def _citizens(self, kiosk: Terminal, rng: random.Random) -> None:
        s, client, lost_at = self.settings, None, None
        categories, weights = list(s.categories), list(s.categories.values())
        while not self._stop.wait(s.take_interval * rng.uniform(0.5, 1.5)):
            try:
                client = client or self._connect(kiosk, lost_at)
                if client is None:
                    continue
                if self.to_rate and rng.random() < s.kiosk_rating_share:
                    self._rate_at_kiosk(client, kiosk, rng)
                if self.pools.total() >= s.max_waiting:
                    continue
                self._take_number(client, kiosk, rng.choices(categories, weights)[0], rng)
            except (OSError, TimeoutError):
                self.ledger.count(self.ledger.refusals, "daemon gone")
                client.close() if client else None
                client, lost_at = None, time.monotonic()
        if client is not None:
            client.close()

    def _connect(self, kiosk: Terminal, lost_at: float | None) -> ApiClient | None:
        """The kiosk app's reconnect: keep trying the daemon's socket; note how long it was lost."""
        while not self._stop.is_set():
            try:
                client = ApiClient(kiosk.socket, timeout=1.0)
                client.call("hello")
            except (OSError, TimeoutError):
                self._stop.wait(0.1)
                continue
            if lost_at is not None:
                with self.ledger.lock:
                    self.ledger.reconnects.append(time.monotonic() - lost_at)
            return client
        return None

    def _take_number(self, client: ApiClient, kiosk: Terminal, category: str, rng: random.Random) -> None:
        with_card = rng.random() < self.settings.card_share
        if with_card:
            sim_command(kiosk.control, f"card insert {rng.randrange(3)}")
            try:
                client.next_event("card_read", timeout=5)
            except queue.Empty:  # the reader did not read it: this citizen goes without the card
                with_card = False
        started = time.perf_counter()
        try:
            reply = client.call("take_number", category=category, use_card=with_card)
        finally:
            if with_card:
                sim_command(kiosk.control, "card remove")
        if reply["ok"]:
            result = reply["result"]
            self.ledger.told(int(result["ticket_id"]), result["number"], time.perf_counter() - started)
            self.qr_of[result["number"]] = result.get("qr") or ""
            self.pools.add(CATEGORY_POOL[category])
        else:
            self.ledger.count(self.ledger.refusals, f"{reply['error']['type']}: {reply['error']['message'][:60]}")

    def _rate_at_kiosk(self, client: ApiClient, kiosk: Terminal, rng: random.Random) -> None:
        try:
            number = self.to_rate.popleft()
        except IndexError:
            return
        level = rng.choice((5, 5, 4, 4, 3, 2))
        qr = self.qr_of.get(number)
        token = self._scan(client, kiosk, qr) if qr else None
        if token is None:  # a typed number would need the card that took it: this citizen does not rate
            self.ledger.count(self.ledger.rating_refusals, "QR not read")
            return
        reply = client.call("rate", ticket_token=token, level=level, reasons=["等候时间长"] if level <= 2 else [])
        if reply["ok"]:
            with self.ledger.lock:
                self.ledger.kiosk_ratings += 1
        else:
            self.ledger.count(self.ledger.rating_refusals, reply["error"]["type"])

    @staticmethod
    def _scan(client: ApiClient, kiosk: Terminal, qr: str) -> str | None:
        """The ticket's QR on the kiosk's scanner: its token once this very code is read (an
        earlier scan read late must not rate another ticket), None if it is not read in 5 s."""
        sim_command(kiosk.control, f"scan {qr}")
        deadline = time.monotonic() + 5
        while (left := deadline - time.monotonic()) > 0:
            try:
                if client.next_event("code_scanned", timeout=left)["code"] == qr:
                    return ticket_token(qr)
            except queue.Empty:
                return None
        return None

    # ---- staff at a bus window: caller keypad and rating pad only ------------------------------
    def press(self, address: int, what: str, key: str) -> None:
        with self._bus_lock:
            sim_command(self._bus.control, f"bus key {address} {what}")
        self.ledger.count(self.ledger.presses, key)

    def _bus_window(self, window: int, rng: random.Random) -> None:
        s, address = self.settings, BUS_WINDOWS[window]
        while not self._stop.is_set():
            if not self.pools.claim(BUS_POOLS[window], timeout=0.5):
                continue
            self.press(address, "call", "call")
            if rng.random() < s.recall_share:
                self._stop.wait(s.service_time / 3)
                self.press(address, "recall", "recall")
            self._stop.wait(s.service_time * rng.uniform(0.5, 1.5))
            self.press(address, "evaluate", "evaluate")   # ends the service, lights the pad
            self.press(address, f"rate {rng.choice((5, 5, 5, 4, 4, 3, 1))}", "rate")

    # ---- staff at a web window: the counter console's API ----------------------------------------
    def _web_window(self, window: str, rng: random.Random) -> None:
        """Acts on the window's state as the console shows it, so a lost reply is harmless."""
        s = self.settings
        with closing(clerk_client(self.hall.web, window)) as web:
            while not self._stop.wait(s.service_time * rng.uniform(0.3, 0.7)):
                try:
                    state = web.get(f"/api/windows/{window}").json()["window"]
                    if state["state"] == "idle" and self.pools.claim(WEB_POOLS[window], timeout=0.5):
                        web.post(f"/api/windows/{window}/call").raise_for_status()
                    elif state["state"] == "calling":
                        web.post(f"/api/windows/{window}/start").raise_for_status()
                    elif state["state"] == "serving":
                        web.post(f"/api/windows/{window}/finish").raise_for_status()
                        with self.ledger.lock:
                            self.ledger.web_visits += 1
                        self.to_rate.append(state["ticket_number"])
                except (httpx.HTTPError, ValueError, KeyError) as exc:
                    self.ledger.count(self.ledger.web_errors, type(exc).__name__)
                    self._stop.wait(0.5)

    # ---- figures ---------------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        led = self.ledger
        with led.lock:
            return {"tickets": len(led.tickets), "refusals": dict(led.refusals), "presses": dict(led.presses),
                    "kiosk_ratings": led.kiosk_ratings, "web_visits": led.web_visits,
                    "web_errors": dict(led.web_errors), "reconnects": list(led.reconnects)}
