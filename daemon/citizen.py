"""The citizen at the kiosk right now: what the card said, kept in memory only.

The raw ID number never leaves this object: the kiosk gets the masked name and the keyed
hash, the center gets the keyed hash. `forget()` drops everything (idle reset, card lifted
and flow finished, or `forget_after` seconds with nothing happening).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.clock import Clock, local_datetime
from drivers.idcard.card import Card


@dataclass(frozen=True)
class Citizen:
    key: str
    masked_name: str
    card_type: str
    gender: str
    age: int
    elderly: bool
    expired: bool
    read_at: float  # clock.monotonic(): a timeout runs in real time even under a scaled hall clock

    def for_kiosk(self) -> dict[str, Any]:
        return {"masked_name": self.masked_name, "card_type": self.card_type, "gender": self.gender,
                "age": self.age, "elderly": self.elderly, "expired": self.expired, "citizen_key": self.key}


class CitizenSlot:
    forget_after = 180.0

    def __init__(self, secret: bytes, elderly_age: int, clock: Clock) -> None:
        self.secret = secret
        self.elderly_age = elderly_age
        self.clock = clock
        self._citizen: Citizen | None = None
        self._lock = threading.Lock()

    def from_card(self, card: Card) -> Citizen:
        today: date = local_datetime(self.clock.time()).date()
        age = card.age_on(today)
        citizen = Citizen(key=card.citizen_key(self.secret), masked_name=card.masked_name,
                          card_type=card.card_type.name.lower(), gender=card.gender.label,
                          age=age, elderly=age >= self.elderly_age, expired=card.expired_on(today),
                          read_at=self.clock.monotonic())
        with self._lock:
            self._citizen = citizen
        return citizen

    @property
    def current(self) -> Citizen | None:
        with self._lock:
            if self._citizen and self.clock.monotonic() - self._citizen.read_at > self.forget_after:
                self._citizen = None
            return self._citizen

    def forget(self) -> None:
        with self._lock:
            self._citizen = None
