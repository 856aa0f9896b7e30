"""The center's MQTT service against a real broker: requests, events, calls, terminals."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import paho.mqtt.client as paho
import pytest

from mqtt.contract import Birth, DeviceStatePayload, Event, Kind, Topics, decode, encode
from mqtt.payloads import hall_data
from mqtt.terminal import RequestFailed, TerminalLink
from tests.center_fixtures import hall_clock, service, take_printed, terminal  # noqa: F401  (fixtures)
from tests.conftest import wait_until


@pytest.fixture
def listener(mqtt_settings) -> Iterator[Callable[..., tuple[paho.Client, list[dict]]]]:
    """A bare paho client on the hall's topics; `listener(channel)` collects what it hears."""
    clients: list[paho.Client] = []

    def listen(channel: str | None = None) -> tuple[paho.Client, list[dict]]:
        heard: list[dict] = []
        c = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        c.on_message = lambda cl, u, m: heard.append(decode(Kind.HALL, m.payload).data)
        c.connect(mqtt_settings.host, mqtt_settings.port)
        clients.append(c)
        if channel is not None:
            c.subscribe(Topics(mqtt_settings.hall).hall_channel(channel), qos=1)
        c.loop_start()
        return c, heard

    yield listen
    for c in clients:
        c.disconnect()
        c.loop_stop()


def test_kiosks_taking_numbers_at_once_get_distinct_numbers(service, terminal) -> None:
    kiosks = [terminal(f"kiosk-{i}") for i in range(3)]
    numbers: list[str] = []
    lock = threading.Lock()

    def take(link: TerminalLink) -> None:
        for _ in range(10):
            answer = link.request("take_number", {"category": "A", "channel": "kiosk"})
            with lock:
                numbers.append(answer["number"])

    threads = [threading.Thread(target=take, args=(k,)) for k in kiosks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"A{i:03d}" for i in range(1, 31)]
    first = kiosks[0].request("take_number", {"category": "B", "item_code": "B01"})
    assert first["category_name"] == "社保医保" and first["ahead"] == 0
    assert first["wait_min"] is None and first["wait_max"] is None  # no window open yet: no made-up estimate
    service.desk.sign_in("3", "staff-003")
    second = kiosks[0].request("take_number", {"category": "B"})
    assert 0 <= second["wait_min"] <= second["wait_max"]
    with_item = kiosks[0].request("take_number", {"category": "A", "item_code": "A01"})
    assert with_item["materials"] and with_item["service"] != "不动产登记"
    try:
        kiosks[0].request("take_number", {"category": "Z"})
    except RequestFailed as exc:
        assert exc.type == "UnknownCategory"
    else:
        raise AssertionError("category Z was accepted")


def test_a_caller_key_call_is_announced_everywhere_at_once(service, terminal, listener) -> None:
    bus = terminal("bus-01")
    shown: list[dict] = []
    bus.on_command("display", lambda args: shown.append(args) or {})
    _, calls = listener("calls")
    hub = service.hub.subscribe()
    service.desk.sign_in("1", "staff-007")
    ticket = take_printed(service, "kiosk-01", {"category": "A"})
    bus.emit("caller_key", {"window": 1, "key": "call", "digit": None})
    wait_until(lambda: calls and shown)
    assert calls[0]["number"] == ticket["number"] and calls[0]["window"] == "1"
    assert shown[0] == {"window": 1, "number": ticket["number"], "waiting": 0}
    kinds = []
    while not hub.empty():
        kinds.append(hub.get_nowait()["kind"])
    assert "call" in kinds
    # the next "call" key ends the service in progress, then calls again (nobody waits: refused, acked)
    bus.emit("caller_key", {"window": 1, "key": "call", "digit": None})
    wait_until(lambda: bus.outbox.depth() == 0)
    assert service.engine.ticket(int(ticket["ticket_id"])).state.value == "done"


