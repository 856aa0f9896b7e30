"""What the center can tell a terminal to do (`ctl/{t}/cmd/{name}`).

The link already drops expired commands and answers a repeated command id with its first
answer; print jobs are also keyed by the command id, so even a retry after a restart
prints once.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.clock import Clock, local_datetime
from core.errors import OneTripError
from core.localapi import event
from daemon.printing import TicketPrinter
from daemon.supervisor import Supervisor
from daemon.terminal_state import Maintenance
from drivers.registry import WINDOWBUS
from drivers.windowbus.driver import WindowBus
from mqtt.terminal import TerminalLink


class NoSuchDevice(OneTripError):
    """The command names a device or window this terminal does not drive."""


def _window_number(number: Any) -> int | None:
    """LED callers show three digits: `A017` → 17; None blanks the screen."""
    if number in (None, ""):
        return None
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    return int(digits[-3:]) if digits else None


class Commands:
    """Registers itself on the link: each command is answered from the parts it names."""

    def __init__(self, link: TerminalLink, printing: TicketPrinter, supervisor: Supervisor,
                 maintenance: Maintenance, clock: Clock, terminal: str,
                 tell_kiosk: Callable[[dict[str, Any]], None]) -> None:
        self.link, self.supervisor, self.maintenance = link, supervisor, maintenance
        self.clock, self.terminal, self.tell_kiosk = clock, terminal, tell_kiosk
        self.idle_windows: set[int] = set()  # windows whose text screen shows hall time
        self._shown_minute = -1
        link.on_command("print_ticket", lambda a: printing.print_ticket(a["job_id"], a["ticket"]))
        link.on_command("print_checklist", lambda a: printing.print_checklist(a["job_id"], a))
        link.on_command("test_page", lambda a: printing.test_page(a.get("job_id") or "test"))
        link.on_command("display", self.display)
        link.on_command("beep", self.beep)
        link.on_command("start_rating", self.start_rating)
        link.on_command("rebirth", self.rebirth)
        link.on_command("help_coming", self.help_coming)
        link.on_command("restart_driver", self.restart_driver)
        link.on_command("maintenance", self.set_maintenance)

    def _bus(self) -> WindowBus:
        bus = self.supervisor.by_family(WINDOWBUS)
        if not isinstance(bus, WindowBus):  # None: the terminal's config names no window bus
            raise NoSuchDevice("this terminal drives no window bus")
        return bus

    def display(self, args: dict[str, Any]) -> dict[str, Any]:
        window, number = int(args["window"]), _window_number(args.get("number"))
        bus = self._bus()
        if number is None and bus.shows_text:  # an idle text screen shows hall time, not darkness
            self.idle_windows.add(window)
            self._show_time(window)
            return {"shown": None}
        self.idle_windows.discard(window)
        bus.show(window, number, args.get("waiting"))
        return {"shown": args.get("number")}

    def beep(self, args: dict[str, Any]) -> dict[str, Any]:
        self._bus().beep(int(args["window"]))
        return {}

    def start_rating(self, args: dict[str, Any]) -> dict[str, Any]:
        self._bus().start_rating(int(args["window"]))
        return {}

    def help_coming(self, args: dict[str, Any]) -> dict[str, Any]:
        """帮办 answered: the kiosk tells the citizen who is on the way."""
        self.tell_kiosk(event("help_coming", {"case_id": args.get("case_id"),
                                              "helper_name": str(args.get("helper_name") or "")}))
        return {"told": True}

    def _show_time(self, window: int) -> None:
        self._bus().show_text(window, f"{local_datetime(self.clock.time()):%H:%M}")

    def refresh_idle_screens(self) -> None:
        """Once a hall minute (from the daemon's loop): idle text screens follow hall time."""
        minute = int(self.clock.time() // 60)
        if minute == self._shown_minute or not self.idle_windows:
            return
        self._shown_minute = minute
        for window in sorted(self.idle_windows):
            try:
                self._show_time(window)
            except OneTripError:
                pass  # the unit is offline: its state is reported by the driver already

    def rebirth(self, args: dict[str, Any]) -> dict[str, Any]:
        self.link.rebirth()
        return {}

    def set_maintenance(self, args: dict[str, Any]) -> dict[str, Any]:
        self.maintenance.set(bool(args.get("enter")))
        return {"maintenance": self.maintenance.on}

    def restart_driver(self, args: dict[str, Any]) -> dict[str, Any]:
        name = str(args.get("device", ""))
        if name not in self.supervisor.slots:
            raise NoSuchDevice(f"no device {name!r} on {self.terminal}")
        self.supervisor.restart(name, "center asked")
        return {"restarted": name}
