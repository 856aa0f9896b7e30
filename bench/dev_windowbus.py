"""Window bus figures: codec throughput, and what one poll round costs on the wire."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.stats import rate
from core.sansio import feed, reraise
from drivers.transport import SerialTransport
from drivers.windowbus.codec import Ack, CallerKey, KeyPressed, Poll, Registers, ShowNumber, ShowText, Side
from drivers.windowbus.driver import WindowBus
from drivers.windowbus.profiles import make_codec
from drivers.windowbus.sim import WindowBusSim

BAUD = 9600
BITS_PER_BYTE = 10  # 8N1: start + 8 data + stop
ADDRESSES = (1, 2, 3, 4, 5, 6, 7, 8)


def _codec_line(profile: str, command: object) -> str:
    master, device = make_codec(profile, Side.HOST), make_codec(profile, Side.DEVICE)
    batch = master.send(command) * 1000

    def encode() -> int:
        for _ in range(1000):
            master.send(command)
        return 1000

    def decode() -> int:
        return sum(1 for _ in feed(device, batch, reraise))

    return (f"{profile} codec: encode {rate(encode):,.0f} frames/s, decode {rate(decode):,.0f} frames/s "
            f"({type(command).__name__}, {len(batch) // 1000} bytes)")


def _round_lines(profile: str, answer_bytes: int) -> list[str]:
    poll = len(make_codec(profile, Side.HOST).send(Poll(1)))
    per_unit = poll + answer_bytes
    lines = []
    for n in (4, len(ADDRESSES)):
        wire = n * per_unit * BITS_PER_BYTE / BAUD
        lines.append(f"{profile} poll round of {n} units: {2 * n} frames, {n * per_unit} bytes, "
                     f"{wire * 1000:.1f} ms wire time at {BAUD} 8N1 (before turnaround)")
    return lines


def _measured_round() -> str:
    """Rounds per second of the real driver against the simulator over a pty (no wire delay)."""
    with tempfile.TemporaryDirectory() as tmp:
        sim = WindowBusSim(Path(tmp) / "bus", ADDRESSES[:4])
        sim.start()
        driver = WindowBus("bench", SerialTransport(str(sim.link), BAUD), windows={a: a for a in ADDRESSES[:4]},
                           round_interval=0.0)
        driver.start()
        try:
            deadline = time.monotonic() + 5
            while driver.units[4].counters.answers == 0:  # every unit has answered once
                if time.monotonic() > deadline:
                    raise RuntimeError("the simulated bus did not answer within 5 s")
                time.sleep(0.01)
            start, polls = time.perf_counter(), driver.units[1].counters.polls
            time.sleep(1.0)
            rounds = (driver.units[1].counters.polls - polls) / (time.perf_counter() - start)
        finally:
            driver.stop()
            sim.stop()
    return f"ft12 driver over a pty: {rounds:,.0f} poll rounds/s of 4 units ({1000 / rounds:.2f} ms per round)"


def run() -> list[str]:
    ft12_ack = len(_answer("ft12", Poll(1), Ack(1)))
    modbus_reply = len(_answer("modbus", Poll(1), Registers(1, bytes(4))))
    return [
        _codec_line("ft12", ShowNumber(3, 17, 4)),
        _codec_line("modbus", ShowText(1, "A001 -> 3")),
        *_round_lines("ft12", ft12_ack),
        *_round_lines("modbus", modbus_reply),
        f"ft12 caller key answer: {len(_answer('ft12', Poll(1), KeyPressed(1, CallerKey.CALL)))} bytes",
        _measured_round(),
    ]


def _answer(profile: str, request: object, answer: object) -> bytes:
    device = make_codec(profile, Side.DEVICE)
    device.receive_data(make_codec(profile, Side.HOST).send(request))
    device.next_event()
    return device.send(answer)


if __name__ == "__main__":
    print("\n".join(run()))
