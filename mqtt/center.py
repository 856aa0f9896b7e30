"""The center's side of the hall link: terminals' presence, requests, events, commands.

The center takes a terminal's identity from the topic, never from the payload. Events are
applied through an `EventApplier`, which must apply each `event_id` once (in the same
transaction as its effect); only after that does the center send the ack that lets the
terminal delete its outbox row.
"""
from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import paho.mqtt.client as paho
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel

from core.clock import SYSTEM_CLOCK, Clock
from core.config import MqttSettings
from core.errors import OneTripError, RequestTimeout
from mqtt import payloads
from mqtt.client import Link, props
from mqtt.contract import (
    Ack,
    Birth,
    Command,
    CommandResult,
    DeviceStatePayload,
    ErrorInfo,
    Event,
    HallMessage,
    Kind,
    Request,
    Response,
    Status,
    Telemetry,
    Topic,
    decode,
)

log = logging.getLogger("mqtt.center")

RequestHandler = Callable[[str, dict[str, Any]], dict[str, Any]]


class EventApplier(Protocol):
    def apply(self, terminal: str, kind: str, event: Event) -> bool:
        """Apply once; True if applied now, False if this event_id was applied before."""

    def refuse(self, terminal: str, kind: str, event: Event, error: ErrorInfo) -> None:
        """Keep a refused event (for staff to see); raises if it cannot be kept."""


@dataclass
class TerminalView:
    """What the center knows of one terminal; device states go stale while it is offline."""

    terminal: str
    online: bool = False
    session: int = 0
    since: float = 0.0
    birth: Birth | None = None
    devices: dict[str, DeviceStatePayload] = field(default_factory=dict)
    telemetry: dict[str, Telemetry] = field(default_factory=dict)
    heard: dict[str, float] = field(default_factory=dict)  # center time each device's telemetry arrived
    last_seq: int = 0

    @property
    def stale(self) -> bool:
        return not self.online


