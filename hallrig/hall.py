"""The whole hall on one machine, as real processes: broker, center, terminals, simulators.

Used by `onetrip demo`, the fault tests and `bench/chaos.py`/`bench/soak.py`. Every
process is started the way systemd starts it in a hall (`onetrip center|daemon|sim|kiosk`)
with configs written from the examples in config/; only ports and folders differ.
"""
from __future__ import annotations

import os
import shutil
import time
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from center.db import open_database, sqlite_url
from core.calendar import shipped_calendar
from core.clock import SYSTEM_CLOCK
from core.paths import CONFIG_DIR
from hallrig.rig import Proc, free_port, sim_config, terminal_config, wait_for, write_toml
from hallrig.staff_accounts import DEMO_APPOINTMENT_KEY_SHA256, seed, sign_in_lines
from mqtt.broker import Broker
from mqtt.pki import SERVER_HOSTS, SecureHall, issue

BUS_WINDOWS = {1: 1, 2: 2, 3: 3, 4: 4}


def next_opening(tz: str = "Asia/Shanghai") -> datetime:
    """08:30 on the next working day (hall calendar: no holiday, 调休 counted), hall time: a
    demo day always starts at opening."""
    day = datetime.now(ZoneInfo(tz)) + timedelta(days=1)
    while not shipped_calendar().day(day.date()).working:
        day += timedelta(days=1)
    return day.replace(hour=8, minute=30, second=0, microsecond=0)


@dataclass
class Terminal:
    name: str
    config: Path
    sim: Proc | None = None
    daemon: Proc | None = None
    kiosk: Proc | None = None
    printer_port: int | None = None

    @property
    def socket(self) -> Path:
        return self.config.parent / self.name / "kiosk.sock"

    @property
    def sim_dir(self) -> Path:
        return self.config.parent / f"sim-{self.name}"

    @property
    def control(self) -> Path:
        return self.sim_dir / "control.sock"


