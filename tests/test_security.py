"""The secured broker profile against a real Mosquitto: TLS only, one certificate per
identity, the hall ACL, revocation, and the center taking identity from the topic.

Negative checks ("X never arrives") end with a marker the observer may read, published
after the forbidden messages were acknowledged by the broker: once the marker is in, any
forbidden message would already be in too.
"""
from __future__ import annotations

import json
import shutil
import signal
import ssl
import subprocess
import threading
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Iterator

import paho.mqtt.client as paho
import pytest
from paho.mqtt.reasoncodes import ReasonCode

from mqtt.center import CenterLink
from mqtt.contract import Birth, ContractError, DeviceStatePayload, Event, Kind, Status, Topics, decode, encode
from mqtt.pki import SecureHall, cert_path, issue, key_path, main, make_ca, revoke, valid_serials
from mqtt.terminal import TerminalLink
from tests.conftest import wait_until

HALL = "sec"
T = Topics(HALL)
A, B = "kiosk-a", "kiosk-b"
GRANTED_QOS1 = 1


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureHall]:
    secure = SecureHall(tmp_path_factory.mktemp("secure"), ["center", A, B, "dashboard", "kiosk-gone"], hall=HALL)
    revoke(secure.pki, "kiosk-gone")
    with secure.broker:
        yield secure


