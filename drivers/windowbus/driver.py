"""The window bus master: one driver per RS-485 port, polling every window's unit in turn.

One master, many units: the driver owns the line and talks to one address at a time, so a
reply always belongs to the frame just sent. Each unit has its own condition (reported as
`window3.caller` and so on): a silent unit is marked offline after its retries and from then
on only probed now and then, so the other windows keep their pace. A pulled cable is the
whole port's failure, and the base Driver reconnects it.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, cast

from pydantic import Field, field_validator

from core.clock import SYSTEM_CLOCK, Clock
from core.config import ConfigModel
from core.devstate import CONNECTING, ONLINE, Condition, DeviceState, Reason
from core.errors import DeviceError
from core.sansio import CodecError, wait_event
from drivers.base import Driver
from drivers.transport import SerialTransport, Transport
from drivers.windowbus.codec import (
    AckRating,
    Beep,
    DeviceMessage,
    HostMessage,
    KeyPressed,
    Nak,
    Poll,
    RatingPressed,
    ShowNumber,
    ShowText,
    Side,
    StartRating,
)
from drivers.windowbus.profiles import known_profile, make_codec

log = logging.getLogger("drivers.windowbus")


class WindowBusSettings(ConfigModel):
    """A terminal config's `[windowbus]` section: one RS-485 port and which window sits where."""

    port: str
    baudrate: int = Field(default=9600, gt=0)
    profile: str = "ft12"
    windows: dict[int, int] = Field(min_length=1, description="window number → bus address")
    reply_timeout: float = Field(default=0.15, gt=0, le=2)
    retries: int = Field(default=2, ge=0, le=5)
    round_interval: float = Field(default=0.2, ge=0.01, le=5, description="rest between poll rounds: key latency vs idle load")

    _profile = field_validator("profile")(known_profile)

    @field_validator("windows")
    @classmethod
    def _one_unit_per_address(cls, windows: dict[int, int]) -> dict[int, int]:
        if len(set(windows.values())) != len(windows):
            raise ValueError("two windows share one bus address")
        return windows


@dataclass(frozen=True)
class WindowInput:
    """A caller key or a rating from one window, as the driver emits it."""

    window: int
    device: str  # e.g. "window3.caller"
    event: KeyPressed | RatingPressed


class UnitSilent(DeviceError):
    """One unit did not answer; the bus and the other units are fine."""


@dataclass
class UnitCounters:
    polls: int = 0
    answers: int = 0
    timeouts: int = 0
    retries: int = 0
    frames_bad: int = 0
    keys: int = 0
    ratings: int = 0
    commands: int = 0
    refused: int = 0  # presses the daemon could not store (attempts: a held rating counts at each poll)


@dataclass
class Unit:
    window: int
    address: int
    name: str
    condition: Condition = CONNECTING
    since: float = 0.0
    next_probe: float = 0.0
    unacked_rating: int | None = None  # emitted, but the pad has not heard our ack yet
    refusing: bool = False  # the daemon refused this unit's last press (logged once per spell)
    counters: UnitCounters = field(default_factory=UnitCounters)


