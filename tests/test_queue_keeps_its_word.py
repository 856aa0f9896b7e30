"""Issue 13, findings 1–7, seen from outside: terminals on a real broker sending what a kiosk,
a rating pad or a stranger on the LAN might send, and the window desk the console drives.

Every event gets an answer (applied, or refused with a typed reason the ack carries, and kept
for the control room); every hall rule is enforced at the center's border.
"""
from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from center import screens
from center.db import cases
from center.queue_errors import NotHeldHere, UnknownItem
from center.service import CenterService
from core.errors import OneTripError
from daemon.kiosk_ops import KioskOps
from mqtt.contract import ErrorInfo, Event
from mqtt.payloads import EVENTS, REQUESTS
from mqtt.terminal import RequestFailed, TerminalLink
from tests.center_fixtures import hall_clock, printed_over, service, take_printed, terminal  # noqa: F401  (fixtures)

CASE_KEY = "0123456789abcdef0123456789abcdef"


def answer(link: TerminalLink, kind: str, data: dict) -> ErrorInfo | None:
    """The center's answer to one event: None when applied, else its refusal."""
    return link.emit_answered(kind, data).result(10)


def serve(service: CenterService, window: str, category: str = "A", **finish) -> dict:
    ticket = take_printed(service, "kiosk-01", {"category": category})
    service.desk.call_next(window)
    service.desk.start(window)
    service.desk.finish(window, **finish)
    return ticket


def test_finding_1_a_malformed_event_is_refused_acked_and_kept(service, terminal, caplog) -> None:
    kiosk = terminal("kiosk-07")
    caplog.set_level(logging.INFO)
    refusals = [answer(kiosk, "rating", {"window": "1", "level": 7, "channel": "pad"}),
                answer(kiosk, "ticket_cancelled", {"ticket_id": "x1"}),
                answer(kiosk, "rating", {"window": "1", "channel": "pad"})]
    assert [r.type for r in refusals if r] == ["InvalidArgs"] * 3
    assert "评价等级" in refusals[0].message and "缺少评价等级" in refusals[2].message
    assert kiosk.outbox.depth() == 0  # the outbox moved on
    kept = service.engine.refused_events()
    assert [(e.terminal, e.kind, e.error) for e in reversed(kept)] == [
        ("kiosk-07", "rating", "InvalidArgs"), ("kiosk-07", "ticket_cancelled", "InvalidArgs"),
        ("kiosk-07", "rating", "InvalidArgs")]
    assert kept[-1].payload == {"window": "1", "level": 7, "channel": "pad"}
    with pytest.raises(RequestFailed) as refused:
        kiosk.request("check_in", {})
    assert refused.value.type == "InvalidArgs" and "预约码" in str(refused.value)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged for bad input"


def test_finding_1_a_refused_event_keeps_no_personal_field(service, terminal) -> None:
    kiosk = terminal("kiosk-08")
    refused = answer(kiosk, "rating", {"ticket": "A999", "level": 5, "channel": "kiosk", "citizen_key": CASE_KEY})
    assert refused is not None and refused.type == "UnknownTicket"
    assert service.engine.refused_events()[0].payload["citizen_key"] == "***"


def test_finding_2_a_second_rating_is_refused_to_the_citizen(service, terminal) -> None:
    service.desk.sign_in("1", "staff-001")
    ticket = serve(service, "1")
    kiosk = terminal("kiosk-01")
    ops = KioskOps(config=None, link=kiosk, printing=None, supervisor=None, citizens=SimpleNamespace(current=None),
                   hall=None, maintenance=None, clock=None)  # the daemon's own op: a rating needs only these two
    token = ticket["qr"].rsplit("/", 1)[1]  # scanned: a typed number needs the card that took it
    assert ops.op_rate({"ticket_token": token, "level": 5, "use_card": False}) == {
        "recorded": True, "pending": False}
    with pytest.raises(RequestFailed) as again:
        ops.op_rate({"ticket_token": token, "level": 4, "use_card": False})
    assert again.value.type == "AlreadyRated"
    with pytest.raises(RequestFailed) as unserved:
        ops.op_rate({"ticket_token": take_printed(service, "kiosk-01", {"category": "A"})["qr"].rsplit("/", 1)[1],
                     "level": 5, "use_card": False})
    assert unserved.value.type == "NotRateable"


