"""A terminal's side of the hall link: birth and will, requests, commands, the outbox pump.

Session choice (documented in docs/mqtt.md): every connect uses clean_start=False with a
300 s session expiry, so a short network blip loses no command or response queued at the
broker; anything older is stale by design (commands carry their own expiry), and
business events never depend on the broker session at all: the outbox resends them.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, Callable

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel, ValidationError

from core.clock import SYSTEM_CLOCK, Clock, HallClock
from core.config import MqttSettings
from core.errors import CenterUnreachable, OneTripError, RequestTimeout
from mqtt import payloads
from mqtt.client import Link, props
from mqtt.contract import (
    Ack,
    Birth,
    Command,
    CommandResult,
    ContractError,
    DeviceStatePayload,
    ErrorInfo,
    Event,
    Kind,
    Request,
    Response,
    Status,
    Telemetry,
    Topic,
    decode,
    encode,
    refuse_id_numbers,
)
from mqtt.outbox import Outbox
from mqtt.timesync import OffsetSample, best, sample

log = logging.getLogger("mqtt.terminal")

CommandHandler = Callable[[dict[str, Any]], dict[str, Any] | None]


class RequestFailed(OneTripError):
    """The center answered a request with an error (`type` is its error class name)."""

    def __init__(self, type_: str, message: str, values: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.type = type_
        self.values = dict(values or {})


class SessionCounter:
    """Sparkplug's bdSeq: a number on disk, raised on every connect, named in birth and will."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.value = int(path.read_text()) if path.exists() else 0

    def next(self) -> int:
        self.value += 1
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(str(self.value))
        tmp.replace(self.path)
        return self.value


