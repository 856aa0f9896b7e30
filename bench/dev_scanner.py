"""Scanner figures: how fast the decoder turns raw input_event records into scanned codes."""
from __future__ import annotations

from bench.stats import rate
from core.sansio import feed, reraise
from drivers.scanner.codec import HostCodec
from drivers.scanner.sim import key_events, records


def _scanner_line() -> str:
    code = "https://zwfw.example.gov.cn/appt?id=A001&t=20261122"
    data = records(key_events(code)) * 100
    decoder = HostCodec()

    def decode() -> int:
        return sum(1 for _ in feed(decoder, data, reraise))

    codes = rate(decode)
    return (f"scanner decoder: {codes:,.0f} codes/s of {len(code)} characters "
            f"({codes * len(data) / 100 / 24:,.0f} input_event records/s)")


def run() -> list[str]:
    return [_scanner_line()]


if __name__ == "__main__":
    print("\n".join(run()))
