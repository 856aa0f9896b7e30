"""A real CenterService on a real broker, with a clock set inside the hall's issuing hours."""
from __future__ import annotations

import itertools
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from center.service import CenterService
from core.clock import FakeClock
from hallrig.center_setup import MONDAY_10AM, center_config
from mqtt.contract import Event
from mqtt.terminal import TerminalLink
from tests.conftest import wait_until

_SEQ = itertools.count(1)


def printed(service: CenterService, terminal: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The kiosk's daemon once its printer cut the ticket (daemon/kiosk_ops.py): its
    `ticket_printed` event, applied as the link applies it. Only then is the ticket callable."""
    event = Event(event_id=uuid.uuid4().hex, seq=next(_SEQ), ts=service.clock.time(),
                  data={"ticket_ref": answer["ticket_ref"], "number": answer["number"]})
    service.events.apply(terminal, "ticket_printed", event)
    return answer


def printed_over(link: TerminalLink, service: CenterService, answer: dict[str, Any]) -> dict[str, Any]:
    """The same through the kiosk's link (its outbox, the broker, the center's event lane),
    waited for until the center has applied it."""
    link.emit("ticket_printed", {"ticket_ref": answer["ticket_ref"], "number": answer["number"]})
    wait_until(lambda: any(t.action == "printed" for t in service.engine.history(int(answer["ticket_id"]))), 10)
    return answer


def take_printed(service: CenterService, terminal: str, args: dict[str, Any]) -> dict[str, Any]:
    """A kiosk's whole take_number: the center's answer, then the print confirmed."""
    return printed(service, terminal, service.requests.take_number(terminal, args))


@pytest.fixture
def hall_clock() -> FakeClock:
    clock = FakeClock()
    clock.set(MONDAY_10AM)
    return clock


@pytest.fixture
def service(tmp_path: Path, mqtt_settings, hall_clock: FakeClock) -> Iterator[CenterService]:
    svc = CenterService(center_config(tmp_path, mqtt_settings), clock=hall_clock)
    svc.start()
    assert svc.link.wait_connected(5)
    yield svc
    svc.stop()


@pytest.fixture
def terminal(mqtt_settings, tmp_path: Path) -> Iterator[Callable[..., TerminalLink]]:
    """Start a terminal link that sees the center; every one is stopped at teardown, pass or fail."""
    links: list[TerminalLink] = []

    def start(name: str, **kw) -> TerminalLink:
        link = TerminalLink(mqtt_settings, name, tmp_path / name, **kw)
        links.append(link)
        link.start()
        wait_until(lambda: link.center_reachable)
        return link

    yield start
    for link in links:
        link.stop()
