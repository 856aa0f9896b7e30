"""The kiosk driver's hands in a real hall: simulators and real processes instead of the fake daemon.

`HallDaemon` lives in the driver's process and offers what scenarios call on `d.daemon`:
a card goes on the card-reader simulator, a code through the scanner simulator, paper runs
out in the printer simulator (all through the `onetrip sim` console), and the center and the
daemon, whose processes the test's `Hall` owns, are stopped and started through
`HallControl`, a one-line console the test serves. What happened is read back from the
printer simulator (its ticket count, the text of the last sheet, the PNGs it wrote), not
from any log of requests.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from core.clock import Clock
from core.privacy import mask_name
from drivers.idcard.codec import SamStatus
from drivers.idcard.sim import DEFAULT_CITIZENS
from drivers.sim.main import ControlServer
from hallrig.day_hall import SimConsole
from hallrig.hall import Hall
from kiosk.settings import load_settings

BAD_READ = f"card fault {SamStatus.READ_FAILED.value:02X}"  # + a count of replies, 0 to stop
TICKETS = re.compile(r"^(\d+) tickets; last: (.*)$")
# what each kind of print says at its top, and the local API ops that print it
HEADINGS = {"take_number": "排队凭条", "check_in": "排队凭条", "print_checklist": "一次告知单"}


@dataclass(frozen=True)
class Sheet:
    """One piece of paper out of the printer simulator."""

    png: Path
    text: str  # its first 80 characters as `printer tickets` tells them, lines joined by " / "
    #            ("" for all but the last when several came out between two looks)


class HallDaemon:
    """What `d.daemon` does in a real hall (see hallrig/kiosk_driver.py, `DaemonControl`)."""

    def __init__(self, config: str, console: str, tickets: str, hall_control: str) -> None:
        settings = load_settings(config)
        self.socket: Path = settings.socket
        self.clock: Clock = settings.clock.clock()
        self.console = SimConsole(Path(console))
        self.hall = SimConsole(Path(hall_control), timeout=30.0)
        self.tickets = Path(tickets)
        self.sheets: list[Sheet] = []
        self.sheets = self._printed()

    def close(self) -> None:
        self.console.close()
        self.hall.close()

    # -- what a scenario makes happen ------------------------------------------------------

    def place_card(self, name: str = "张*", elderly: bool = False) -> None:
        """The simulator's test citizen with this masked name (and age group) puts the card down."""
        card = next((i for i, c in enumerate(DEFAULT_CITIZENS) if mask_name(c.name) == name), None)
        if card is None:  # any citizen of that age group will do
            card = 1 if elderly else 0  # 李秀英 (born 1952) or 张三 (born 1990)
        self.tell(self.console, f"{BAD_READ} 0")
        self.tell(self.console, "card remove")
        self.tell(self.console, f"card insert {card}")

    def remove_card(self) -> None:
        self.tell(self.console, "card remove")

    def card_error(self) -> None:
        """A card that cannot be read: the reader fails every read (told once) until `place_card`."""
        self.tell(self.console, "card remove")
        self.tell(self.console, f"{BAD_READ} 1000000")
        self.tell(self.console, "card insert 0")

    def scan(self, code: str) -> None:
        self.tell(self.console, f"scan {code}")

    def set_printer(self, state: str, reason: str = "") -> None:
        """Paper out (or any reason the simulator knows) while `offline`; everything fine otherwise."""
        if state == "offline" and reason == "paper_out":
            self.tell(self.console, "printer paper out")
        elif state == "offline":
            self.tell(self.console, "printer offline")
        else:
            self.tell(self.console, "printer paper ok")
            self.tell(self.console, "printer online")

    def set_center(self, reachable: bool) -> None:
        self.tell(self.hall, "center start" if reachable else "center stop")

    def stop(self) -> None:
        self.tell(self.hall, "daemon stop")

    def start(self) -> None:
        self.tell(self.hall, "daemon start")

    # -- what came out ---------------------------------------------------------------------

    def ops(self, name: str) -> list[dict[str, Any]]:
        """The sheets printed for a local API op (tickets or notices), each `{"png", "text"}`."""
        if name not in HEADINGS:
            raise KeyError(f"a real hall shows only what was printed ({', '.join(HEADINGS)}), not {name!r}")
        self.sheets = self._printed()
        return [{"png": str(s.png), "text": s.text} for s in self.sheets if HEADINGS[name] in s.text]

    def _printed(self) -> list[Sheet]:
        """Every sheet so far: the simulator tells the count and the last one's text."""
        answer = self.tell(self.console, "printer tickets")
        match = TICKETS.match(answer)
        if match is None:
            raise AssertionError(f"the printer simulator said {answer!r}")
        count, last = int(match[1]), match[2]
        sheets = list(self.sheets)
        for n in range(len(sheets) + 1, count + 1):
            sheets.append(Sheet(self.tickets / f"ticket-{n:04d}.png", last if n == count else ""))
        return sheets

    @staticmethod
    def tell(console: SimConsole, line: str) -> str:
        answer = console.send(line)
        if answer.startswith("error"):
            raise AssertionError(f"{line!r}: {answer}")
        return answer


class HallControl:
    """The test's side: what only the process that owns the Hall can do, one line in, one line out."""

    def __init__(self, hall: Hall, terminal: str, path: Path) -> None:
        self.hall, self.terminal, self.path = hall, hall.terminals[terminal], path
        self._server: ControlServer | None = None

    def __enter__(self) -> Self:
        self._server = ControlServer(self.path, self)  # type: ignore[arg-type]  # any `handle(line) -> str`
        threading.Thread(target=self._server.serve_forever, name="hall-control", daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self.path.unlink(missing_ok=True)

    def spec(self) -> dict[str, str]:
        """The driver's `--hall` argument: where this kiosk's daemon, simulators and control are."""
        t = self.terminal
        return {"config": str(t.config), "console": str(t.control), "tickets": str(t.sim_dir / "tickets"),
                "hall_control": str(self.path)}

    def handle(self, line: str) -> str:
        t = self.terminal
        match line.split():
            case ["center", "stop"]:
                assert self.hall.center is not None
                self.hall.center.stop()
            case ["center", "start"]:
                self.hall.restart_center()
            case ["daemon", "stop"]:
                assert t.daemon is not None
                t.daemon.stop()
            case ["daemon", "start"]:
                t.daemon = self.hall.start_daemon(t)
            case _:
                return f"error: unknown hall command {line.strip()!r}; center stop|start, daemon stop|start"
        return "ok"
