"""A GA 467 ID-card reader on a pty: the reader side of the real protocol, with faults.

It reuses the codec's `DeviceCodec`, holds a handful of test citizens (every card
layout, valid check digits), and behaves like the hardware: `find` answers once per card
put down, `select` answers while a found card stays in the field. Tests and
`onetrip sim` steer it: put a card down or lift it, answer the next replies with any
status code, answer byte by byte, not at all, with garbage or broken checksums, or pull
the cable.
"""
from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from core.sansio import CodecError, feed
from drivers.idcard.card import Card, CardType, Gender, build_text
from drivers.idcard.codec import (
    PREAMBLE,
    DeviceCodec,
    ReadReply,
    SamCommand,
    SamId,
    SamIdReply,
    SamOp,
    SamReply,
    SamStatus,
    answer_to,
)
from drivers.sim.port import PtyPort, PtySimulator

log = logging.getLogger("sim.idcard")

SIM_SAM_ID = SamId(5, 1, 20230615, 123456, 3000001234)
SLOW_BYTE_DELAY = 0.001  # seconds between bytes in slow mode (a sluggish reader, ~10 kbaud)


def _photo(seed: str) -> bytes:
    """A stand-in WLT blob: 1,024 opaque bytes, stable per citizen."""
    return hashlib.shake_256(seed.encode()).digest(1024)


def _card(**fields: object) -> Card:
    return Card(photo=_photo(str(fields["number"])), **fields)  # type: ignore[arg-type]


DEFAULT_CITIZENS: tuple[Card, ...] = (
    _card(card_type=CardType.RESIDENT, name="张三", gender=Gender.MALE, nation="01",
          birth=date(1990, 1, 1), address="北京市东城区景山前街4号", number="110101199001010015",
          authority="北京市公安局东城分局", valid_from=date(2015, 6, 1), valid_to=date(2035, 6, 1)),
    _card(card_type=CardType.RESIDENT, name="李秀英", gender=Gender.FEMALE, nation="01",
          birth=date(1952, 3, 15), address="浙江省杭州市上城区解放路138号", number="330102195203150023",
          authority="杭州市公安局上城区分局", valid_from=date(2012, 5, 20), valid_to=None),
    _card(card_type=CardType.RESIDENT, name="阿依古丽·买买提", gender=Gender.FEMALE, nation="05",
          birth=date(1985, 7, 23), address="新疆乌鲁木齐市天山区解放南路56号", number="650102198507230047",
          authority="乌鲁木齐市公安局天山区分局", valid_from=date(2019, 8, 10), valid_to=date(2039, 8, 10)),
    _card(card_type=CardType.RESIDENT, name="王建国", gender=Gender.MALE, nation="03",
          birth=date(1978, 9, 12), address="宁夏银川市兴庆区文化东街22号", number="640104197809120018",
          authority="银川市公安局兴庆区分局", valid_from=date(2018, 3, 2), valid_to=date(2038, 3, 2)),
    _card(card_type=CardType.PERMIT, name="陈家明", gender=Gender.MALE, birth=date(1992, 5, 18),
          address="广东省深圳市福田区福华三路88号", number="810000199205180036", authority="深圳市公安局",
          valid_from=date(2021, 4, 6), valid_to=date(2026, 4, 6), pass_number="H60123456", issue_count="01"),
    _card(card_type=CardType.FOREIGNER_OLD, english_name="SMITH, JOHN", name="史密斯", gender=Gender.MALE,
          number="USA110650301001", nationality="USA", birth=date(1965, 3, 1),
          valid_from=date(2016, 9, 1), valid_to=date(2026, 9, 1), version="05", authority_code="1500"),
    _card(card_type=CardType.FOREIGNER, name="安娜", english_name="MUELLER, ANNA", gender=Gender.FEMALE,
          issue_count="00", number="931276198504120027", nationality="DEU", birth=date(1985, 4, 12),
          valid_from=date(2023, 12, 1), valid_to=date(2033, 12, 1)),
)

USAGE = ("card insert <name|index> | card remove | card list | card fault <SW3 hex> [count] | "
         "card slow on|off | card silent on|off | card garbage [count] | card corrupt [count] | "
         "unplug | plug")


