"""The paho-mqtt v5 client every OneTrip process uses, hardened for 7×24.

paho's own thread dies silently when a callback raises, publishes nothing while it
queues, and reconnects in lockstep. So this class runs paho's `loop()` on a thread of its
own (reconnect with exponential backoff plus jitter), wraps every callback, hands every
incoming message to a worker ("lane") so paho's thread never does slow work, and sets
TCP_NODELAY (88 ms → <1 ms per round trip on loopback, mqtt.md).
"""
from __future__ import annotations

import logging
import queue
import socket
import ssl
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from core.backoff import Backoff
from core.clock import SYSTEM_CLOCK, Clock
from core.config import MqttSettings
from core.errors import ProtocolError
from mqtt.contract import ContractError, Payload, Topic, Topics, encode

log = logging.getLogger("mqtt")

Message = paho.MQTTMessage  # what a handler is given: its users need not import paho
Handler = Callable[[Topic, Message], None]
# a lane's work: a handler and its message, or a hook (None); None alone stops the lane
LaneItem = tuple[Callable[..., None], paho.MQTTMessage | None] | None


@dataclass
class Subscription:
    pattern: str
    handler: Handler
    qos: int
    lane: str


def props(packet: int, **values: Any) -> Properties:
    p = Properties(packet)
    for key, value in values.items():
        setattr(p, key, value)
    return p


