"""The window bus master against the bus simulator over a real pty."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

from core.config import parse_config
from core.devstate import Condition, DeviceState, Reason
from core.errors import ConfigError, DeviceError
from core.sansio import feed
from drivers.sim.port import PtyPort
from drivers.transport import SerialTransport
from drivers.windowbus.codec import Ack, AckRating, CallerKey, KeyPressed, Poll, RatingPressed, Side
from drivers.windowbus.driver import WindowBus, WindowBusSettings, WindowInput
from drivers.windowbus.profiles import make_codec
from drivers.windowbus.sim import WindowBusSim
from tests.conftest import wait_until


class Recorder:
    def __init__(self) -> None:
        self.events: list[WindowInput] = []
        self.states: list[tuple[str, Condition]] = []

    def on_event(self, name: str, event: Any) -> None:
        self.events.append(event)

    def on_state(self, name: str, condition: Condition) -> None:
        self.states.append((name, condition))

    def state_of(self, name: str) -> DeviceState | None:
        return next((c.state for n, c in reversed(self.states) if n == name), None)


def make_driver(link: Path, rec: Recorder, windows: dict[int, int], profile: str = "ft12") -> WindowBus:
    return WindowBus("bus", SerialTransport(str(link), 9600), windows=windows, profile=profile,
                     reply_timeout=0.1, retries=1, probe_interval=0.3,
                     on_event=rec.on_event, on_state=rec.on_state)


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[tuple[WindowBusSim, WindowBus, Recorder]]:
    sim = WindowBusSim(tmp_path / "windowbus", addresses=(1, 2, 3))
    sim.start()
    rec = Recorder()
    driver = make_driver(sim.link, rec, {1: 1, 2: 2, 3: 3})
    driver.start()
    wait_until(lambda: all(u.condition.state is DeviceState.ONLINE for u in driver.units.values()), 5)
    yield sim, driver, rec
    driver.stop()
    sim.stop()


def more_rounds(driver: WindowBus, address: int, rounds: int = 5) -> None:
    target = driver.units[address].counters.polls + rounds
    wait_until(lambda: driver.units[address].counters.polls >= target, 5)


def test_show_reaches_the_screen(bus: tuple[WindowBusSim, WindowBus, Recorder]) -> None:
    sim, driver, _ = bus
    driver.show(3, 17, waiting=4)
    driver.show(1, 1)
    assert sim.screens() == {1: "   001", 2: "", 3: "004017"}
    driver.beep(2)
    driver.start_rating(2)
    assert sim.units[2].beeps == 1 and sim.units[2].rating_open
    with pytest.raises(DeviceError):
        driver.show_text(1, "A001")  # the caller's screen has digits only
    with pytest.raises(ValueError):
        driver.show(1, 1000)


def test_caller_key_and_rating_reach_the_driver_exactly_once(bus: tuple[WindowBusSim, WindowBus, Recorder]) -> None:
    sim, driver, rec = bus
    sim.press_key(3, CallerKey.CALL)
    sim.press_key(3, CallerKey.GIVE_UP)
    sim.press_rating(2, 5)
    wait_until(lambda: len(rec.events) >= 3, 5)
    more_rounds(driver, 2)
    more_rounds(driver, 3)
    by_window = {w: [(e.device, e.event) for e in rec.events if e.window == w] for w in (1, 2, 3)}
    assert by_window == {
        1: [],
        2: [("window2.caller", RatingPressed(2, 5))],
        3: [("window3.caller", KeyPressed(3, CallerKey.CALL)), ("window3.caller", KeyPressed(3, CallerKey.GIVE_UP))],
    }
    assert not sim.units[2].queue  # the pad heard the ack
    assert driver.get_status()["units"]["window2.caller"]["counters"]["ratings"] == 1


def test_a_silent_unit_goes_offline_while_the_others_keep_working(
        bus: tuple[WindowBusSim, WindowBus, Recorder]) -> None:
    sim, driver, rec = bus
    sim.set_silent(2)
    wait_until(lambda: rec.state_of("window2.caller") is DeviceState.OFFLINE, 3)
    assert driver.units[2].condition.reason is Reason.NO_ANSWER
    assert driver.condition.state is DeviceState.DEGRADED
    sim.press_key(3, CallerKey.RECALL)
    wait_until(lambda: any(e.window == 3 for e in rec.events), 3)
    driver.show(1, 42)
    assert sim.screens()[1] == "   042"
    assert rec.state_of("window1.caller") is DeviceState.ONLINE
    assert rec.state_of("window3.caller") is DeviceState.ONLINE
    with pytest.raises(DeviceError):
        driver.show(2, 5)
    sim.set_silent(2, False)
    wait_until(lambda: rec.state_of("window2.caller") is DeviceState.ONLINE, 3)
    wait_until(lambda: driver.condition.state is DeviceState.ONLINE, 3)


def test_noise_on_the_line_is_counted_and_survived(bus: tuple[WindowBusSim, WindowBus, Recorder]) -> None:
    sim, driver, rec = bus
    sim.add_noise(7)
    sim.press_key(1, CallerKey.PAUSE)
    wait_until(lambda: rec.events, 3)
    assert driver.counters.garbage_bytes == 7
    assert rec.events[0].event == KeyPressed(1, CallerKey.PAUSE)


def test_unplug_goes_offline_and_replug_recovers(bus: tuple[WindowBusSim, WindowBus, Recorder]) -> None:
    sim, driver, rec = bus
    sim.unplug()
    wait_until(lambda: driver.condition.state is DeviceState.OFFLINE, 3)
    assert driver.condition.reason is Reason.PORT_GONE
    assert rec.state_of("window1.caller") is DeviceState.OFFLINE
    with pytest.raises(DeviceError):
        driver.show(1, 1)
    sim.plug()
    wait_until(lambda: driver.condition.state is DeviceState.ONLINE
               and all(u.condition.state is DeviceState.ONLINE for u in driver.units.values()), 5)
    driver.show(1, 7)
    assert sim.screens()[1] == "   007"
    assert driver.counters.reconnects == 1


def test_modbus_displays_show_text_and_numbers(tmp_path: Path) -> None:
    sim = WindowBusSim(tmp_path / "displays", addresses=(5, 6), profile="modbus")
    sim.start()
    rec = Recorder()
    driver = make_driver(sim.link, rec, {1: 5, 2: 6}, profile="modbus")
    driver.start()
    try:
        wait_until(lambda: rec.state_of("window2.screen") is DeviceState.ONLINE, 5)
        driver.show_text(1, "A001 -> 1")
        driver.show(2, 12, waiting=3)  # a display has no room for the waiting count: it is left out
        assert sim.screens() == {5: "A001 -> 1", 6: "12"}
        with pytest.raises(DeviceError):
            driver.beep(1)
    finally:
        driver.stop()
        sim.stop()


def test_a_rating_whose_ack_is_lost_is_emitted_once(tmp_path: Path) -> None:
    """A pad that keeps offering its rating (our acks get lost twice) must not make two ratings."""
    port = PtyPort(tmp_path / "pad")
    codec = make_codec("ft12", Side.DEVICE)
    acks_seen = []
    stop = threading.Event()

    def pad() -> None:
        pending = True
        while not stop.is_set():
            for request in feed(codec, port.read(0.05), lambda exc: None):  # a bad frame: no answer
                if isinstance(request, AckRating):
                    acks_seen.append(request)
                    if len(acks_seen) <= 2:
                        continue  # lost on the line: no answer, the rating stays offered
                    pending = False
                answer = RatingPressed(4, 3) if isinstance(request, Poll) and pending else Ack(4)
                port.write(codec.send(answer))

    thread = threading.Thread(target=pad, daemon=True)
    thread.start()
    rec = Recorder()
    driver = make_driver(port.link, rec, {4: 4})
    driver.start()
    try:
        wait_until(lambda: len(acks_seen) >= 3, 5)
        more_rounds(driver, 4)
        assert [e.event for e in rec.events] == [RatingPressed(4, 3)]
        assert driver.units[4].unacked_rating is None
    finally:
        driver.stop()
        stop.set()
        thread.join(2)
        port.close()


def test_config_mistakes_fail_before_the_bus_starts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="windows .*two windows share one bus address"):
        parse_config({"port": "/dev/ttyUSB0", "windows": {"1": 3, "2": 3}}, WindowBusSettings, "t.toml", environ={})
    settings = parse_config({"port": str(tmp_path / "bus"), "profile": "modbus", "windows": {"1": 250}},
                            WindowBusSettings, "t.toml", environ={})
    with pytest.raises(ValueError, match="address 250 out of range 1..247"):
        WindowBus.from_settings("bus", settings)