class WindowBus(Driver):
    family = "windowbus"

    def __init__(self, name: str, transport: Transport, *, windows: Mapping[int, int],
                 profile: str = "ft12", reply_timeout: float = 0.15, retries: int = 2,
                 round_interval: float = 0.05, probe_interval: float = 2.0,
                 clock: Clock = SYSTEM_CLOCK,
                 on_state: Callable[[str, Condition], None] | None = None,
                 on_event: Callable[[str, Any], None] | None = None) -> None:
        super().__init__(name, transport, clock=clock, on_state=on_state, on_event=on_event)
        self.profile = profile
        self.codec = make_codec(profile, Side.HOST)
        for address in windows.values():
            self.codec.send(Poll(address))  # the profile judges addresses: fail here, not in the loop
        self.reply_timeout, self.retries = reply_timeout, retries
        self.round_interval, self.probe_interval = round_interval, probe_interval
        self.units = {address: Unit(window, address, f"window{window}.{self.codec.unit}", since=clock.time())
                      for window, address in sorted(windows.items())}
        self._by_window = {u.window: u for u in self.units.values()}
        self._garbage_before = 0

    @classmethod
    def from_settings(cls, name: str, settings: WindowBusSettings, **kwargs: Any) -> WindowBus:
        return cls(name, SerialTransport(settings.port, settings.baudrate), windows=settings.windows,
                   profile=settings.profile, reply_timeout=settings.reply_timeout,
                   retries=settings.retries, round_interval=settings.round_interval, **kwargs)

    # ---- commands (any thread) -------------------------------------------------------
    def show(self, window: int, number: int | None, waiting: int | None = None) -> None:
        """Put a ticket number (and, where the screen has room, the waiting count) on a window."""
        unit = self._unit(window)
        self._command(unit, ShowNumber(unit.address, number, waiting if self.codec.shows_waiting else None))

    @property
    def shows_text(self) -> bool:
        return ShowText in self.codec.commands

    def show_text(self, window: int, text: str) -> None:
        unit = self._unit(window)
        self._command(unit, ShowText(unit.address, text))

    def beep(self, window: int) -> None:
        unit = self._unit(window)
        self._command(unit, Beep(unit.address))

    def start_rating(self, window: int) -> None:
        """Invite the citizen at this window to rate the service on its pad."""
        unit = self._unit(window)
        self._command(unit, StartRating(unit.address))

    def _unit(self, window: int) -> Unit:
        try:
            return self._by_window[window]
        except KeyError:
            raise DeviceError(f"{self.name}: no unit configured for window {window}") from None

    def _command(self, unit: Unit, command: HostMessage) -> None:
        if type(command) not in self.codec.commands:
            raise DeviceError(f"{unit.name}: a {self.profile} unit cannot do {type(command).__name__}")
        frame = self.codec.send(command)  # encoding is stateless: bad values fail here, in the caller
        unit.counters.commands += 1
        answer = self.call(lambda: self._exchange(unit, frame))
        if isinstance(answer, Nak):
            raise DeviceError(f"{unit.name} refused {type(command).__name__} (code {answer.code})")

    # ---- the loop (driver thread) ----------------------------------------------------
    def poll(self) -> None:
        """One round: poll every unit that is online or due for a probe, then rest a little."""
        started = self.clock.monotonic()
        for unit in self.units.values():
            if unit.condition.state is DeviceState.OFFLINE and started < unit.next_probe:
                continue
            unit.counters.polls += 1
            try:
                answer = self._exchange(unit, self.codec.send(Poll(unit.address)))
            except UnitSilent:
                continue
            if isinstance(answer, (KeyPressed, RatingPressed)):
                self._deliver(unit, answer)
        self._update_bus_condition()
        # rest between rounds, but run commands (LED numbers, rating prompts) as they come:
        # a command waiting out the rest each time would cap the bus at a few commands a second
        while (rest := self.round_interval - (self.clock.monotonic() - started)) > 0:
            self._run_jobs()
            self.clock.sleep(min(rest, 0.02))

    def _deliver(self, unit: Unit, event: KeyPressed | RatingPressed) -> None:
        if isinstance(event, KeyPressed):
            unit.counters.keys += 1
            self._hand_over(unit, event)  # a keypad forgets a key once polled: a refusal is only logged
            return
        if unit.unacked_rating != event.level:  # the same rating again means our ack was lost
            if not self._hand_over(unit, event):
                return  # not stored: no ack, so the pad keeps the rating and offers it at the next poll
            unit.counters.ratings += 1
        unit.unacked_rating = event.level
        try:
            self._exchange(unit, self.codec.send(AckRating(unit.address, event.level)))
        except UnitSilent:
            return  # the pad offers the rating again when it is back; we will not emit it twice
        unit.unacked_rating = None

    def _hand_over(self, unit: Unit, event: KeyPressed | RatingPressed) -> bool:
        """Give a press to the daemon, which stores it in its outbox; False if it could not.

        Unlike `Driver.emit`, the outcome matters here: a rating the daemon refused (its outbox
        full) must not be acknowledged to the pad. One error line per refusing spell, not per poll.
        """
        try:
            self.on_event(self.name, WindowInput(unit.window, unit.name, event))
        except Exception as exc:
            unit.counters.refused += 1
            if not unit.refusing:
                log.error("press not stored" + (": kept on the pad, offered again" if isinstance(event, RatingPressed)
                                                 else ": the key press is lost, the window must press it again"),
                          extra={"device": unit.name, "error": f"{type(exc).__name__}: {exc}"[:200]})
            unit.refusing = True
            return False
        unit.refusing = False
        return True

    def _exchange(self, unit: Unit, frame: bytes) -> DeviceMessage:
        """Send one frame and return the unit's answer, retrying; UnitSilent when it stays quiet."""
        tries = 1 if unit.condition.state is DeviceState.OFFLINE else 1 + self.retries
        for attempt in range(tries):
            if attempt:
                unit.counters.retries += 1
                self.counters.retries += 1
            self.transport.write(frame)
            answer = self._await_answer(unit)
            if answer is not None:
                unit.counters.answers += 1
                self._set_unit(unit, ONLINE)
                return answer
        unit.counters.timeouts += 1
        unit.next_probe = self.clock.monotonic() + self.probe_interval
        self._set_unit(unit, Condition(DeviceState.OFFLINE, Reason.NO_ANSWER, f"no answer at address {unit.address}"))
        raise UnitSilent(f"{unit.name} does not answer")

    def _await_answer(self, unit: Unit) -> DeviceMessage | None:
        """The next frame from `unit` within the reply timeout; None on timeout or a bad frame."""
        deadline = self.clock.monotonic() + self.reply_timeout

        def bad_frame(error: CodecError) -> None:
            unit.counters.frames_bad += 1
            self.counters.frames_bad += 1
            self.note_error(error)
            raise error  # resend at once rather than wait out the rest of a broken frame

        try:
            while (message := wait_event(self.codec, self.transport.read, lambda: deadline - self.clock.monotonic(),
                                         bad_frame)) is not None:
                self.counters.frames_ok += 1
                answer = cast(DeviceMessage, message)  # a host-side codec decodes only the units' answers
                if answer.address == unit.address:
                    return answer
                stray = self.units.get(answer.address)
                if stray is not None and isinstance(answer, KeyPressed):
                    self._deliver(stray, answer)  # a late answer to an earlier poll: keep the key press
            return None
        except CodecError:
            return None
        finally:
            self.counters.garbage_bytes = self._garbage_before + self.codec.garbage_bytes

    # ---- conditions --------------------------------------------------------------------
    def _set_unit(self, unit: Unit, condition: Condition) -> None:
        if condition == unit.condition:
            return
        unit.condition, unit.since = condition, self.clock.time()
        self.report_state(unit.name, condition)

    def _update_bus_condition(self) -> None:
        silent = [u.name for u in self.units.values() if u.condition.state is DeviceState.OFFLINE]
        if not silent:
            self.set_condition(ONLINE)
        elif len(silent) < len(self.units):
            self.set_condition(Condition(DeviceState.DEGRADED, Reason.NO_ANSWER, "silent: " + ", ".join(silent)))
        else:
            self.set_condition(Condition(DeviceState.OFFLINE, Reason.NO_ANSWER, "no unit answers"))

    def on_disconnect(self) -> None:
        """The port is gone: every unit is unreachable, and the next port starts a clean stream."""
        self._garbage_before = self.counters.garbage_bytes
        self.codec = make_codec(self.profile, Side.HOST)
        gone = Condition(DeviceState.OFFLINE, self.condition.reason or Reason.PORT_GONE, "bus port gone")
        for unit in self.units.values():
            unit.next_probe = 0.0
            self._set_unit(unit, gone)

    # ---- status ------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return {"profile": self.profile, "windows": {u.window: u.address for u in self.units.values()}}

    def get_status(self) -> dict[str, Any]:
        status = super().get_status()
        status["units"] = {
            u.name: {"window": u.window, "address": u.address, **u.condition.as_dict(),
                     "since": u.since, "counters": asdict(u.counters)}
            for u in self.units.values()}
        return status
