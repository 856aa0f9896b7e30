"""A whole window bus on one pty: N windows, each with an LED screen, a caller keypad and a rating pad.

The simulator is the device side of the same codec the driver uses. Every unit answers the
master's frames the way docs/protocols.md ("Window bus") describes: a poll gets the oldest
queued key press or a short ack; a caller key leaves the queue when sent, a rating stays
until the master acknowledges it. Faults to inject: a silent unit, noise on the line,
a pulled cable (unplug/replug).
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from core.sansio import CodecError, feed
from drivers.sim.port import PtyPort, PtySimulator
from drivers.windowbus.codec import (
    Ack,
    AckRating,
    Beep,
    CallerKey,
    DeviceMessage,
    HostMessage,
    KeyPressed,
    Poll,
    RatingPressed,
    Registers,
    ShowNumber,
    ShowText,
    Side,
    StartRating,
)
from drivers.windowbus.profiles import make_codec

log = logging.getLogger("sim.windowbus")

NOISE = b"\x00\x55\xaa\xf0"  # starts no frame in any shipped profile, so it is pure garbage


@dataclass
class UnitSim:
    """One window's hardware at one bus address."""

    address: int
    screen: str = ""
    number_field: bytes = bytes(4)  # a Modbus display's (decimals, value) registers, read by polls
    beeps: int = 0
    rating_open: bool = False
    silent: bool = False
    queue: deque[KeyPressed | RatingPressed] = field(default_factory=deque)

    def show(self, command: ShowNumber | ShowText, six_digits: bool) -> None:
        """Six 7-segment digits on a caller (waiting count, then ticket), else a text/number display."""
        if isinstance(command, ShowText):
            self.screen = command.text
        elif six_digits:
            self.screen = "".join("   " if v is None else f"{v:03d}" for v in (command.waiting, command.number))
        else:
            value, places = command.number or 0, command.decimals
            digits = str(value).rjust(places + 1, "0")
            self.screen = f"{digits[:-places]}.{digits[-places:]}" if places else digits
            self.number_field = places.to_bytes(2, "big") + value.to_bytes(2, "big")


class WindowBusSim(PtySimulator):
    thread_name = "sim-windowbus"

    def __init__(self, link: str | Path, addresses: tuple[int, ...] | list[int] = (1, 2, 3),
                 profile: str = "ft12") -> None:
        super().__init__(link)
        self.profile = profile
        self.units = {a: UnitSim(a) for a in addresses}
        self._codec = make_codec(profile, Side.DEVICE)
        self._lock = threading.Lock()
        self._noise = b""
        self.frames_bad = 0

    # ---- lifecycle -------------------------------------------------------------------
    def plug(self) -> None:
        with self._lock:
            self._codec = make_codec(self.profile, Side.DEVICE)  # a fresh line: no half frame
        super().plug()

    # ---- steering --------------------------------------------------------------------
    def _unit(self, address: int) -> UnitSim:
        try:
            return self.units[address]
        except KeyError:
            raise ValueError(f"no window unit at address {address} (have {', '.join(map(str, self.units))})") from None

    def press_key(self, address: int, key: CallerKey, digit: int | None = None) -> None:
        self._press(KeyPressed(address, key, digit))

    def press_rating(self, address: int, level: int) -> None:
        self._press(RatingPressed(address, level))

    def set_silent(self, address: int, silent: bool = True) -> None:
        with self._lock:
            self._unit(address).silent = silent

    def add_noise(self, size: int = len(NOISE)) -> None:
        """Put garbage on the line just before the next answer."""
        with self._lock:
            self._noise += (NOISE * (size // len(NOISE) + 1))[:size]

    def screens(self) -> dict[int, str]:
        with self._lock:
            return {a: u.screen for a, u in self.units.items()}

    def _press(self, press: KeyPressed | RatingPressed) -> None:
        self._codec.send(press)  # the encoder judges what this bus can carry (ValueError if not)
        with self._lock:
            unit = self._unit(press.address)
            unit.queue.append(press)
            if isinstance(press, RatingPressed):
                unit.rating_open = False

    # ---- the wire --------------------------------------------------------------------
    def _receive(self, port: PtyPort, data: bytes) -> None:
        with self._lock:
            for command in feed(self._codec, data, self._bad_frame):
                answer = self._answer(cast(HostMessage, command))  # a device-side codec decodes only the host's
                if answer is not None:
                    port.write(self._noise + self._codec.send(answer))
                    self._noise = b""

    def _bad_frame(self, error: CodecError) -> None:
        self.frames_bad += 1
        log.debug("bad frame from the host", extra={"error": str(error)})

    def _answer(self, command: HostMessage) -> DeviceMessage | None:
        unit = self.units.get(command.address)
        if unit is None or unit.silent:
            return None
        match command:
            case Poll(address):
                if KeyPressed not in self._codec.answers:
                    return Registers(address, unit.number_field)
                if not unit.queue:
                    return Ack(address)
                head = unit.queue[0]
                if isinstance(head, KeyPressed):
                    unit.queue.popleft()  # caller keys are sent once; ratings wait for the ack
                return head
            case ShowNumber() | ShowText():
                unit.show(command, six_digits=self._codec.shows_waiting)
            case Beep():
                unit.beeps += 1
            case StartRating():
                unit.rating_open = True
            case AckRating(address, level):
                if unit.queue and unit.queue[0] == RatingPressed(address, level):
                    unit.queue.popleft()
        return Ack(command.address)

    # ---- the sim console -------------------------------------------------------------
    USAGE = ("bus show | bus key <addr> <call|recall|evaluate|pause|transfer|confirm [digit]|give-up|hold|call-back>"
             " | bus key <addr> rate <level> | bus silent <addr> | bus answer <addr> | bus garbage [bytes]"
             " | bus unplug | bus plug | bus status")

    def handle_command(self, words: list[str]) -> str:
        """One console line (first word is the routing word, e.g. "bus") → one line of answer."""
        verb, args = (words[1], words[2:]) if len(words) > 1 else ("status", [])
        try:
            match verb, args:
                case "show", []:
                    return " ".join(f"{a}=[{text}]" for a, text in self.screens().items())
                case "key", [address, "rate", level]:
                    self.press_rating(int(address), int(level))
                    return f"rating {level} pressed on pad {address}"
                case "key", [address, key, *digit] if len(digit) <= 1:
                    self.press_key(int(address), CallerKey(key), int(digit[0]) if digit else None)
                    return f"{key} pressed on caller {address}"
                case "silent" | "answer", [address]:
                    self.set_silent(int(address), verb == "silent")
                    return f"unit {address} {'silent' if verb == 'silent' else 'answers again'}"
                case "garbage", [*size] if len(size) <= 1:
                    self.add_noise(int(size[0]) if size else len(NOISE))
                    return "noise queued before the next answer"
                case "unplug", []:
                    self.unplug()
                    return "bus unplugged"
                case "replug" | "plug", []:
                    self.plug()
                    return "bus plugged in"
                case "status", []:
                    return self.describe()
        except ValueError as exc:
            return f"error: {exc}"
        return f"usage: {self.USAGE}"

    def describe(self) -> str:
        port = self._port
        where = f"{self.link}" + ("" if port is not None and port.plugged else " (unplugged)")
        with self._lock:
            units = ", ".join(
                f"{u.address}:{'silent' if u.silent else 'ok'}"
                f"{' rating' if u.rating_open else ''}{f' queued={len(u.queue)}' if u.queue else ''}"
                for u in self.units.values())
        return f"window bus ({self.profile}) on {where}: units {units}; bad frames {self.frames_bad}"