class Link:
    """One MQTT connection with a fixed identity; subclasses add the hall's roles."""

    backoff_min = 0.25
    backoff_max = 6.0  # with its jitter a client is back within 10 s of its broker
    session_expiry = 300  # seconds the broker keeps our subscriptions and queued QoS 1

    def __init__(self, settings: MqttSettings, client_id: str, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.settings = settings
        self.client_id = client_id
        self.clock = clock
        self.topics = Topics(settings.hall)
        self.stats: Counter[str] = Counter()
        self._subs: list[Subscription] = []
        self._lanes: dict[str, queue.SimpleQueue[LaneItem]] = {}
        self._lane_workers: dict[str, int] = {}
        self._lane_threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._last_heard = clock.monotonic()
        self._net_thread: threading.Thread | None = None
        self._session_ok = False
        self._subscribe_mid = -1
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._on_disconnect_hooks: list[Callable[[], None]] = []
        self.client = self._make_client()

    # ---- setup -----------------------------------------------------------------------
    def _make_client(self) -> paho.Client:
        c = paho.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                        protocol=paho.MQTTv5)
        s = self.settings
        if s.ca_file:
            c.tls_set(ca_certs=str(s.ca_file), certfile=str(s.cert_file) if s.cert_file else None,
                      keyfile=str(s.key_file) if s.key_file else None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        # Without loop_start() paho's publish() writes from the caller's thread: two publishers can
        # interleave partial packets (paho pops, half-sends, pushes back) and an SSL socket breaks
        # outright ("bad record mac"). Registering a write hook makes every write go through our
        # network thread, woken by paho's socket pair.
        c.on_socket_register_write = lambda *args: None
        if s.username:
            c.username_pw_set(s.username, s.password)
        c.on_socket_open = self._guard(self._socket_open)
        c.on_connect = self._guard(self._paho_connect)
        c.on_disconnect = self._guard(self._paho_disconnect)
        c.on_message = self._guard(self._paho_message)
        c.on_subscribe = self._guard(self._paho_subscribe)
        c.max_inflight_messages_set(100)
        c.max_queued_messages_set(0)
        return c

    def _guard(self, fn: Callable[..., None]) -> Callable[..., None]:
        """An exception in a paho callback would kill the network thread: log and count it."""
        def wrapped(*args: Any) -> None:
            try:
                fn(*args)
            except Exception:
                self.stats["callback_errors"] += 1
                log.exception("mqtt callback failed", extra={"client": self.client_id})
        return wrapped

    def subscribe(self, pattern: str, handler: Handler, qos: int = 1, lane: str = "main", workers: int = 1) -> None:
        """Register before `start()`; all subscriptions are made again after every connect. A
        lane's messages are handled in arrival order by one thread, or by `workers` threads at
        once where order between messages does not matter (requests: each waits for its answer)."""
        self._subs.append(Subscription(pattern, handler, qos, lane))
        self._lanes.setdefault(lane, queue.SimpleQueue())
        self._lane_workers[lane] = max(workers, self._lane_workers.get(lane, 1))

    def add_connect_hook(self, fn: Callable[[], None]) -> None:
        """Run (on a worker) after every successful connect: re-publish retained state."""
        self._on_connect_hooks.append(fn)

    def add_disconnect_hook(self, fn: Callable[[], None]) -> None:
        self._on_disconnect_hooks.append(fn)

    def prepare_connect(self) -> Properties:
        """Set the last will etc. before each connect; returns CONNECT properties."""
        return props(PacketTypes.CONNECT, SessionExpiryInterval=self.session_expiry)

    # ---- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._lanes.setdefault("main", queue.SimpleQueue())
        for lane, q in self._lanes.items():
            for _ in range(self._lane_workers.get(lane, 1)):
                t = threading.Thread(target=self._work, args=(q,), name=f"mqtt-{lane}", daemon=True)
                t.start()
                self._lane_threads.append(t)
        self._net_thread = threading.Thread(target=self._net, name="mqtt-net", daemon=True)
        self._net_thread.start()

    def stop(self, graceful: bool = True) -> None:
        """Graceful: publish what `before_disconnect` says, then a clean DISCONNECT."""
        if graceful and self._connected.is_set():
            try:
                self.before_disconnect()
            except Exception:
                log.exception("before_disconnect failed")
        self._stop.set()
        if self._net_thread is not None:
            self._net_thread.join(5)
        for lane, q in self._lanes.items():
            for _ in range(self._lane_workers.get(lane, 1)):
                q.put(None)
        for t in self._lane_threads:
            t.join(2)
        self._lane_threads.clear()

    def before_disconnect(self) -> None:
        """Subclasses publish their retained `offline` here (a clean exit fires no will)."""

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def silence(self) -> float:
        """Seconds since the broker last sent us anything (message or CONNACK)."""
        return self.clock.monotonic() - self._last_heard

    @property
    def network_alive(self) -> bool:
        return self._net_thread is not None and self._net_thread.is_alive()

    # ---- publishing ------------------------------------------------------------------
    def publish(self, topic: str, payload: Payload | bytes, qos: int = 1, retain: bool = False,
                properties: Properties | None = None) -> paho.MQTTMessageInfo:
        data = payload if isinstance(payload, bytes) else encode(payload)
        info = self.client.publish(topic, data, qos=qos, retain=retain, properties=properties)
        self.stats["published"] += 1
        return info

    # ---- the network thread ----------------------------------------------------------
    def _socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        raw = getattr(sock, "_sock", sock)  # paho wraps TLS sockets
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (OSError, AttributeError):
            pass

    def _net(self) -> None:
        backoff = Backoff(self.backoff_min, self.backoff_max)
        while not self._stop.is_set():
            try:
                properties = self.prepare_connect()
                self.client.connect(self.settings.host, self.settings.port,
                                    keepalive=self.settings.keepalive,
                                    clean_start=False, properties=properties)
            except (OSError, ssl.SSLError, ValueError) as exc:
                self.stats["connect_failures"] += 1
                log.warning("broker unreachable", extra={"client": self.client_id, "error": str(exc)[:80]})
                self._stop.wait(backoff.next())
                continue
            while not self._stop.is_set():
                rc = self.client.loop(timeout=0.5)
                if rc != paho.MQTT_ERR_SUCCESS:
                    break
            if self._stop.is_set():
                self.client.disconnect()
                self.client.loop(timeout=0.2)
                break
            self._set_disconnected()
            if self._session_ok:  # this connection was accepted: start the backoff afresh
                self._session_ok = False
                backoff.reset()
            self._stop.wait(backoff.next())
        self._set_disconnected()

    def _paho_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._last_heard = self.clock.monotonic()
        if reason.is_failure:
            self.stats["connack_refused"] += 1
            log.error("broker refused connection", extra={"client": self.client_id, "reason": str(reason)})
            return
        self.stats["connects"] += 1
        self._session_ok = True
        wanted: dict[str, int] = {}
        for s in self._subs:
            wanted[s.pattern] = max(s.qos, wanted.get(s.pattern, 0))
        if not wanted:
            self._ready()
            return
        # "connected" means ready to receive: only once the broker has granted every subscription
        _, mid = client.subscribe([(p, SubscribeOptions(qos=q)) for p, q in wanted.items()])
        self._subscribe_mid = -1 if mid is None else mid

    def _paho_subscribe(self, client: paho.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        if mid != self._subscribe_mid:
            return
        refused = [r for r in reasons if r.is_failure]
        if refused:
            self.stats["subscriptions_refused"] += len(refused)
            log.error("broker refused subscriptions", extra={"client": self.client_id, "count": len(refused)})
        self._ready()

    def _ready(self) -> None:
        self._connected.set()
        log.info("connected", extra={"client": self.client_id,
                                     "broker": f"{self.settings.host}:{self.settings.port}"})
        for hook in self._on_connect_hooks:
            self._lanes["main"].put((lambda h=hook: h(), None))

    def _paho_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._set_disconnected()

    def _set_disconnected(self) -> None:
        if self._connected.is_set():
            self._connected.clear()
            self.stats["disconnects"] += 1
            # a shutdown we asked for is news, not a warning
            (log.info if self._stop.is_set() else log.warning)("disconnected", extra={"client": self.client_id})
            for hook in self._on_disconnect_hooks:
                self._lanes["main"].put((lambda h=hook: h(), None))

    def _paho_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        self._last_heard = msg.timestamp = self.clock.monotonic()  # receipt, on this link's clock
        self.stats["received"] += 1
        for s in self._subs:
            if paho.topic_matches_sub(s.pattern, msg.topic):
                self._lanes[s.lane].put((s.handler, msg))

    # ---- workers ---------------------------------------------------------------------
    def _work(self, q: queue.SimpleQueue[LaneItem]) -> None:
        while True:
            item = q.get()
            if item is None:
                return
            handler, msg = item
            try:
                if msg is None:
                    handler()
                else:
                    handler(self.topics.parse(msg.topic), msg)
            except (ContractError, ProtocolError) as exc:
                self.stats["rejected"] += 1
                log.warning("message rejected", extra={"client": self.client_id,
                                                       "topic": msg.topic if msg else "", "error": str(exc)})
            except Exception:
                self.stats["handler_errors"] += 1
                log.exception("handler failed", extra={"client": self.client_id,
                                                       "topic": msg.topic if msg else ""})
