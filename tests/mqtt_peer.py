"""A terminal process for kill -9 tests: emits events through its outbox and waits.

python -m tests.mqtt_peer PORT HALL TERMINAL STATE_DIR COUNT
Prints "emitted N" after each committed event so the test knows what the citizen was told.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from core.config import MqttSettings
from core.logs import setup_logging
from mqtt.terminal import TerminalLink


def main() -> None:
    port, hall, terminal, state, count = sys.argv[1:6]
    setup_logging("WARNING")
    link = TerminalLink(MqttSettings(port=int(port), hall=hall, keepalive=5), terminal, Path(state))
    link.start()
    for i in range(int(count)):
        link.emit("key", {"n": i})
        print(f"emitted {i + 1}", flush=True)
        time.sleep(0.005)
    print("done", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
