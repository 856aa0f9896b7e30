"""Hall time on a terminal: the offset of its clock from the center's, measured as NTP does.

Pure arithmetic, no I/O: the link feeds it one sample per `time` round trip. With a single
server stamp the best estimate assumes the center read its clock halfway through the round
trip; of a burst of samples the one with the shortest round trip is the least disturbed by
queueing (NTP's clock filter), so its offset is the one used.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OffsetSample:
    offset: float  # hall time − local time, seconds
    rtt: float     # round trip, seconds (monotonic)


def sample(sent: float, hall_time: float, rtt: float) -> OffsetSample:
    """`sent`: the local wall clock when the request left; `rtt` from the monotonic clock, so a
    wall-clock step during the round trip cannot distort it."""
    return OffsetSample(hall_time - (sent + rtt / 2), rtt)


def best(samples: list[OffsetSample]) -> OffsetSample:
    """Of one burst, the sample with the shortest round trip. Each burst stands alone: a local
    clock that was stepped (fixed by hand, NTP back) shows its new offset at the next burst."""
    return min(samples, key=lambda s: s.rtt)