class IdCardSim(PtySimulator):
    """The simulated reader; `start()` serves the pty at `link` from a thread."""

    thread_name = "sim-idcard"

    def __init__(self, link: Path, citizens: Sequence[Card] | None = None) -> None:
        super().__init__(link)
        self.citizens = list(citizens or DEFAULT_CITIZENS)
        self.baud = 115200  # set by `60 nn`; a pty ignores it
        self.slow = False
        self.silent = False
        self.answered = 0
        self._card: Card | None = None
        self._fresh = False  # put down and not yet read: `find` answers
        self._found = False  # found since put down: `select` answers
        self._fault: tuple[SamStatus, int] | None = None
        self._garbage = 0
        self._corrupt = 0
        self._conn = DeviceCodec()
        self._lock = threading.Lock()
        self._rng = random.Random(467)

    def describe(self) -> str:
        with self._lock:
            card = f"{self._card.masked_name} ({self._card.card_type.name.lower()})" if self._card else "none"
            fault = f"{self._fault[0]:02X}×{self._fault[1]}" if self._fault else "none"
            plugged = self._port is not None and self._port.plugged
            return (f"idcard reader at {self.link}: {'plugged' if plugged else 'unplugged'}, card {card}, "
                    f"fault {fault}, slow {'on' if self.slow else 'off'}, silent {'on' if self.silent else 'off'}")

    # ---- steering --------------------------------------------------------------------
    def insert_card(self, who: str | int) -> Card:
        """Put a citizen's card down (by index or name); a card already there is swapped."""
        card = self._citizen(who)
        with self._lock:
            self._card, self._fresh, self._found = card, True, False
        return card

    def remove_card(self) -> None:
        with self._lock:
            self._card, self._fresh, self._found = None, False, False

    def inject_fault(self, status: SamStatus | int, count: int = 1) -> None:
        """Answer the next `count` commands with `status` and no data."""
        with self._lock:
            self._fault = (SamStatus(status), count) if count > 0 else None

    def inject_garbage(self, count: int = 1) -> None:
        """Put line noise (with a false preamble start) before each of the next replies."""
        with self._lock:
            self._garbage = count

    def corrupt_replies(self, count: int = 1) -> None:
        """Break the checksum of the next `count` replies."""
        with self._lock:
            self._corrupt = count

    def handle_command(self, words: list[str]) -> str:
        """The text control interface of `onetrip sim`; answers one line."""
        try:
            return self._handle(words)
        except (KeyError, ValueError, IndexError) as exc:
            return f"error: {exc}; usage: {USAGE}"

    def _handle(self, words: list[str]) -> str:
        if words[:1] == ["card"]:
            words = words[1:]
        verb, args = (words[0] if words else ""), words[1:]
        if verb == "insert":
            card = self.insert_card(int(args[0]) if args[0].isdigit() else args[0])
            return f"ok: inserted {card!r}"
        if verb == "remove":
            self.remove_card()
            return "ok: card removed"
        if verb == "list":
            return "; ".join(f"{i}: {card!r}" for i, card in enumerate(self.citizens))
        if verb == "fault":
            status, count = SamStatus(int(args[0], 16)), int(args[1]) if len(args) > 1 else 1
            self.inject_fault(status, count)
            return f"ok: next {count} replies {status.name} ({status:02X})"
        if verb in ("slow", "silent"):
            if args[0] not in ("on", "off"):
                raise ValueError(f"{verb} takes on or off")
            setattr(self, verb, args[0] == "on")
            return f"ok: {verb} {args[0]}"
        if verb in ("garbage", "corrupt"):
            count = int(args[0]) if args else 1
            (self.inject_garbage if verb == "garbage" else self.corrupt_replies)(count)
            return f"ok: {verb} on the next {count} replies"
        if verb in ("unplug", "plug"):
            getattr(self, verb)()
            return f"ok: {verb}ged"
        raise ValueError(f"unknown command {' '.join(words)!r}")

    def _citizen(self, who: str | int) -> Card:
        if isinstance(who, int):
            return self.citizens[who]
        for card in self.citizens:
            if who in (card.name, card.english_name):
                return card
        raise KeyError(f"no test citizen named {who!r}")

    # ---- the reader ------------------------------------------------------------------
    def _receive(self, port: PtyPort, data: bytes) -> None:
        for command in feed(self._conn, data, self._refuse):
            self._write(self._conn.send(self._answer(command)))

    def _refuse(self, error: CodecError) -> None:
        """A reader answers a frame it could not take with the status that says why."""
        self._write(self._conn.send(SamReply(answer_to(error))))

    def _answer(self, command: SamCommand) -> SamReply:
        with self._lock:
            self.answered += 1
            if self._fault is not None:
                status, left = self._fault
                self._fault = (status, left - 1) if left > 1 else None
                return SamReply(status, op=command.op)
            return self._respond(command)

    def _respond(self, command: SamCommand) -> SamReply:
        card, op = self._card, command.op
        if op in (SamOp.RESET_SAM, SamOp.SAM_STATUS):
            return SamReply(SamStatus.OK, op=op)
        if op is SamOp.SAM_ID:
            return SamIdReply.build(SIM_SAM_ID)
        if op is SamOp.SET_BAUD:
            assert command.baud is not None
            self.baud = command.baud.rate
            return SamReply(SamStatus.OK, op=op)
        if op is SamOp.FIND:
            if card is None or not self._fresh:
                return SamReply(SamStatus.NO_CARD, op=op)
            self._found = True
            return SamReply(SamStatus.CARD_FOUND, bytes(4), op)
        if card is None or not self._found:
            return SamReply(SamStatus.SELECT_FAILED if op is SamOp.SELECT else SamStatus.READ_FAILED, op=op)
        if op is SamOp.SELECT:
            return SamReply(SamStatus.OK, bytes(8), op)
        if op is SamOp.READ_NEW_ADDRESS:
            return SamReply(SamStatus.NO_CONTENT, op=op)
        self._fresh = False
        fingerprint = _photo(card.number + "fp") if op is SamOp.READ_FINGERPRINT else None
        return ReadReply.build(build_text(card), card.photo, fingerprint)

    def _write(self, frame: bytes) -> None:
        port = self._port
        with self._lock:
            if self.silent or port is None:
                return
            if self._corrupt:
                self._corrupt -= 1
                frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
            if self._garbage:
                self._garbage -= 1
                frame = self._rng.randbytes(7) + PREAMBLE[:3] + self._rng.randbytes(3) + frame
            slow = self.slow
        if not slow:
            port.write(frame)
            return
        start = time.monotonic()
        for i in range(len(frame)):  # on a schedule, so sleep overshoot does not add up
            delay = start + i * SLOW_BYTE_DELAY - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            port.write(frame[i : i + 1])