class CenterLink(Link):
    session_expiry = 3600
    request_workers = 4

    def __init__(self, settings: MqttSettings, applier: EventApplier, *, client_id: str = "center",
                 clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(settings, client_id, clock=clock)
        self.applier = applier
        self.terminals: dict[str, TerminalView] = {}
        self._lock = threading.Lock()
        self._requests: dict[str, tuple[RequestHandler, type[BaseModel] | None]] = {}
        self._awaiting: dict[str, Future[CommandResult]] = {}
        self.listeners: list[Callable[[str, TerminalView], None]] = []
        t = self.topics
        # Requests at once (a kiosk waits for its answer): concurrent numbers share a commit (center/db.py).
        self.subscribe(t.all_terminals("req/+"), self._on_request, lane="requests", workers=self.request_workers)
        self.subscribe(t.all_terminals("evt/+"), self._on_event, lane="events")
        self.subscribe(t.all_terminals("status"), self._on_status)
        self.subscribe(t.all_terminals("birth"), self._on_birth)
        self.subscribe(t.all_terminals("dev/+/state"), self._on_device_state)
        self.subscribe(t.all_terminals("dev/+/tele"), self._on_telemetry, qos=0, lane="telemetry")
        self.subscribe(t.all_terminals("res"), self._on_command_result)
        self.add_connect_hook(self._announce)
        self.on_request("ping", lambda terminal, args: {})  # terminals check the center hears them
        self.on_request("time", lambda terminal, args: {"hall_time": self.clock.time()})  # hall time

    def prepare_connect(self) -> Properties:
        will = Status(state="offline", session=0, ts=self.clock.time()).model_dump_json().encode()
        self.client.will_set(self.topics.center_status(), will, qos=1, retain=True)
        return super().prepare_connect()

    def _announce(self) -> None:
        self.publish(self.topics.center_status(), Status(state="online", session=0, ts=self.clock.time()),
                     retain=True)

    def before_disconnect(self) -> None:
        self.publish(self.topics.center_status(), Status(state="offline", session=0, ts=self.clock.time()),
                     retain=True).wait_for_publish(2)

    # ---- terminals' presence --------------------------------------------------------------
    def view(self, terminal: str) -> TerminalView:
        with self._lock:
            return self.terminals.setdefault(terminal, TerminalView(terminal))

    def _changed(self, view: TerminalView) -> None:
        for listener in self.listeners:
            try:
                listener(view.terminal, view)
            except Exception:
                log.exception("terminal listener failed")

    def _on_status(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        if not msg.payload:
            return  # a cleared retained message
        status = decode(Kind.STATUS, msg.payload, Status)
        view = self.view(topic.terminal)
        if status.session < view.session:  # an old session's late will: the newer birth stands
            self.stats["stale_status_ignored"] += 1
            return
        view.online, view.session, view.since = status.state == "online", status.session, status.ts
        self._changed(view)

    def _on_birth(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        if not msg.payload:
            return
        view = self.view(topic.terminal)
        view.birth = decode(Kind.BIRTH, msg.payload, Birth)
        self._changed(view)

    def _on_device_state(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        if not msg.payload:
            return
        view = self.view(topic.terminal)
        view.devices[topic.name] = decode(Kind.DEV_STATE, msg.payload, DeviceStatePayload)
        self._changed(view)

    def _on_telemetry(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        view = self.view(topic.terminal)
        view.telemetry[topic.name] = decode(Kind.DEV_TELE, msg.payload, Telemetry)
        view.heard[topic.name] = self.clock.time()  # ages are counted on the center's clock, never the terminal's
        self.stats["telemetry"] += 1

    # ---- requests ------------------------------------------------------------------------------
    def on_request(self, op: str, handler: RequestHandler, answer: type[BaseModel] | None = None) -> None:
        """`handler(terminal, args) -> result`; a OneTripError becomes a typed error response.
        With `answer`, the result is checked against that shape before it leaves: a center
        whose answer lost or renamed a field fails here, not on a kiosk's paper."""
        self._requests[op] = (handler, answer)

    def _on_request(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        corr = getattr(msg.properties, "CorrelationData", None)
        reply_to = self.topics.ctl_res(topic.terminal)  # computed here, never taken from the request
        try:
            request = decode(Kind.REQUEST, msg.payload, Request)
            handler, answer = self._requests.get(topic.name, (None, None))
            if handler is None:
                response = Response(ok=False, error=ErrorInfo(type="UnknownOp", message=f"no op {topic.name!r}"))
            else:
                result = handler(topic.terminal, request.args)
                if answer is not None:
                    result = answer.model_validate(result).model_dump(mode="json")
                response = Response(ok=True, result=result)
        except OneTripError as exc:
            response = Response(ok=False, error=ErrorInfo(type=type(exc).__name__, message=str(exc),
                                                          values=getattr(exc, "values", {})))
        except Exception as exc:
            log.exception("request failed", extra={"op": topic.name, "terminal": topic.terminal})
            response = Response(ok=False, error=ErrorInfo(type="InternalError", message=type(exc).__name__))
        with self._lock:  # several request workers
            self.stats["requests"] += 1
        self.publish(reply_to, response,
                     properties=props(PacketTypes.PUBLISH, CorrelationData=corr) if corr else None)

    # ---- events ----------------------------------------------------------------------------------
    def _on_event(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        """Every event is answered: applied, or refused with a typed reason the ack carries.
        Only an event the center could neither apply nor keep as refused (its database is
        down) goes unacknowledged, so the terminal sends it again and nothing is lost."""
        event = decode(Kind.EVENT, msg.payload, Event)
        refused: dict[str, ErrorInfo] = {}
        try:
            applied = self.applier.apply(topic.terminal, topic.name, event)
            self.stats["events_applied" if applied else "events_duplicate"] += 1
        except Exception as exc:
            if not isinstance(exc, OneTripError):  # a bug, not bad input: kept with the event for a fix
                log.exception("event failed", extra={"terminal": topic.terminal, "kind": topic.name})
            error = ErrorInfo(type=type(exc).__name__ if isinstance(exc, OneTripError) else "InternalError",
                              message=str(exc) if isinstance(exc, OneTripError) else type(exc).__name__)
            try:
                self.applier.refuse(topic.terminal, topic.name, event, error)
            except Exception:
                log.exception("refused event not kept: left unacknowledged", extra={"terminal": topic.terminal})
                return
            self.stats["events_refused"] += 1
            log.warning("event refused", extra={"terminal": topic.terminal, "kind": topic.name,
                                                "error": f"{error.type}: {error.message}"})
            refused[event.event_id] = error
        view = self.view(topic.terminal)
        view.last_seq = max(view.last_seq, event.seq)
        self.publish(self.topics.ack(topic.terminal), Ack(event_ids=[event.event_id], refused=refused))

    # ---- commands ---------------------------------------------------------------------------------
    def send_command(self, terminal: str, name: str, args: dict[str, Any] | None = None, *,
                     ttl: int = 30, command_id: str | None = None) -> str:
        """Publish a command (never retained, expiring); returns its id for `wait_result`. A
        command of the contract (`payloads.COMMANDS`) is checked first: InvalidArgs, nothing sent."""
        command_id = command_id or uuid.uuid4().hex
        shape = payloads.COMMANDS.get(name)
        if shape is not None:
            args = payloads.parse(shape, args or {}).model_dump(mode="json", exclude_unset=True)
        command = Command(command_id=command_id, args=args or {}, ttl=ttl)
        self.publish(self.topics.command(terminal, name), command, retain=False,
                     properties=props(PacketTypes.PUBLISH, MessageExpiryInterval=max(1, ttl)))
        return command_id

    def command(self, terminal: str, name: str, args: dict[str, Any] | None = None, *,
                timeout: float = 10.0, ttl: int = 30, command_id: str | None = None) -> CommandResult:
        command_id = command_id or uuid.uuid4().hex
        self._awaiting.setdefault(command_id, Future())  # only awaited commands: no future left behind
        self.send_command(terminal, name, args, ttl=ttl, command_id=command_id)
        try:
            return self._awaiting[command_id].result(timeout)
        except FutureTimeout:
            raise RequestTimeout(f"terminal {terminal} did not answer {name} within {timeout}s") from None
        finally:
            self._awaiting.pop(command_id, None)

    def _on_command_result(self, topic: Topic, msg: paho.MQTTMessage) -> None:
        result = decode(Kind.TERM_RES, msg.payload, CommandResult)
        fut = self._awaiting.get(result.command_id)
        if fut is not None and not fut.done():
            fut.set_result(result)

    # ---- hall channels -----------------------------------------------------------------------------
    def publish_hall(self, channel: str, data: dict[str, Any], *, retain: bool = False, qos: int = 1) -> None:
        """A hall channel of the contract (`payloads.HALL`) is published only in its shape: a
        screen never reads a field the center renamed."""
        if channel in payloads.HALL:
            data = payloads.hall_data(channel, data)
        self.publish(self.topics.hall_channel(channel), HallMessage(ts=self.clock.time(), data=data),
                     qos=qos, retain=retain)