@dataclass
class Hall:
    work: Path
    kiosks: int = 2
    speed: float = 60.0
    secure: bool = False
    broker_port: int = 0  # 0: a free one
    web_port: int = 0
    start_at: datetime = field(default_factory=next_opening)
    history: bool = False  # the scripted day's: last week's 容缺 case, overdue today (hallrig/day_floor.py)
    terminals: dict[str, Terminal] = field(default_factory=dict)
    broker: Broker | None = None
    center: Proc | None = None
    pki: SecureHall | None = None

    def __post_init__(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / "logs"
        self.broker_port = self.broker_port or free_port()
        self.anchor = time.time()
        self.web_port = self.web_port or free_port()

    @property
    def web(self) -> str:
        return f"{'https' if self.secure else 'http'}://127.0.0.1:{self.web_port}"

    # ---- configs -------------------------------------------------------------------------------
    def center_config(self) -> Path:
        data = tomllib.loads((CONFIG_DIR / "hall.toml").read_text(encoding="utf-8"))
        data.update(catalog=str(CONFIG_DIR / "catalog"), state_dir=str(self.work / "center"))
        data["mqtt"].update(port=self.broker_port, **self.tls("center"))
        data["web"]["port"] = self.web_port
        data["voice"]["clips_dir"] = str(self.work / "voice")
        data["clock"] = self.clock_settings()
        data["web"]["appointment_keys_sha256"] = [DEMO_APPOINTMENT_KEY_SHA256]
        data.setdefault("citizen_web", {})["base_url"] = self.web  # what the tickets' QR codes open
        if self.pki is not None:  # the secured profile serves the web over TLS too, from the hall PKI
            issued = issue(self.pki.pki, "web", "server", SERVER_HOSTS)
            data["web"].update(tls_cert_file=str(issued.cert), tls_key_file=str(issued.key))
        # sessions idle out after 15 minutes as people feel them, whatever the hall clock's speed
        data["staff"] = {"session_idle_min": min(10080.0, 15.0 * max(1.0, self.speed))}
        # a printer cuts in real seconds: the 20 s a kiosk has to confirm a print, whatever the speed
        data["queue"]["print_confirm_s"] = 20.0 * max(1.0, self.speed)
        return write_toml(self.work / "hall.toml", data)

    def seed_staff(self) -> None:
        """The demo's staff accounts, in the center's database before the center starts."""
        state = self.work / "center"
        state.mkdir(parents=True, exist_ok=True)
        db = open_database(sqlite_url(state))
        try:
            seed(db, SYSTEM_CLOCK)
        finally:
            db.dispose()

    def _terminal(self, name: str, *, kiosk: bool) -> Terminal:
        printer_port = free_port() if kiosk else None
        config = terminal_config(self.work, name, self.broker_port, printer_port=printer_port, card=kiosk,
                                 scanner=kiosk, bus_windows=None if kiosk else BUS_WINDOWS,
                                 location=f"一楼自助服务区 {name}" if kiosk else "一楼窗口区", tls=self.tls(name),
                                 clock=self.clock_settings())
        sim_config(self.work, name, printer_port=printer_port, card=kiosk, scanner=kiosk,
                   bus_addresses=() if kiosk else BUS_WINDOWS.values())
        return Terminal(name, config, printer_port=printer_port)

    def clock_settings(self) -> dict[str, object]:
        """One hall clock for every process: the same start, speed and wall-clock anchor."""
        return {"start": self.start_at, "speed": self.speed, "anchor": self.anchor}

    def tls(self, identity: str) -> dict[str, str]:
        """The `[mqtt]` keys for connecting as `identity` in the secured profile (none otherwise)."""
        if self.pki is None:
            return {}
        s = self.pki.settings(identity)
        return {"ca_file": str(s.ca_file), "cert_file": str(s.cert_file), "key_file": str(s.key_file)}

    # ---- lifecycle ----------------------------------------------------------------------------------
    def start(self, *, kiosk_windows: int = 0) -> None:
        """`kiosk_windows`: how many kiosks open their app on this display, side by side."""
        names = [f"kiosk-{i:02d}" for i in range(1, self.kiosks + 1)] + ["bus-01"]
        if self.secure:  # TLS only, a certificate per terminal, the ACL of DESIGN.md §3
            self.pki = SecureHall(self.work / "broker", ["center", *names], hall="demo", port=self.broker_port)
            os.environ["SSL_CERT_FILE"] = str(self.pki.pki / "ca.crt")  # this process's clients trust the hall CA
            self.broker = self.pki.broker.start()
        else:
            self.broker = Broker(port=self.broker_port, workdir=self.work / "broker").start()
        center_config = self.center_config()
        self.seed_staff()
        if self.history:
            from hallrig.day_floor import seed_overdue_promise  # the day's own module, only for its hall

            seed_overdue_promise(center_config, self.start_at.date())
        for name in names:
            self.terminals[name] = self._terminal(name, kiosk=name.startswith("kiosk"))
        self.center = Proc("center", ["center", "--config", str(center_config)], self.logs)
        for t in self.terminals.values():
            t.sim = Proc(f"sim-{t.name}", ["sim", "--config", str(self.work / f"sim-{t.name}.toml"),
                                           "--run-dir", str(t.sim_dir)], self.logs)
        for t in self.terminals.values():
            wait_for(t.control, 20, f"simulators of {t.name}")
            t.daemon = self.start_daemon(t)
        if kiosk_windows:
            from kiosk.main import screen_size, side_by_side

            shown = [t for t in self.terminals.values() if t.printer_port is not None][:kiosk_windows]
            screen = screen_size()
            places = side_by_side(len(shown), screen, "portrait") if screen else [None] * len(shown)
            for t, place in zip(shown, places):
                where = ["--area", "{},{},{}x{}".format(*place)] if place else []
                t.kiosk = Proc(f"kiosk-app-{t.name}", ["kiosk", "--config", str(t.config), *where], self.logs)

    def start_daemon(self, t: Terminal) -> Proc:
        return Proc(f"daemon-{t.name}", ["daemon", "--config", str(t.config)], self.logs)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Every daemon's local API answers and says the center is reachable."""
        from hallrig.apiclient import ApiClient

        for t in self.terminals.values():
            client = ApiClient(t.socket, timeout=timeout)
            try:
                wait_for(lambda: client.call("hello")["result"]["center_reachable"], timeout, f"{t.name} ready")
            finally:
                client.close()

    def restart_center(self) -> None:
        self.center = Proc("center", ["center", "--config", str(self.work / "hall.toml")], self.logs)

    def procs(self) -> list[Proc]:
        found = [self.center] + [p for t in self.terminals.values() for p in (t.kiosk, t.daemon, t.sim)]
        return [p for p in found if p is not None]

    def stop(self) -> None:
        for t in self.terminals.values():
            for p in (t.kiosk, t.daemon):
                if p is not None:
                    p.stop()
        if self.center is not None:
            self.center.stop()
        for t in self.terminals.values():
            if t.sim is not None:
                t.sim.stop()
        if self.broker is not None:
            self.broker.stop()

    def addresses(self) -> list[str]:
        lines = [f"hall display   {self.web}/display",
                 *(f"counter {w}      {self.web}/console?window={w}" for w in (1, 2, 3, 4, 5, 6)),
                 f"control room   {self.web}/control",
                 f"reports        {self.web}/reports",
                 f"audit trail    {self.web}/audit",
                 *sign_in_lines(self.web),
                 f"broker         {'mqtts' if self.secure else 'mqtt'}://127.0.0.1:{self.broker_port}"
                 + (f" (CA and certificates in {self.pki.pki})" if self.pki else ""),
                 f"logs           {self.logs}"]
        for t in self.terminals.values():
            lines.append(f"{t.name:<14} simulators: onetrip sim console at {t.control}")
        return lines


def clean(work: Path) -> None:
    """A demo starts from nothing: remove what an earlier run left in its folder."""
    if work.exists():
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