def test_finding_3_a_bad_rating_needs_a_reason_where_the_channel_can_give_one(service, terminal) -> None:
    service.desk.sign_in("1", "staff-001")
    first = serve(service, "1")
    kiosk, bus = terminal("kiosk-01"), terminal("bus-01")
    refused = answer(kiosk, "rating", {"ticket_token": first["qr"].rsplit("/", 1)[1], "level": 1, "reasons": [],
                                       "channel": "kiosk"})
    assert refused is not None and refused.type == "ReasonRequired"
    assert service.engine.open_follow_ups() == []
    serve(service, "1")
    assert answer(bus, "rating", {"window": 1, "level": 1, "channel": "pad"}) is None  # a pad has no reason keys
    (follow_up,) = service.engine.open_follow_ups()
    assert [s.kind for s in follow_up.steps] == ["opened", "reason_needed"]
    stored = screens.ratings_by_id(service.db, [follow_up.rating_id])[follow_up.rating_id]
    assert stored["reasons"] == [] and stored["channel"] == "pad"  # no made-up reason


def test_finding_4_rating_by_case_number_rates_that_cases_service(service, terminal) -> None:
    service.desk.sign_in("1", "staff-001")
    ticket = serve(service, "1", create_case=True)
    (case,) = service.requests.lookup_case("kiosk-01", {"case_number": _case_no(service, ticket)})["cases"]
    kiosk = terminal("kiosk-01")
    assert answer(kiosk, "rating", {"ticket": None, "case_number": case["case_number"], "level": 5,
                                    "channel": "kiosk"}) is None
    latest = _ratings(service)[0]
    assert (latest["case_no"], latest["ticket_number"], latest["level"]) == (case["case_number"], ticket["number"], 5)
    unknown = answer(kiosk, "rating", {"case_number": "20000101000001", "level": 5, "channel": "kiosk"})
    assert unknown is not None and unknown.type == "UnknownCase"


def test_finding_5_the_pad_rates_only_the_service_that_just_ended_at_its_window(service, terminal,
                                                                               hall_clock) -> None:
    service.desk.sign_in("1", "staff-001")
    served = serve(service, "1")  # finished, not rated
    take_printed(service, "kiosk-01", {"category": "A"})
    service.desk.call_next("1")
    bus = terminal("bus-01")
    calling = answer(bus, "rating", {"window": 1, "level": 1, "channel": "pad"})
    assert calling is not None and calling.type == "NotRateable"
    service.desk.no_show("1")
    after_no_show = answer(bus, "rating", {"window": 1, "level": 1, "channel": "pad"})
    assert after_no_show is not None and after_no_show.type == "NotRateable"
    assert _ratings(service) == []  # the citizen who left unrated was not rated by the next one's pad
    serve(service, "1")
    hall_clock.advance(service.config.queue.pad_rating_within_min * 60 + 1)
    late = answer(bus, "rating", {"window": 1, "level": 5, "channel": "pad"})
    assert late is not None and late.type == "NotRateable"
    assert served["number"] not in [r["ticket_number"] for r in _ratings(service)]


def test_finding_6_each_actor_acts_on_its_own(service, terminal) -> None:
    owner, other = terminal("kiosk-01"), terminal("kiosk-other")
    ticket = owner.request("take_number", {"category": "A"})
    by_id = answer(other, "ticket_cancelled", {"ticket_id": ticket["ticket_id"], "number": ticket["number"]})
    assert by_id is not None and by_id.type == "InvalidArgs"  # sequential ids name nothing any more
    stolen = answer(other, "ticket_cancelled", {"ticket_ref": ticket["ticket_ref"], "number": ticket["number"]})
    assert stolen is not None and stolen.type == "NotYourTicket"
    assert service.engine.ticket(int(ticket["ticket_id"])).state.value == "waiting"
    assert answer(owner, "ticket_cancelled", {"ticket_ref": ticket["ticket_ref"], "number": ticket["number"],
                                              "reason": "print_failed"}) is None
    assert service.engine.ticket(int(ticket["ticket_id"])).state.value == "cancelled"

    service.desk.sign_in("1", "staff-001")
    service.desk.sign_in("2", "staff-002")
    held = take_printed(service, "kiosk-01", {"category": "A"})
    service.desk.call_next("1")
    service.desk.hold("1")
    with pytest.raises(NotHeldHere):
        service.desk.call_back("2", int(held["ticket_id"]))
    assert service.desk.call_back("1", int(held["ticket_id"])).window == "1"