def test_pad_rating_is_applied_once_and_a_bad_one_opens_a_follow_up(service, mqtt_settings, listener) -> None:
    service.desk.sign_in("2", "staff-008")
    take_printed(service, "kiosk-01", {"category": "B"})
    service.desk.call_next("2")
    service.desk.start("2")
    service.desk.finish("2", create_case=True)
    c, _ = listener()
    event = encode(Event(event_id="pad-rating-0001", seq=1, ts=1.0, data={"window": 2, "level": 1, "channel": "pad"}))
    for _ in range(3):
        c.publish(Topics(mqtt_settings.hall).event("bus-01", "rating"), event, qos=1).wait_for_publish(2)
    wait_until(lambda: service.link.stats["events_applied"] + service.link.stats["events_duplicate"] == 3)
    assert service.link.stats["events_applied"] == 1
    follow_ups = service.engine.open_follow_ups()
    assert len(follow_ups) == 1
    assert any(a.kind == "bad_rating" for a in service.engine.list_alerts())


def test_cancelled_ticket_and_unknown_events_are_acknowledged(service, terminal) -> None:
    kiosk = terminal("kiosk-05")
    ticket = kiosk.request("take_number", {"category": "A"})
    kiosk.emit("ticket_cancelled", {"ticket_ref": ticket["ticket_ref"], "number": ticket["number"],
                                    "reason": "print_failed"})
    kiosk.emit("mystery", {"x": 1})
    wait_until(lambda: kiosk.outbox.depth() == 0)
    assert service.engine.ticket(int(ticket["ticket_id"])).state.value == "cancelled"
    assert service.link.stats["events_refused"] == 1


def test_device_states_become_alerts_and_clear(service, terminal) -> None:
    kiosk = terminal("kiosk-06", birth=lambda s: Birth(session=s, role="kiosk",
                                                       devices=[{"name": "printer", "family": "printer"}]))
    kiosk.set_device_state("printer", DeviceStatePayload(state="offline", reason="paper_out"))
    wait_until(lambda: any(a.kind == "paper_out" for a in service.engine.list_alerts()))
    kiosk.set_device_state("printer", DeviceStatePayload(state="online"))
    wait_until(lambda: not any(a.kind == "paper_out" for a in service.engine.list_alerts()))
    kiosk.emit("help_requested", {"location": "一楼自助区", "topic": "不会操作"})
    wait_until(lambda: any(a.kind == "help_requested" for a in service.engine.list_alerts()))
    kiosk.stop()  # the terminal goes away: its device states turn stale and raise an alert
    wait_until(lambda: not service.link.terminals["kiosk-06"].online)
    summary = service.availability.terminal_summary(service.link.terminals["kiosk-06"])
    assert summary["devices"]["printer"]["stale"] and not summary["online"]
    wait_until(lambda: any(a.kind == "device_offline" and a.key == "kiosk-06/printer"
                           for a in service.engine.list_alerts()))


def test_catalog_is_published_retained_for_terminals(service, listener) -> None:
    _, got = listener("catalog")
    wait_until(lambda: got)
    assert got[0]["hash"] == service.catalog.hash and len(got[0]["items"]) >= 40


def test_the_hall_queue_and_calls_go_out_in_their_shapes(service, terminal, listener) -> None:
    """hall/queue and hall/calls as the center publishes them fit payloads.HALL (else the
    center would log a ContractError and the boards would go stale)."""
    _, queues = listener("queue")
    _, calls = listener("calls")
    service.desk.sign_in("1", "s001")
    take_printed(service, "kiosk-01", {"category": "A", "priority": "elderly"})
    service.desk.call_next("1")
    wait_until(lambda: calls and any(w["ticket_number"] == "A001" for q in queues for w in q["windows"]))
    assert hall_data("calls", calls[-1])["number"] == "A001"
    for queue in map(lambda q: hall_data("queue", q), queues):
        assert {c["category"] for c in queue["categories"]} >= {"A", "B"}


def test_a_life_event_ticket_carries_its_merged_list(service) -> None:
    event = service.catalog.life_events[0]
    answer = take_printed(service, "kiosk-01", {"category": event.category, "item_code": event.code})
    assert answer["service"] == event.name
    assert [m["name"] for m in answer["materials"]] == [m.name for m in service.catalog.merge(event.code).materials]
