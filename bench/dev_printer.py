"""Ticket printer figures: device-side codec throughput, and what a ticket costs on the wire.

A typical ticket (the one in docs/img) in text mode and in raster mode, at 58 mm and 80 mm:
its bytes, and its wire time on a 115,200-baud serial line (10 bits a byte). Raster prints
any character but costs far more bytes; the budget that matters is a citizen waiting at
the kiosk for the paper.
"""
from __future__ import annotations

import time

from core.sansio import feed, reraise
from drivers.printer.codec import DeviceCodec
from drivers.printer.job import sample_ticket
from drivers.printer.render import render_raster, render_text

BAUD = 115200


def decode_all(data: bytes, chunk: int) -> int:
    codec = DeviceCodec()
    return sum(1 for start in range(0, len(data), chunk) for _ in feed(codec, data[start:start + chunk], reraise))


def codec_throughput(data: bytes, chunk: int, rounds: int) -> tuple[float, int]:
    """MB/s through the device side, fed `chunk` bytes at a time, and events per pass."""
    events = decode_all(data, chunk)
    t0 = time.perf_counter()
    for _ in range(rounds):
        decode_all(data, chunk)
    return len(data) * rounds / (time.perf_counter() - t0) / 1e6, events


def run() -> list[str]:
    ticket = sample_ticket()
    lines = []
    for width, paper in ((384, "58 mm"), (576, "80 mm")):
        for mode, render in (("text", render_text), ("raster", render_raster)):
            t0 = time.perf_counter()
            size = len(render(ticket, width))
            made = time.perf_counter() - t0
            lines.append(f"ticket {paper} {mode:6}: {size:6d} bytes, {size * 10 / BAUD:6.3f} s at {BAUD} baud,"
                         f" rendered in {made * 1e3:.1f} ms")
    text, raster = render_text(ticket, 576), render_raster(ticket, 576)
    for name, data, chunk, rounds in (("text ticket", text, 64, 300), ("raster ticket", raster, 4096, 100),
                                      ("text ticket", text, 1, 30)):
        rate, events = codec_throughput(data, chunk, rounds)
        lines.append(f"device codec, {name} in {chunk}-byte chunks: {rate:.2f} MB/s ({events} events a ticket)")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