def test_finding_7_only_the_halls_priority_groups_and_catalog_items_go_in(service, terminal) -> None:
    kiosk = terminal("kiosk-01")
    with pytest.raises(RequestFailed) as vip:
        kiosk.request("take_number", {"category": "A", "priority": "VIP-boss"})
    assert vip.value.type == "UnknownPriority"
    with pytest.raises(RequestFailed) as item:
        kiosk.request("take_number", {"category": "A", "item_code": "ZZZ"})
    assert item.value.type == "UnknownItem"
    elderly = printed_over(kiosk, service, kiosk.request("take_number", {"category": "A", "priority": "elderly"}))
    assert (elderly["priority"], elderly["priority_name"]) == ("elderly", "老年人")
    service.desk.sign_in("1", "staff-001")
    service.desk.call_next("1")
    service.desk.start("1")
    with pytest.raises(UnknownItem):
        service.desk.finish("1", create_case=True, item_code="ZZZ")
    assert service.engine.window_states()[0].state.value == "serving"  # nothing changed
    assert service.desk.finish("1", create_case=True, item_code="A01").case.item_code == "A01"


# ---- property: junk for every op and event kind is answered, never crashes a handler ----------------

FIELDS = sorted({name for shape in (*REQUESTS.values(), *EVENTS.values()) for name in shape.model_fields})
JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=30)
    | st.sampled_from(["A", "A001", "1", "20261123000001", CASE_KEY, "elderly", "A01", "pad", "kiosk", "call"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
DATA = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=10), JUNK, max_size=6)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(sorted(REQUESTS)), args=DATA | JUNK)
def test_junk_requests_are_answered_with_a_typed_refusal(service, op: str, args) -> None:
    handler, _answer = service.link._requests[op]
    try:
        assert isinstance(handler("kiosk-junk", args), dict)
    except OneTripError:
        pass  # the link answers it as a typed error: the terminal is told, nothing crashed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(EVENTS)), data=DATA, n=st.integers(0, 10**9))
def test_junk_events_are_applied_or_refused_never_crash(service, kind: str, data, n: int) -> None:
    event = Event(event_id=f"junk-{n:012d}", seq=1, ts=0.0, data=data if isinstance(data, dict) else {"x": data})
    try:
        assert isinstance(service.events.apply("kiosk-junk", kind, event), bool)
    except OneTripError:
        pass  # refused with a typed reason: the link keeps it and acks it


def _case_no(service: CenterService, ticket: dict) -> str:
    with service.db.read() as conn:
        return conn.execute(select(cases.c.case_no).where(cases.c.ticket_id == int(ticket["ticket_id"]))).scalar_one()


def _ratings(service: CenterService) -> list[dict]:
    return screens.ratings_since(service.db, 0)["latest"]


def test_a_citizens_second_live_number_is_refused_naming_the_first(service, terminal) -> None:
    """Issue 15, finding 12, at the border: the kiosk learns which number the citizen holds."""
    service.engine.settings = service.engine.settings.model_copy(update={"live_numbers_per_citizen": 1})
    kiosk = terminal("kiosk-01")
    first = kiosk.request("take_number", {"category": "A", "citizen_key": CASE_KEY})
    with pytest.raises(RequestFailed) as again:
        kiosk.request("take_number", {"category": "A", "citizen_key": CASE_KEY})
    assert (again.value.type, again.value.values) == ("NumberAlreadyHeld", {"number": first["number"]})
