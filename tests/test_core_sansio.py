"""The codec pump every driver and simulator uses, and the one reconnect backoff."""
from __future__ import annotations

import random

import pytest

from core.backoff import Backoff
from core.sansio import NEED_DATA, BadChecksum, CodecError, NeedData, events, feed, reraise, wait_event


class Lines:
    """A toy codec: one event per line; a line "bad" is a bad frame."""

    def __init__(self) -> None:
        self.buffer = b""

    def receive_data(self, data: bytes) -> None:
        self.buffer += data

    def next_event(self) -> str | NeedData:
        line, found, rest = self.buffer.partition(b"\n")
        if not found:
            return NEED_DATA
        self.buffer = rest
        if line == b"bad":
            raise BadChecksum("bad line", line)
        return line.decode()


def test_feed_hands_out_every_whole_event_and_each_bad_frame_to_on_error() -> None:
    codec, errors = Lines(), []
    assert list(feed(codec, b"a\nbad\nb\nhal", errors.append)) == ["a", "b"]
    assert [e.data for e in errors] == [b"bad"]
    assert list(feed(codec, b"f\n", errors.append)) == ["half"]


def test_an_on_error_that_raises_stops_the_pump() -> None:
    with pytest.raises(CodecError):
        list(feed(Lines(), b"bad\na\n", reraise))


def test_wait_event_reads_until_an_event_or_the_deadline() -> None:
    codec, chunks, left = Lines(), [b"", b"ans", b"wer\nnext\n"], [3.0, 2.0, 1.0]
    assert wait_event(codec, lambda timeout: chunks.pop(0), lambda: left.pop(0), reraise) == "answer"
    assert list(events(codec, reraise)) == ["next"]
    assert wait_event(Lines(), lambda timeout: b"no end", lambda: 0.0, reraise) is None


def test_backoff_doubles_to_its_cap_within_its_jitter_and_starts_again_after_reset() -> None:
    backoff = Backoff(0.5, 4.0, rng=random.Random(12))
    delays = [backoff.next() for _ in range(6)]
    for delay, step in zip(delays, (0.5, 1, 2, 4, 4, 4)):
        assert step * 0.7 <= delay <= step * 1.3
    assert max(delays) <= backoff.longest
    backoff.reset()
    assert backoff.next() <= 0.5 * 1.3
    with pytest.raises(ValueError):
        Backoff(2.0, 1.0)
