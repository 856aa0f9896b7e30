"""Driver of the resident ID-card reader (GA 467 SAM protocol) on a serial port.

The handshake reads the SAM id and status. Each poll runs find → select → read and turns
the result into events for the kiosk: `CardRead` once per card put down, `CardRemoved`
once when it is lifted, `CardError` once per failure. A read card makes `find` fail while
it still lies there, so removal is told by a `select` probe, which only a card still in
the field answers.

Timeouts: an idle command (find, status, the removal probe) may go unanswered
`idle_misses - 1` times in a row before the reader counts as gone; a transaction
(select + read of a card someone just put down) gets one try within its deadline (wire
time of the reply plus `read_timeout`) and a miss aborts it at once with a `CardError`,
because a half-read card must never become a citizen's visit.
"""
from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from core.config import ConfigModel
from core.devstate import ONLINE, Condition, DeviceState, Reason
from core.errors import DeviceError
from core.sansio import CodecError, wait_event
from drivers.base import Driver, NoAnswer
from drivers.idcard.card import Card, InvalidCard, parse_text
from drivers.idcard.codec import (
    HostCodec,
    ReadReply,
    SamCommand,
    SamId,
    SamIdReply,
    SamOp,
    SamReply,
    SamStatus,
    wire_time,
)
from drivers.transport import SerialTransport, Transport

log = logging.getLogger("drivers.idcard")


class IdCardSettings(ConfigModel):
    port: str = "/dev/ttyUSB0"
    baud: Literal[115200, 57600, 38400, 19200, 9600] = 115200
    poll_interval: float = Field(default=0.3, ge=0.3, le=5.0)  # GA 467 readers: no faster than 300 ms
    reply_timeout: float = Field(default=0.5, gt=0, le=5.0)   # idle commands, beyond wire time
    read_timeout: float = Field(default=2.0, gt=0, le=10.0)   # a card transaction, beyond wire time
    idle_misses: int = Field(default=2, ge=1, le=10)          # unanswered idle commands before offline
    model: str = "GA 467 SAM reader"


# ---- events (to the kiosk through the daemon) ---------------------------------------
@dataclass(frozen=True)
class CardRead:
    card: Card  # its repr masks the name and number


@dataclass(frozen=True)
class CardRemoved:
    pass


@dataclass(frozen=True)
class CardError:
    reason: str        # a SamStatus name in lower case, "no_answer", "bad_frame" or "invalid_card"
    detail: str = ""   # never holds the ID number


# ---- what each status means to the driver -------------------------------------------
class Outcome(enum.Enum):
    DONE = "done"                  # the command did its job
    NO_CARD = "no_card"            # nothing (more) in the field
    CARD_FAULT = "card_fault"      # this card could not be read: tell the citizen
    SAM_DEGRADED = "sam_degraded"  # the SAM refused once; it may come back
    SAM_DOWN = "sam_down"          # the SAM cannot read any card
    LINK = "link"                  # the reader got a garbled command from us


OUTCOMES: dict[SamStatus, Outcome] = {
    SamStatus.OK: Outcome.DONE,
    SamStatus.CARD_FOUND: Outcome.DONE,
    SamStatus.NO_CONTENT: Outcome.NO_CARD,
    SamStatus.NO_CARD: Outcome.NO_CARD,
    SamStatus.SELECT_FAILED: Outcome.NO_CARD,  # the card left the field between find and select
    SamStatus.AUTH_CARD_REJECTED_SAM: Outcome.CARD_FAULT,
    SamStatus.AUTH_SAM_REJECTED_CARD: Outcome.CARD_FAULT,
    SamStatus.AUTH_DATA_MISMATCH: Outcome.CARD_FAULT,
    SamStatus.UNKNOWN_CARD_TYPE: Outcome.CARD_FAULT,
    SamStatus.READ_FAILED: Outcome.CARD_FAULT,
    SamStatus.RANDOM_FAILED: Outcome.CARD_FAULT,
    SamStatus.NOT_PERMITTED: Outcome.SAM_DEGRADED,
    SamStatus.UNKNOWN_ERROR: Outcome.SAM_DEGRADED,
    SamStatus.SAM_SELF_TEST_FAILED: Outcome.SAM_DOWN,
    SamStatus.SAM_NOT_AUTHORISED: Outcome.SAM_DOWN,
    SamStatus.CHECKSUM_ERROR: Outcome.LINK,
    SamStatus.LENGTH_ERROR: Outcome.LINK,
    SamStatus.BAD_COMMAND: Outcome.LINK,
}

