"""ID-card reader figures: codec throughput, and card on the reader → `CardRead` event.

DESIGN.md §5 budgets the second at poll interval + wire time of the 1,295-byte read reply
+ 50 ms. The simulator sits on a pty, which delivers at memory speed whatever the baud, so
the measured figure holds no real wire time: the line prints the wire time at the
configured baud beside it, and the budget the two make together.
"""
from __future__ import annotations

import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from core.sansio import feed, reraise
from drivers.idcard.card import build_text, parse_text
from drivers.idcard.codec import DeviceCodec, HostCodec, ReadReply, SamCommand, SamOp, SamReply, SamStatus, wire_time
from drivers.idcard.driver import CardRead, CardRemoved, IdCardReader, IdCardSettings
from drivers.idcard.sim import DEFAULT_CITIZENS, IdCardSim


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def decode_rate(frame: bytes, op: SamOp, count: int, chunk: int = 4096) -> float:
    """Frames a second through `HostCodec`, the stream fed `chunk` bytes at a time."""
    host = HostCodec()
    for _ in range(count):
        host.send(SamCommand(op))
    stream = frame * count
    t0 = time.perf_counter()
    decoded = 0
    for start in range(0, len(stream), chunk):
        decoded += sum(1 for _ in feed(host, stream[start : start + chunk], reraise))
    elapsed = time.perf_counter() - t0
    assert decoded == count, "the bench stream must decode whole"
    return count / elapsed


def parse_rate(count: int) -> float:
    blocks = [build_text(card) for card in DEFAULT_CITIZENS]
    t0 = time.perf_counter()
    for i in range(count):
        parse_text(blocks[i % len(blocks)])
    return count / (time.perf_counter() - t0)


def insert_to_event(samples: int, settings: IdCardSettings) -> list[float]:
    """Seconds from `insert_card` in the simulator to `CardRead` in the driver's callback."""
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp) / "idcard"
        sim = IdCardSim(link)
        sim.start()
        arrived: dict[type, threading.Event] = {CardRead: threading.Event(), CardRemoved: threading.Event()}
        stamp = [0.0]

        def on_event(name: str, event: Any) -> None:
            if isinstance(event, CardRead):
                stamp[0] = time.perf_counter()
            arrived[type(event)].set()

        reader = IdCardReader.from_settings("idcard", settings.model_copy(update={"port": str(link)}),
                                            on_event=on_event)
        reader.start()
        delays = []
        try:
            rng = random.Random(7)
            for i in range(samples):
                time.sleep(rng.uniform(0, settings.poll_interval))  # land anywhere in a poll cycle
                arrived[CardRead].clear()
                t0 = time.perf_counter()
                sim.insert_card(i % len(sim.citizens))
                if not arrived[CardRead].wait(5):
                    raise RuntimeError("no CardRead within 5 s")
                delays.append(stamp[0] - t0)
                arrived[CardRemoved].clear()
                sim.remove_card()
                arrived[CardRemoved].wait(5)
        finally:
            reader.stop()
            sim.stop()
    return delays


def run(samples: int = 20, baud: int = 115200, poll_interval: float = 0.3) -> list[str]:
    zhang = DEFAULT_CITIZENS[0]
    read_frame = DeviceCodec().send(ReadReply.build(build_text(zhang), zhang.photo))
    find_frame = DeviceCodec().send(SamReply(SamStatus.CARD_FOUND, bytes(4)))
    settings = IdCardSettings(baud=baud, poll_interval=poll_interval)
    delays = insert_to_event(samples, settings)
    wire = wire_time(len(read_frame), baud)
    budget = poll_interval + wire + 0.050
    return [
        f"codec: {decode_rate(read_frame, SamOp.READ, 2000):,.0f} read replies/s decoded "
        f"({len(read_frame)}-byte frames, 4 KB chunks)",
        f"codec: {decode_rate(find_frame, SamOp.FIND, 20000):,.0f} find replies/s decoded ({len(find_frame)}-byte frames)",
        f"card: {parse_rate(5000):,.0f} text blocks/s parsed and validated",
        f"card on reader → CardRead over a pty, {samples} cards: median {ms(statistics.median(delays))}, "
        f"max {ms(max(delays))} (poll interval {ms(poll_interval)})",
        f"wire time of the {len(read_frame)}-byte read reply at {baud} baud: {ms(wire)}; "
        f"budget poll + wire + 50 ms = {ms(budget)}; measured max + wire = {ms(max(delays) + wire)}",
    ]


if __name__ == "__main__":
    print("\n".join(run()))