class TerminalLink(Link):
    # One event in flight: the center acknowledges QoS 1 on receipt, before applying, so events
    # lost in a center that died (or a broker that lost its sessions) are resent later; with
    # more than one out, a newer event could be applied first (a rating before the key that
    # ended its service). Stop-and-wait keeps each terminal's events in order at ~1 ms each.
    inflight_max = 1
    resend_after = 10.0  # seconds without an ack before the unacked rows go out again
    sync_period = 60.0   # seconds between measurements of the offset from hall time
    sync_burst = 4       # round trips per measurement; the shortest one counts

    def __init__(self, settings: MqttSettings, terminal: str, state_dir: Path, *,
                 birth: Callable[[int], Birth] | None = None, clock: Clock | HallClock = SYSTEM_CLOCK,
                 outbox_max_rows: int = 50_000, sync_period: float | None = None) -> None:
        """`clock`: a HallClock is kept and its offset set from the center's time; any other clock
        is wrapped in one. Everything this link stamps (status, birth, telemetry, events) is hall time."""
        self.hall_clock = clock = clock if isinstance(clock, HallClock) else HallClock(clock)
        super().__init__(settings, terminal, clock=clock)
        self.terminal = terminal
        state_dir.mkdir(parents=True, exist_ok=True)
        self.session = SessionCounter(state_dir / "mqtt-session")
        self.outbox = Outbox(state_dir / "outbox.sqlite", max_rows=outbox_max_rows, clock=clock)
        self._birth = birth or (lambda session: Birth(session=session, ts=clock.time()))
        self._device_states: dict[str, DeviceStatePayload] = {}
        self._pending: dict[bytes, Future[Response]] = {}
        self._answers: dict[str, Future[ErrorInfo | None]] = {}  # events someone waits on (emit_answered)
        self._commands: dict[str, CommandHandler] = {}
        self._running_commands: set[str] = set()
        self.center_online = False
        self._leaving = False
        self.center_listeners: list[Callable[[bool], None]] = []
        self._pump_wake = threading.Event()
        self._pump_thread: threading.Thread | None = None
        self._sync_wake = threading.Event()
        self._sync_thread: threading.Thread | None = None
        self.clock_sample: OffsetSample | None = None
        self.sync_period = sync_period or self.sync_period
        self.clock_listeners: list[Callable[[OffsetSample], None]] = []  # after every measurement
        self._cursor = 0
        self._generation = 0  # raised at every connect and return of the center: older pump turns stop
        self._inflight: dict[str, float] = {}
        self._inflight_lock = threading.Lock()
        t = self.topics
        self.subscribe(t.ctl_res(terminal), self._on_response)
        self.subscribe(t.ack(terminal), self._on_ack)
        self.subscribe(t.command(terminal, "+"), self._on_command, lane="commands")
        self.subscribe(t.center_status(), self._on_center_status)
        self.subscribe(t.status(terminal), self._on_own_status)
        self.add_connect_hook(self._announce)
        self.add_disconnect_hook(self._lost_center)

    # ---- birth, will, retained state -----------------------------------------------
    def prepare_connect(self) -> Properties:
        session = self.session.next()
        will = encode(Status(state="offline", session=session, ts=self.clock.time()))
        self.client.will_set(self.topics.status(self.terminal), will, qos=1, retain=True)
        return super().prepare_connect()

    def _announce(self) -> None:
        """After every connect: status, birth and each device state again (brokers lose retained)."""
        t = self.topics
        self.publish(t.status(self.terminal), Status(state="online", session=self.session.value,
                                                      ts=self.clock.time()), retain=True)
        self.rebirth()
        for device, state in list(self._device_states.items()):
            self.publish(t.dev_state(self.terminal, device), state, retain=True)
        self._pump_wake.set()

    def _ready(self) -> None:
        """Before the pump may send on a new connection, rewind it to the oldest unacked row:
        a row newer than one lost with the old connection must never reach the center first
        (a rating applied before the key that ended its service would rate the wrong one)."""
        self._rewind()
        super()._ready()

    def _rewind(self) -> None:
        with self._inflight_lock:
            self._inflight.clear()
            self._cursor = 0
            self._generation += 1

    def rebirth(self) -> None:
        self.publish(self.topics.birth(self.terminal), self._birth(self.session.value), retain=True)

    def before_disconnect(self) -> None:
        self._leaving = True
        info = self.publish(self.topics.status(self.terminal),
                            Status(state="offline", session=self.session.value, ts=self.clock.time()),
                            retain=True)
        info.wait_for_publish(2)

    def _on_own_status(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        status = decode(Kind.STATUS, msg.payload, Status)
        if status.state == "offline" and self.connected and not self._leaving:
            # an old session's late will overwrote our retained status: correct it
            self.publish(self.topics.status(self.terminal), Status(
                state="online", session=self.session.value, ts=self.clock.time()), retain=True)

    def set_device_state(self, device: str, state: DeviceStatePayload) -> None:
        """Retained, sent on change only; remembered for re-publishing after a reconnect."""
        if self._device_states.get(device) == state:
            return
        self._device_states[device] = state
        if self.connected:
            self.publish(self.topics.dev_state(self.terminal, device), state, retain=True)

    def telemetry(self, device: str, values: dict[str, Any], expiry: int = 60) -> None:
        """QoS 0, never retained, expires: stale telemetry is worthless."""
        if self.connected:
            self.publish(self.topics.dev_tele(self.terminal, device), Telemetry(ts=self.clock.time(), values=values),
                         qos=0, properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=expiry))

    # ---- the center's presence --------------------------------------------------------
    def _on_center_status(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        self._set_center(decode(Kind.CENTER_STATUS, msg.payload, Status).state == "online")

    def _lost_center(self) -> None:
        self._set_center(False)
        for fut in list(self._pending.values()):
            fut.set_exception(CenterUnreachable("connection to the broker lost"))
        self._pending.clear()

    def _set_center(self, online: bool) -> None:
        if online != self.center_online:
            self.center_online = online
            if online:  # a center that came back may have lost what it had not applied: resend
                self._rewind()
                self._sync_wake.set()  # and its clock may be another: measure again
            self._pump_wake.set()
            for listener in self.center_listeners:
                try:
                    listener(online)
                except Exception:
                    log.exception("center listener failed")

    @property
    def center_reachable(self) -> bool:
        return self.connected and self.center_online

    # ---- requests ----------------------------------------------------------------------
    def request(self, op: str, args: dict[str, Any] | None = None, timeout: float | None = None,
                answer: type[BaseModel] | None = None) -> dict[str, Any]:
        """Ask the center; raises CenterUnreachable at once when it cannot be reached. With
        `answer`, the result is checked against the shape the center promised for the op."""
        if not self.center_reachable:
            raise CenterUnreachable("the hall control center is not reachable")
        corr = uuid.uuid4().bytes
        fut: Future[Response] = Future()
        self._pending[corr] = fut
        properties = props(PacketTypes.PUBLISH, ResponseTopic=self.topics.ctl_res(self.terminal),
                           CorrelationData=corr)
        try:
            self.publish(self.topics.request(self.terminal, op), Request(args=args or {}, ts=self.clock.time()),
                         properties=properties)
            response = fut.result(timeout or self.settings.request_timeout)
        except FutureTimeout:
            self.stats["request_timeouts"] += 1
            raise RequestTimeout(f"no answer to {op} within {timeout or self.settings.request_timeout}s") from None
        finally:
            self._pending.pop(corr, None)
        if not response.ok:
            err = response.error or ErrorInfo(type="Unknown", message="")
            raise RequestFailed(err.type, err.message, err.values)
        if answer is None:
            return response.result or {}
        try:
            return answer.model_validate(response.result or {}).model_dump(mode="json")
        except ValidationError as exc:
            raise ContractError(f"{op}: the center's answer does not fit {answer.__name__} "
                                f"({exc.error_count()} fields)") from None

    def _on_response(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        corr = getattr(msg.properties, "CorrelationData", None)
        response = decode(Kind.CTL_RES, msg.payload, Response)
        fut = self._pending.get(corr) if corr else None
        if fut is None:
            self.stats["late_responses"] += 1
            return
        if not fut.done():
            fut.set_result(response)

    # ---- commands ------------------------------------------------------------------------
    def on_command(self, name: str, handler: CommandHandler) -> None:
        self._commands[name] = handler

    def _on_command(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        command = decode(Kind.COMMAND, msg.payload, Command)
        # What the broker left of its expiry (it counts down while the command waits there),
        # counted from its arrival here, on this terminal's monotonic clock: never a timestamp.
        left = getattr(msg.properties, "MessageExpiryInterval", None)
        budget = min(command.ttl, left) if left else command.ttl
        waited = self.clock.monotonic() - msg.timestamp
        if waited > budget:
            self.stats["commands_expired"] += 1
            log.warning("command expired", extra={"command": topic.name, "command_id": command.command_id,
                                                  "waited_s": round(waited, 1), "ttl_s": budget})
            self.publish(self.topics.term_res(self.terminal), CommandResult(  # the center is told
                command_id=command.command_id, name=topic.name, ok=False,
                error=ErrorInfo(type="CommandExpired", message=f"waited {waited:.1f} s of {budget:g} s")))
            return
        answered = self.outbox.answer_for(command.command_id)
        if answered is not None:
            self.stats["commands_repeated"] += 1
            self.publish(self.topics.term_res(self.terminal), answered)
            return
        if command.command_id in self._running_commands:
            return
        self._running_commands.add(command.command_id)
        try:
            result = self._run_command(topic.name, command)
            answer = encode(result)
            self.outbox.keep_answer(command.command_id, answer)
        finally:
            self._running_commands.discard(command.command_id)
        self.publish(self.topics.term_res(self.terminal), answer)

    def _run_command(self, name: str, command: Command) -> CommandResult:
        handler = self._commands.get(name)
        if handler is None:
            return CommandResult(command_id=command.command_id, name=name, ok=False,
                                 error=ErrorInfo(type="UnknownCommand", message=f"no command {name!r}"))
        shape = payloads.COMMANDS.get(name)
        try:  # a command of the contract reaches its handler only in its shape (else InvalidArgs)
            args = command.args if shape is None else \
                payloads.parse(shape, command.args).model_dump(mode="json", exclude_unset=True)
            return CommandResult(command_id=command.command_id, name=name, ok=True, result=handler(args) or {})
        except OneTripError as exc:
            return CommandResult(command_id=command.command_id, name=name, ok=False,
                                 error=ErrorInfo(type=type(exc).__name__, message=str(exc)))
        except Exception as exc:
            log.exception("command failed", extra={"command": name})
            return CommandResult(command_id=command.command_id, name=name, ok=False,
                                 error=ErrorInfo(type="InternalError", message=type(exc).__name__))

    # ---- events through the outbox ---------------------------------------------------------
    def emit(self, kind: str, data: dict[str, Any], event_id: str | None = None) -> str:
        """Commit the event to disk, then let the pump send it; returns its event_id."""
        refuse_id_numbers(json.dumps(data, ensure_ascii=False), f"event {kind}")
        row = self.outbox.emit(kind, data, event_id)
        self._pump_wake.set()
        return row.event_id

    def emit_answered(self, kind: str, data: dict[str, Any]) -> "Future[ErrorInfo | None]":
        """`emit`, and a future of the center's answer: None when applied, the reason when
        refused — for an event someone waits on (a citizen's rating at the kiosk). The event is
        on disk either way; a future that never completes means it is still on its way."""
        event_id = uuid.uuid4().hex
        answer: Future[ErrorInfo | None] = Future()
        self._answers[event_id] = answer
        try:
            self.emit(kind, data, event_id)
        except BaseException:
            self._answers.pop(event_id, None)
            raise
        return answer

    def _on_ack(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        ack = decode(Kind.ACK, msg.payload, Ack)
        self.outbox.ack(ack.event_ids)
        with self._inflight_lock:
            for event_id in ack.event_ids:
                self._inflight.pop(event_id, None)
        for event_id in ack.event_ids:
            if error := ack.refused.get(event_id):
                log.warning("event refused by the center", extra={"event_id": event_id, "error": error.type})
            answer = self._answers.pop(event_id, None)
            if answer is not None and not answer.done():
                answer.set_result(error)
        self._pump_wake.set()

    def start(self) -> None:
        super().start()
        self._pump_thread = threading.Thread(target=self._pump, name="outbox-pump", daemon=True)
        self._pump_thread.start()
        self._sync_thread = threading.Thread(target=self._sync_loop, name="hall-time", daemon=True)
        self._sync_thread.start()

    # ---- hall time -------------------------------------------------------------------------------
    def measure_offset(self) -> OffsetSample | None:
        """One burst of `time` round trips; sets the hall clock's offset from the best one."""
        base, samples = self.hall_clock.base, []
        for _ in range(self.sync_burst):
            sent, started = base.time(), base.monotonic()
            try:
                answer = self.request("time", timeout=2.0)
            except (CenterUnreachable, RequestTimeout, RequestFailed):
                break
            samples.append(sample(sent, float(answer["hall_time"]), base.monotonic() - started))
        if not samples:
            return None
        self.clock_sample = chosen = best(samples)
        self.hall_clock.set_offset(chosen.offset)
        for listener in self.clock_listeners:
            listener(chosen)
        return chosen

    def _sync_loop(self) -> None:
        while not self._stop.is_set():
            if self.center_reachable:
                try:
                    self.measure_offset()
                except Exception:
                    log.exception("hall time measurement failed")
            self._sync_wake.wait(self.sync_period if self.hall_clock.synced else 1.0)
            self._sync_wake.clear()

    def _center_listening(self) -> bool:
        """A round trip to the center on this connection: proof that its subscriptions exist.

        A broker that restarted without its saved sessions drops events until the center has
        subscribed again; sending then would let newer events overtake the dropped ones."""
        try:
            self.request("ping", timeout=2.0)
        except RequestFailed:
            return True  # an older center without `ping` answered all the same
        except (CenterUnreachable, RequestTimeout):
            return False
        return True

    def _pump(self) -> None:
        """The single pump: in order, a bounded number in flight, only while connected and,
        after each connect, only once the center has answered on the new connection."""
        checked = -1
        while not self._stop.is_set():
            self._pump_wake.wait(1.0)
            self._pump_wake.clear()
            if not self.center_reachable:
                continue
            if checked != self._generation:
                generation = self._generation
                if not self._center_listening():
                    continue
                checked = generation
            now = self.clock.monotonic()
            with self._inflight_lock:
                if self._inflight and now - min(self._inflight.values()) > self.resend_after:
                    self.stats["outbox_resends"] += 1
                    self._inflight.clear()
                    self._cursor = 0
                room = self.inflight_max - len(self._inflight)
                cursor, generation = self._cursor, self._generation
            if room <= 0:
                continue
            for row in self.outbox.after(cursor, room):
                event = Event(event_id=row.event_id, seq=row.seq, ts=row.ts, data=row.data)
                with self._inflight_lock:
                    if generation != self._generation or not self.connected:
                        break  # the connection changed under this turn: start again from the rewind
                    self._inflight[row.event_id] = now
                    self._cursor = max(self._cursor, row.seq)
                self.publish(self.topics.event(self.terminal, row.kind), event)
                self.stats["events_sent"] += 1

    def stop(self, graceful: bool = True) -> None:
        super().stop(graceful)
        self._pump_wake.set()
        self._sync_wake.set()
        for thread in (self._pump_thread, self._sync_thread):
            if thread is not None:
                thread.join(3)
        self.outbox.close()

    def get_status(self) -> dict[str, Any]:
        return {"connected": self.connected, "center_online": self.center_online,
                "broker_silence_s": round(self.silence, 1), "session": self.session.value,
                "clock_synced": self.hall_clock.synced, "clock_offset_ms": round(self.hall_clock.offset * 1000, 1),
                "clock_rtt_ms": round(self.clock_sample.rtt * 1000, 2) if self.clock_sample else None,
                **self.outbox.get_status(), **{f"mqtt_{k}": v for k, v in self.stats.items()}}