class Peer:
    """A raw paho v5 client: records its CONNACK (or refusal), SUBACKs, PUBACKs and deliveries."""

    def __init__(self, port: int, *, ca: Path | None, cert: Path | None = None, key: Path | None = None,
                 client_id: str = "", username: str | None = None) -> None:
        self.outcome: Future = Future()
        self.received: list[str] = []
        self._acks: dict[int, Future] = {}
        c = self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5,
                                      reconnect_on_failure=False)  # one peer, one connection attempt
        if ca:
            c.tls_set(ca_certs=str(ca), certfile=str(cert) if cert else None, keyfile=str(key) if key else None,
                      tls_version=ssl.PROTOCOL_TLS_CLIENT)
        if username:
            c.username_pw_set(username, "any password")
        c.on_connect = lambda cl, u, flags, rc, props: self._settle(rc)
        c.on_disconnect = lambda cl, u, flags, rc, props: self._settle(f"disconnected ({rc})")
        c.on_message = lambda cl, u, msg: self.received.append(msg.topic)
        c.on_subscribe = lambda cl, u, mid, rcs, props: self._ack(mid).set_result([r.value for r in rcs])
        c.on_publish = lambda cl, u, mid, rc, props: self._ack(mid).set_result(not rc.is_failure)
        try:
            c.connect("127.0.0.1", port, keepalive=10)
        except (OSError, ssl.SSLError) as exc:
            self._settle(f"refused ({type(exc).__name__})")
        else:
            c.loop_start()

    def _settle(self, outcome: Any) -> None:
        if not self.outcome.done():
            self.outcome.set_result(outcome)

    def _ack(self, mid: int) -> Future:
        return self._acks.setdefault(mid, Future())

    @property
    def accepted(self) -> bool:
        outcome = self.outcome.result(5)
        return isinstance(outcome, ReasonCode) and not outcome.is_failure

    def subscribe(self, pattern: str) -> list[int]:
        _, mid = self.client.subscribe(pattern, qos=1)
        return self._ack(mid).result(5)

    def publish(self, topic: str, payload: bytes = b"{}", retain: bool = False) -> bool:
        """QoS 1; whether the broker's PUBACK says it took the message (2.0.11: "Not authorized")."""
        return self._ack(self.client.publish(topic, payload, qos=1, retain=retain).mid).result(5)

    def received_before(self, marker: str) -> list[str]:
        wait_until(lambda: marker in self.received, timeout=5)
        return self.received[:self.received.index(marker)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def peers(hall: SecureHall) -> Iterator[Any]:
    made: list[Peer] = []

    def connect(name: str | None, **kw: Any) -> Peer:
        files = dict(cert=cert_path(hall.pki, name), key=key_path(hall.pki, name)) if name else {}
        peer = Peer(hall.broker.port, **{"ca": hall.pki / "ca.crt", "client_id": name or "", **files, **kw})
        made.append(peer)
        return peer

    yield connect
    for peer in made:
        peer.close()


# ---- who may connect ----------------------------------------------------------------------
def test_anonymous_and_certless_clients_are_refused(hall: SecureHall, peers) -> None:
    assert peers(A).accepted                                           # the control: a terminal's certificate
    assert not peers(None, ca=None).accepted                           # plain MQTT on the TLS port
    assert not peers(None).accepted                                    # TLS without a certificate
    assert not peers(None, username="center", client_id="center").accepted  # a password is no way in


def test_a_certificate_from_another_ca_is_refused(hall: SecureHall, peers, tmp_path: Path) -> None:
    make_ca(tmp_path / "rogue", "OneTrip hall CA")  # same name, different key
    forged = issue(tmp_path / "rogue", "center")
    assert not peers(None, cert=forged.cert, key=forged.key, client_id="center").accepted


def test_a_revoked_certificate_is_refused(peers) -> None:
    assert not peers("kiosk-gone").accepted


def test_revocation_reaches_new_connections_on_sighup_not_established_ones(hall: SecureHall, peers) -> None:
    """What Debian's 2.0.11 does: it rereads the CRL on SIGHUP (`systemctl reload`); a session
    already open is not cut — restarting the broker does that (docs/security.md)."""
    for name in ("kiosk-late", "kiosk-probe"):
        issue(hall.pki, name)
        revoke(hall.pki, name)
    established = peers("kiosk-late")
    assert established.accepted  # the broker has not reread the CRL yet
    hall.broker.proc.send_signal(signal.SIGHUP)
    # probe with another name: an accepted "kiosk-late" would take the established session over
    wait_until(lambda: not peers("kiosk-probe").accepted, timeout=5)
    assert not peers("kiosk-late").accepted
    assert established.client.is_connected()
    hall.broker.restart()
    wait_until(lambda: not established.client.is_connected(), timeout=5)
    assert not peers("kiosk-late").accepted


# ---- what a terminal may do ----------------------------------------------------------------
def test_a_terminal_cannot_publish_as_another(peers) -> None:
    center = peers("center")
    assert center.subscribe("onetrip/#") == [GRANTED_QOS1]
    # a certificate's name is its identity: neither a claimed client id nor a username changes it
    a = peers(A, client_id=B, username="center")
    forged = [T.event(B, "ticket_printed"), T.status(B), T.request(B, "take_number"), T.term_res(B),
              T.command(B, "print"), T.ack(B), T.center_status(), T.hall_channel("calls")]
    assert [a.publish(topic) for topic in forged] == [False] * len(forged)
    a.client.publish(T.event(B, "rating"), b"{}", qos=0)  # no PUBACK to refuse it: dropped silently
    marker = T.event(A, "marker")
    assert a.publish(marker)
    assert center.received_before(marker) == []


def test_a_terminal_cannot_publish_into_another_hall(peers) -> None:
    """One broker, two halls: kiosk-01 of hall `demo` is nobody in hall `otherhall`."""
    center, a = peers("center"), peers(A)
    other = Topics("otherhall")
    assert center.subscribe("onetrip/#") == [GRANTED_QOS1]
    assert [a.publish(topic) for topic in (other.event(A, "rating"), other.status(A), other.request(A, "take_number"))
            ] == [False] * 3
    marker = T.event(A, "marker")
    assert a.publish(marker)
    assert center.received_before(marker) == []


def test_a_claimed_client_id_does_not_take_over_anothers_session(peers) -> None:
    b = peers(B)
    assert b.accepted and b.subscribe(T.own_control(B)) == [GRANTED_QOS1]
    assert peers(A, client_id=B).accepted
    center = peers("center")
    assert center.publish(T.command(B, "beep"))
    wait_until(lambda: T.command(B, "beep") in b.received, timeout=5)
    assert b.client.is_connected()


def test_a_terminal_cannot_read_anothers_commands_responses_or_events(peers) -> None:
    """Mosquitto 2.0.11 grants a SUBACK for `#` and for another terminal's topics (QoS 1),
    then filters each delivery, retained ones included, through the ACL."""
    b, center = peers(B), peers("center")
    assert b.publish(T.status(B), encode(Status(state="online", session=1)), retain=True)
    try:
        a = peers(A)
        assert a.subscribe("#") == [GRANTED_QOS1]
        assert a.subscribe(T.own_control(B)) == [GRANTED_QOS1]
        assert a.subscribe(T.all_terminals("#")) == [GRANTED_QOS1]
        for topic in (T.event(B, "rating"), T.request(B, "take_number"), T.term_res(B), T.birth(B)):
            assert b.publish(topic)
        for topic in (T.command(B, "print"), T.ctl_res(B), T.ack(B), T.hall_channel("calls")):
            assert center.publish(topic)
        marker = T.command(A, "marker")
        assert center.publish(marker)
        got = a.received_before(marker)  # `#` delivers only what A may read
        assert T.hall_channel("calls") in got and [t for t in got if f"/{B}/" in t] == []
    finally:
        b.publish(T.status(B), b"", retain=True)


def test_the_dashboard_reads_presence_and_devices_but_no_business_traffic(peers) -> None:
    b, center, dashboard = peers(B), peers("center"), peers("dashboard")
    assert dashboard.subscribe("#") == [GRANTED_QOS1]
    readable = [T.status(B), T.birth(B), T.dev_state(B, "printer"), T.dev_tele(B, "printer")]
    for topic in readable + [T.event(B, "rating"), T.request(B, "take_number"), T.term_res(B)]:
        assert b.publish(topic)
    for topic in (T.command(B, "print"), T.ctl_res(B), T.ack(B), T.hall_channel("queue")):
        assert center.publish(topic)
    assert center.publish(T.center_status())
    got = dashboard.received_before(T.center_status())
    assert [t for t in got if f"/{B}/" in t or "/hall/" in t] == readable + [T.hall_channel("queue")]
    # read-only: not even posing as a terminal called "dashboard" (pattern lines apply to every user)
    for topic in (T.hall_channel("queue"), T.event("dashboard", "rating"), T.status("dashboard")):
        assert dashboard.publish(topic) is False


# ---- the hall link in this profile -----------------------------------------------------------
class Applied:
    """An EventApplier that records who the center says sent each event."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, Event]] = []
        self._lock = threading.Lock()

    def apply(self, terminal: str, kind: str, event: Event) -> bool:
        with self._lock:
            self.rows.append((terminal, kind, event))
        return True


@pytest.fixture
def links(hall: SecureHall, tmp_path: Path) -> Iterator[tuple[CenterLink, TerminalLink, Applied]]:
    """The project's own links, each with its certificate: the center and terminal A."""
    applied = Applied()
    center = CenterLink(hall.settings("center"), applied)
    center.on_request("take_number", lambda terminal, args: {"terminal": terminal, "claimed": args.get("terminal")})
    terminal = TerminalLink(hall.settings(A), A, tmp_path / A, birth=lambda session: Birth(session=session))
    center.start()
    terminal.start()
    try:
        assert center.wait_connected(5) and terminal.wait_connected(5)
        wait_until(lambda: terminal.center_reachable)
        yield center, terminal, applied
    finally:
        terminal.stop(graceful=False)
        center.stop()


def test_links_with_certificates_and_identity_from_the_topic(links) -> None:
    center, terminal, applied = links
    wait_until(lambda: center.terminals.get(A) and center.terminals[A].birth and center.terminals[A].online)
    terminal.set_device_state("printer", DeviceStatePayload(state="online"))
    wait_until(lambda: "printer" in center.terminals[A].devices)
    # a payload naming another terminal changes nothing: identity is the topic's
    assert terminal.request("take_number", {"terminal": B}) == {"terminal": A, "claimed": B}
    event_id = terminal.emit("ticket_printed", {"terminal": B, "number": "A001"})
    wait_until(lambda: terminal.outbox.depth() == 0)  # the center's ack reached ctl/kiosk-a/ack
    assert [(t, k, e.event_id) for t, k, e in applied.rows] == [(A, "ticket_printed", event_id)]
    # a payload with a top-level "terminal" field does not fit the contract at all
    sneaky = {"event_id": uuid.uuid4().hex, "seq": 99, "ts": 0.0, "data": {}, "terminal": B}
    terminal.publish(T.event(A, "rating"), json.dumps(sneaky).encode()).wait_for_publish(2)
    wait_until(lambda: center.stats["rejected"] >= 1)
    assert len(applied.rows) == 1
    # the terminal reads its own retained status: it corrects a stale `offline` at once
    changes: list[bool] = []
    center.listeners.append(lambda t, view: changes.append(view.online))
    terminal.publish(T.status(A), Status(state="offline", session=terminal.session.value), retain=True)
    wait_until(lambda: False in changes and changes[-1])
    assert center.stats["subscriptions_refused"] == terminal.stats["subscriptions_refused"] == 0


def test_the_link_survives_concurrent_publishing_over_tls(links) -> None:
    """Requests from several threads while the outbox pump sends events: every publish must
    go through the network thread, or the TLS stream breaks ("bad record mac")."""
    center, terminal, applied = links
    answers: list[dict] = []

    def ask() -> None:
        for _ in range(40):
            answers.append(terminal.request("take_number", {}))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(40):
        terminal.emit("key", {"n": i})
    for t in threads:
        t.join()
    wait_until(lambda: terminal.outbox.depth() == 0)
    assert answers == [{"terminal": A, "claimed": None}] * 160 and len(applied.rows) == 40
    assert terminal.stats["disconnects"] == center.stats["disconnects"] == 0


def test_a_payload_claiming_a_terminal_is_a_contract_error() -> None:
    body = b'{"event_id": "0123456789abcdef", "seq": 1, "ts": 0, "data": {}, "terminal": "kiosk-b"}'
    with pytest.raises(ContractError, match="terminal: extra_forbidden"):
        decode(Kind.EVENT, body)
    with pytest.raises(ContractError, match="terminal: extra_forbidden"):
        decode(Kind.REQUEST, b'{"args": {}, "terminal": "kiosk-b"}')


# ---- the CA itself -----------------------------------------------------------------------------
def test_rotation_retires_the_old_certificate_and_keeps_the_new(hall: SecureHall, peers, tmp_path: Path) -> None:
    old = issue(hall.pki, "kiosk-rot")
    old_cert, old_key = shutil.copy(old.cert, tmp_path / "old.crt"), shutil.copy(old.key, tmp_path / "old.key")
    new = issue(hall.pki, "kiosk-rot")  # the terminal installs this one, then the old one is retired
    assert valid_serials(hall.pki, "kiosk-rot") == [old.serial, new.serial]
    assert revoke(hall.pki, "kiosk-rot", keep_current=True) == [old.serial]
    hall.broker.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: not peers(None, cert=old_cert, key=old_key, client_id="kiosk-rot").accepted, timeout=5)
    assert peers("kiosk-rot").accepted
    assert oct(new.key.stat().st_mode & 0o777) == "0o600" and oct(new.cert.stat().st_mode & 0o777) == "0o644"
    assert revoke(hall.pki, "kiosk-rot") == [new.serial] and valid_serials(hall.pki, "kiosk-rot") == []


def test_the_command_line_runs_the_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ca = tmp_path / "ca"
    assert main(["init", str(ca)]) == 0
    assert main(["init", str(ca)]) == 1 and "already exists" in capsys.readouterr().err  # never overwritten
    assert main(["issue", str(ca), "kiosk-07"]) == 0
    assert main(["issue", str(ca), "kiosk/07"]) == 1 and "not a valid terminal id" in capsys.readouterr().err
    assert main(["issue", str(ca), "broker", "--server", "--host", "10.0.0.5", "--host", "mqtt.hall"]) == 0
    san = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName,extendedKeyUsage", "-in",
                          str(cert_path(ca, "broker"))], capture_output=True, text=True, check=True).stdout
    assert "IP Address:10.0.0.5, DNS:mqtt.hall" in san and "TLS Web Server Authentication" in san
    capsys.readouterr()
    assert main(["revoke", str(ca), "kiosk-07"]) == 0 and "revoked 1000" in capsys.readouterr().out
    assert valid_serials(ca, "kiosk-07") == [] and valid_serials(ca, "broker") == ["1001"]
