"""The one reconnect backoff of every link that retries forever: drivers, driver restarts, MQTT,
the kiosk's local-API client.

Delays double from `first` up to `most`, each spread by ±`jitter` (a fraction), so that the
devices and terminals of a hall, cut off together, do not all come knocking at one instant.
`reset()` after a success starts again from `first`.
"""
from __future__ import annotations

import random

JITTER = 0.3  # one policy for the whole house: each delay within ±30 % of its step


class Backoff:
    def __init__(self, first: float, most: float, *, jitter: float = JITTER,
                 rng: random.Random | None = None) -> None:
        if not 0 < first <= most or not 0 <= jitter < 1:
            raise ValueError(f"backoff needs 0 < first <= most and 0 <= jitter < 1, not {first}, {most}, {jitter}")
        self.first, self.most, self.jitter = first, most, jitter
        self._rng = rng or random.Random()
        self._step = first

    @property
    def longest(self) -> float:
        """The longest delay this backoff can ever give (its cap, jitter included)."""
        return self.most * (1 + self.jitter)

    def next(self) -> float:
        """The delay before the next try; the one after it is twice as long, up to `most`."""
        delay = self._step * self._rng.uniform(1 - self.jitter, 1 + self.jitter)
        self._step = min(self._step * 2, self.most)
        return delay

    def reset(self) -> None:
        self._step = self.first
