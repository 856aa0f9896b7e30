"""The device registry: each family once, and the daemon and `onetrip sim` build every family from it."""
from __future__ import annotations

import importlib
import threading
from pathlib import Path
from typing import Any

from core.config import parse_config
from core.devstate import DeviceState
from core.localapi import EVENTS
from daemon.config import load_terminal
from daemon.supervisor import Supervisor
from drivers.idcard.driver import CardError, CardRead, CardRemoved
from drivers.idcard.sim import DEFAULT_CITIZENS
from drivers.registry import FAMILIES, family
from drivers.scanner.codec import CodeScanned
from drivers.sim.main import Console, SimConfig, build
from drivers.windowbus.codec import CallerKey, KeyPressed, RatingPressed
from drivers.windowbus.driver import WindowInput
from mqtt import payloads
from tests.conftest import wait_until

DRIVERS = Path(__file__).resolve().parent.parent / "drivers"

# one device of each family, pointed at the simulators' run directory
DEVICE_TABLES: dict[str, str] = {
    "idcard": 'port = "{run}/idcard"',
    "printer": 'transport = "serial"\nport = "{run}/printer"',
    "windowbus": 'port = "{run}/windowbus"\nwindows = {{1 = 1, 2 = 2}}',
    "scanner": 'nodes = ["{run}/scanner.events"]',
}


def test_each_family_is_listed_once_and_every_family_folder_is_listed() -> None:
    for key in (lambda f: f.name, lambda f: f.sim.word, lambda f: f.driver, lambda f: f.settings):
        assert len({key(f) for f in FAMILIES}) == len(FAMILIES)
    words = [w for f in FAMILIES for w in (f.sim.word, *f.sim.aliases)]
    assert len(set(words)) == len(words)
    assert {p.parent.name for p in DRIVERS.glob("*/family.py")} == {f.name for f in FAMILIES}
    assert all(family(f.name) is f for f in FAMILIES)


def test_every_event_a_family_routes_is_one_its_contract_knows() -> None:
    assert {e for f in FAMILIES for e in f.kiosk_events} <= set(EVENTS)
    assert {e for f in FAMILIES for e in f.hall_events} <= set(payloads.EVENTS)


def test_each_family_routes_its_events_where_it_says() -> None:
    samples = {
        "idcard": [CardRead(DEFAULT_CITIZENS[0]), CardRemoved(), CardError("no_answer", "detail")],
        "scanner": [CodeScanned("A001")],
        "windowbus": [WindowInput(3, "window3.caller", KeyPressed(3, CallerKey.CALL)),
                      WindowInput(3, "window3.caller", RatingPressed(3, 5))],
        "printer": [],
    }
    assert set(samples) == {f.name for f in FAMILIES}
    for f in FAMILIES:
        routes = [f.route(event) for event in samples[f.name]]
        assert all(r is not None for r in routes)
        assert {r.event for r in routes if r and r.to != "hall"} == set(f.kiosk_events)
        assert {r.event for r in routes if r and r.to == "hall"} == set(f.hall_events)
        assert f.route(object()) is None
    card = family("idcard").route(CardRead(DEFAULT_CITIZENS[0]))
    assert card is not None and card.to == "citizen"  # the daemon masks it; the number never leaves raw
    error = family("idcard").route(CardError("no_answer", "detail"))
    assert error is not None and dict(error.data) == {"reason": "no_answer"}


def test_every_family_has_its_bench() -> None:
    from bench.devices import bench_module

    for f in FAMILIES:
        assert callable(importlib.import_module(bench_module(f.name)).run)


def test_the_simulator_runner_and_the_daemon_build_every_family(tmp_path: Path) -> None:
    run = tmp_path / "sim"
    sections: dict[str, Any] = {f.sim.word: {} for f in FAMILIES}
    sections["printer"] = {"tcp_port": 0}
    sims = build(parse_config(sections, SimConfig, "test sim.toml"), run)
    assert list(sims) == [f.sim.word for f in FAMILIES]
    help_line = Console(sims, threading.Event()).handle("help")
    assert all((f.sim.usage or f"{f.sim.word} …") in help_line for f in FAMILIES)

    assert set(DEVICE_TABLES) == {f.name for f in FAMILIES}
    config = tmp_path / "terminal.toml"
    config.write_text(f"""
terminal = "registry-01"
role = "kiosk"
citizen_key_secret = "test-secret-0123456789"
maintenance_pin_sha256 = "{'0' * 64}"
state_dir = "{tmp_path}/state"
""" + "".join(f'[devices.{name}]\nfamily = "{name}"\n{table.format(run=run)}\n'
              for name, table in DEVICE_TABLES.items()), encoding="utf-8")
    setup = load_terminal(config)
    assert sorted(spec.family.name for spec in setup.devices) == sorted(f.name for f in FAMILIES)

    supervisor = Supervisor(setup.devices, on_state=lambda name, condition: None,
                            on_event=lambda name, event: None, debounce=0)
    for sim in sims.values():
        sim.start()
    try:
        supervisor.start()
        for spec in setup.devices:
            assert type(supervisor.driver(spec.name)) is spec.family.driver
        wait_until(lambda: all(supervisor.states().get(spec.name, None) is not None
                               and supervisor.states()[spec.name].state is DeviceState.ONLINE
                               for spec in setup.devices))
        inventory = {item["name"]: item for item in supervisor.inventory()}
        assert all(inventory[s.name]["capabilities"] == list(s.family.capabilities) for s in setup.devices)
    finally:
        supervisor.stop()
        for sim in sims.values():
            sim.stop()