TROUBLE_LIMIT = 3  # consecutive garbled exchanges before the reader counts as degraded


class SamFault(DeviceError):
    """The SAM module failed its self-test or is not authorised: no card can be read."""

    reason = Reason.SAM_FAULT


class IdCardReader(Driver):
    family = "idcard"

    def __init__(self, name: str, transport: Transport, settings: IdCardSettings | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name, transport, **kwargs)
        self.settings = settings or IdCardSettings()
        self.sam_id: SamId | None = None
        self._conn = HostCodec()
        self._present = False        # a card was read and has not been lifted since
        self._again = False          # read the card lying there once more at the next poll
        self._reported: str | None = None  # the CardError already told for this card
        self._misses = 0
        self._troubles = 0

    @classmethod
    def from_settings(cls, name: str, settings: IdCardSettings, **kwargs: Any) -> IdCardReader:
        return cls(name, SerialTransport(settings.port, settings.baud), settings, **kwargs)

    # ---- Driver hooks ----------------------------------------------------------------
    def handshake(self) -> None:
        sam = self._strict(SamCommand(SamOp.SAM_ID))
        if not isinstance(sam, SamIdReply):
            raise SamFault(f"SAM id refused: {sam.status.name}")
        self.sam_id = sam.sam_id
        status = self._strict(SamCommand(SamOp.SAM_STATUS))
        if status.status is not SamStatus.OK:
            raise SamFault(f"SAM status {status.status.name}")
        log.info("reader ready", extra={"device": self.name, "sam_id": str(self.sam_id)})

    def poll(self) -> None:
        started = self.clock.monotonic()
        self._cycle()
        self.counters.garbage_bytes = self._conn.garbage_bytes
        self.clock.sleep(max(0.0, self.settings.poll_interval - (self.clock.monotonic() - started)))

    def on_disconnect(self) -> None:
        self._conn.reset()
        self._misses = self._troubles = 0
        if self._present:  # whatever lies on a vanished reader, the kiosk must forget it
            self._removed()

    def info(self) -> dict[str, Any]:
        return {"model": self.settings.model, "sam_id": str(self.sam_id) if self.sam_id else "",
                "baud": self.settings.baud, "poll_interval": self.settings.poll_interval}

    def get_status(self) -> dict[str, Any]:
        return {**super().get_status(), "card_present": self._present}

    def read_again(self) -> bool:
        """Read the card lying on the reader once more, at the next poll: a flow asks for a card
        while one lies there since before (the citizen it was read for was forgotten, or put it
        down early). False when none lies there: the next one placed is read anyway."""
        self._again = self._present
        return self._again

    # ---- one poll --------------------------------------------------------------------
    def _cycle(self) -> None:
        if self._again:
            self._again = self._present = False
            self._read_card()
            if not self._present:  # lifted meanwhile, or unreadable now: the kiosk must not wait on it
                self._removed()
            return
        find = self._idle(SamCommand(SamOp.FIND))
        if find is None:
            return
        outcome = self._judge(find)
        if outcome is Outcome.DONE:
            self._read_card()
        elif outcome is Outcome.NO_CARD and self._present:
            probe = self._idle(SamCommand(SamOp.SELECT))
            if probe is not None and self._judge(probe) is Outcome.NO_CARD:
                self._removed()
        elif outcome is Outcome.NO_CARD:
            self._reported = None

    def _read_card(self) -> None:
        if self._present:  # lifted and put back (or swapped) between two polls
            self._removed()
        select = self._transact(SamCommand(SamOp.SELECT))
        if select is None or self._judge(select) is not Outcome.DONE:
            return
        read = self._transact(SamCommand(SamOp.READ))
        if read is None or self._judge(read) is not Outcome.DONE:
            return
        if not isinstance(read, ReadReply):
            self._report("bad_frame", f"read answered with {read.status.name}")
            return
        try:
            card = parse_text(read.text, read.photo)
        except InvalidCard as exc:
            self._report("invalid_card", str(exc))
            return
        self._present, self._reported = True, None
        log.info("card read", extra={"device": self.name, "card_type": card.card_type.name})
        self.emit(CardRead(card))

    def _removed(self) -> None:
        self._present = False
        log.info("card removed", extra={"device": self.name})
        self.emit(CardRemoved())

    def _report(self, reason: str, detail: str = "") -> None:
        """One CardError per failure, not one per poll while the same card keeps failing."""
        if reason != self._reported:
            self._reported = reason
            log.warning("card not read", extra={"device": self.name, "reason": reason})
            self.emit(CardError(reason, detail))

    # ---- judging replies -------------------------------------------------------------
    def _judge(self, reply: SamReply) -> Outcome:
        outcome = OUTCOMES[reply.status]
        if outcome is Outcome.SAM_DOWN:
            raise SamFault(f"SAM answered {reply.status.name}")
        if outcome is Outcome.SAM_DEGRADED:
            self.set_condition(Condition(DeviceState.DEGRADED, Reason.SAM_FAULT, reply.status.name))
        elif outcome is Outcome.LINK:
            self._trouble(f"reader reports {reply.status.name}")
        else:
            self._healthy()
            if outcome is Outcome.CARD_FAULT:
                self._report(reply.status.name.lower())
        return outcome

    def _trouble(self, detail: str) -> None:
        self._troubles += 1
        if self._troubles >= TROUBLE_LIMIT:
            self.set_condition(Condition(DeviceState.DEGRADED, Reason.PROTOCOL_ERRORS, detail))

    def _healthy(self) -> None:
        self._troubles = 0
        if self.condition.state is DeviceState.DEGRADED:
            self.set_condition(ONLINE)

    # ---- exchanges -------------------------------------------------------------------
    def _strict(self, command: SamCommand) -> SamReply:
        """Handshake: the reader must answer at once."""
        reply = self._exchange(command, self.settings.reply_timeout)
        if reply is None:
            raise NoAnswer(f"{self.name}: no answer to {command.op.name}")
        return reply

    def _idle(self, command: SamCommand) -> SamReply | None:
        """Idle polling: a few misses in a row are tolerated, then the reader is gone."""
        reply = self._exchange(command, self.settings.reply_timeout)
        if reply is None and self._misses >= self.settings.idle_misses:
            raise NoAnswer(f"{self.name}: no answer to {self._misses} commands")
        return reply

    def _transact(self, command: SamCommand) -> SamReply | None:
        """A card transaction: one try, and a miss aborts the read for this card."""
        reply = self._exchange(command, self.settings.read_timeout)
        if reply is None:
            self._report("no_answer", f"no answer to {command.op.name}")
        return reply

    def _exchange(self, command: SamCommand, margin: float) -> SamReply | None:
        """Send one command and wait for its reply; None (a miss) past the deadline."""
        self.transport.write(self._conn.send(command))
        deadline = self.clock.monotonic() + margin + wire_time(command.op.reply_size, self.settings.baud)
        reply = wait_event(self._conn, self.transport.read, lambda: deadline - self.clock.monotonic(), self._bad_frame)
        if reply is None:
            self._conn.reset()  # a late reply must not answer the next command
            self._misses += 1
            self.counters.retries += 1
            return None
        self.counters.frames_ok += 1
        self._misses = 0
        return reply

    def _bad_frame(self, error: CodecError) -> None:
        self.counters.frames_bad += 1
        self.note_error(error)
        self._trouble(str(error))
