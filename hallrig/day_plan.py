"""Who comes to the hall on the scripted demo day, and how long each service takes: no I/O.

The arrival curve is the queue helper's (center.hallsim: a mid-morning peak); the share of
each category and the service times are the demo hall's assumptions, written here once so
the day and its report agree. Everything is drawn from one seeded `random.Random`, so a
day can be replayed.
"""
from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from center.hallsim import ARRIVALS_PER_HOUR

# Share of visitors per category (a mid-sized city hall: property, social insurance and
# public security make most of the morning) and mean service minutes at the counter.
CATEGORY_SHARE = {"A": 0.22, "B": 0.22, "C": 0.18, "D": 0.11, "E": 0.10, "F": 0.11, "G": 0.06}
SERVICE_MEAN_MIN = {"A": 5.0, "B": 3.0, "C": 3.5, "D": 5.5, "E": 3.5, "F": 4.0, "G": 8.0}
SERVICE_SIGMA = 0.45           # lognormal spread of service times
CARD_SHARE = 0.75              # visitors who swipe their ID card (the rest take a number without)
ELDERLY_CARD_WEIGHT = 0.3      # two of the seven test citizens are over 60: keep 长者 near a real hall's share
CHOSEN_PRIORITY_SHARE = 0.03   # 残疾人 / 孕妇 / 军人, chosen on the kiosk
APPOINTMENT_SHARE = 0.08       # visitors who booked a slot and check in
CHECKLIST_SHARE = 0.08         # visitors who also print the one-time complete notice (一次告知单)
NO_SHOW_SHARE = 0.05
RATING_LEVELS = {5: 0.68, 4: 0.18, 3: 0.07, 2: 0.04, 1: 0.03}  # 非常满意 … 非常不满意
BAD_REASONS = (["等待时间长"], ["办事效率低", "等待时间长"], ["服务态度不好"], ["材料要求不清楚"])
TRANSFER_TO = {"A": "F", "B": "C", "C": "B", "D": "F", "E": "A", "F": "A", "G": "D"}  # "that is the tax desk's job"
SLOT_MIN = 30

Errand = Literal["number", "appointment", "rate", "helper"]


@dataclass(frozen=True)
class Visitor:
    """One trip to a kiosk: take a number, check in, rate a finished service, or ask for help."""

    at: float                    # hall time of arrival at the kiosk
    errand: Errand
    category: str = ""
    item_code: str | None = None
    card: int | None = None      # index into the ID-card simulator's test citizens
    priority: str | None = None  # chosen on the kiosk (the elderly get theirs from the card)
    checklist: bool = False
    code: str | None = None      # appointment code, checked in by scanning it
    ticket: str | None = None    # the finished service to rate
    level: int = 0
    reasons: tuple[str, ...] = ()


def arrival_times(rng: random.Random, start: datetime, close: datetime, count: int) -> list[float]:
    """`count` arrivals between `start` and `close`, denser where the hall's hourly rate is higher."""
    edges, weights = [start.timestamp()], []
    t = start
    while t < close:
        nxt = min(close, t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        weights.append(ARRIVALS_PER_HOUR.get(t.hour, 0) * (nxt - t).total_seconds())
        edges.append(nxt.timestamp())
        t = nxt
    total = sum(weights)
    if total <= 0:
        raise ValueError(f"no arrivals expected between {start:%H:%M} and {close:%H:%M}")
    cumulative = [sum(weights[: i + 1]) / total for i in range(len(weights))]
    times = []
    for _ in range(count):
        u = rng.random()
        i = min(bisect.bisect_left(cumulative, u), len(weights) - 1)
        times.append(rng.uniform(edges[i], edges[i + 1]))
    return sorted(times)


def weighted(rng: random.Random, choices: dict[Any, float]) -> Any:
    return rng.choices(list(choices), weights=list(choices.values()))[0]


def pick_item(rng: random.Random, items: list[dict[str, Any]], category: str) -> str | None:
    """An item of the category; the catalog lists the common ones first, so weigh by 1/rank."""
    codes = [i["code"] for i in items if i.get("category") == category]
    if not codes:
        return None
    return rng.choices(codes, weights=[1 / (rank + 1) for rank in range(len(codes))])[0]


def service_seconds(rng: random.Random, category: str) -> float:
    mean = SERVICE_MEAN_MIN.get(category, 5.0) * 60
    return rng.lognormvariate(math.log(mean) - SERVICE_SIGMA**2 / 2, SERVICE_SIGMA)


def rating_level(rng: random.Random) -> int:
    return weighted(rng, RATING_LEVELS)


def appointment_slots(start: datetime, close: datetime, count: int, rng: random.Random) -> list[datetime]:
    """Slot starts for `count` bookings: half-hour slots that begin a quarter hour after opening at the earliest."""
    first = start + timedelta(minutes=15)
    first = first.replace(second=0, microsecond=0) + timedelta(minutes=-first.minute % SLOT_MIN)
    slots = []
    t = first
    while t + timedelta(minutes=SLOT_MIN) <= close:
        slots.append(t)
        t += timedelta(minutes=SLOT_MIN)
    return sorted(rng.choice(slots) for _ in range(count)) if slots else []


def card_weights(ages: list[int], elderly_age: int = 60) -> list[float]:
    """How often each test citizen's card is swiped: the elderly less, as they are fewer in a hall."""
    return [ELDERLY_CARD_WEIGHT if age >= elderly_age else 1.0 for age in ages]


def plan_visitors(rng: random.Random, items: list[dict[str, Any]], start: datetime, close: datetime,
                  count: int, cards: list[float]) -> tuple[list[Visitor], list[tuple[Visitor, datetime]]]:
    """The day's walk-in visitors and the bookings (visitor, slot start) to make before opening.

    `cards` weighs the ID-card simulator's test citizens (see `card_weights`). Booked visitors come 5–25 minutes before their slot; the first booking of each test
    citizen is checked in with the card, the others by scanning the booking's code."""
    bookings_wanted = max(1, round(count * APPOINTMENT_SHARE))
    slots = appointment_slots(start, close, bookings_wanted, rng)
    walk_ins = arrival_times(rng, start, close, count - len(slots))
    visitors = []
    for at in walk_ins:
        category = weighted(rng, CATEGORY_SHARE)
        card = rng.choices(range(len(cards)), weights=cards)[0] if rng.random() < CARD_SHARE else None
        priority = rng.choice(("disabled", "pregnant", "military")) if rng.random() < CHOSEN_PRIORITY_SHARE else None
        visitors.append(Visitor(at, "number", category, pick_item(rng, items, category), card, priority,
                                checklist=rng.random() < CHECKLIST_SHARE))
    booked: list[tuple[Visitor, datetime]] = []
    carded: set[int] = set()
    for slot in slots:
        category = weighted(rng, CATEGORY_SHARE)
        at = max(start.timestamp(), (slot - timedelta(minutes=rng.uniform(5, 25))).timestamp())
        card = next((c for c in range(len(cards)) if c not in carded), None)
        if card is not None and rng.random() < 0.5:
            carded.add(card)
        else:
            card = None
        booked.append((Visitor(at, "appointment", category, pick_item(rng, items, category), card), slot))
    return visitors, booked
