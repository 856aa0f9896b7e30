"""Alerts: deduplicated by (kind, key), acknowledgeable, and the queue's own conditions."""
from __future__ import annotations

import pytest

from center.alerts import AlertKind
from center.queue import QueueEngine
from center.queue_types import QueueSettings
from core.clock import FakeClock

pytest_plugins = ["tests.queue_fixtures"]


def _kinds(engine: QueueEngine) -> set[tuple[str, str]]:
    return {(a.kind, a.key) for a in engine.list_alerts()}


def test_terminal_alerts_are_deduplicated_acknowledged_and_cleared(engine: QueueEngine, clock: FakeClock) -> None:
    first = engine.raise_alert(AlertKind.PAPER_OUT, "kiosk-07/printer", "kiosk-07: printer out of paper")
    clock.advance(30)
    again = engine.raise_alert(AlertKind.PAPER_OUT, "kiosk-07/printer", "kiosk-07: printer still out of paper")
    assert len(engine.list_alerts()) == 1
    assert (again.count, again.raised_at, again.last_at, again.text) == (
        2, first.raised_at, first.raised_at + 30, "kiosk-07: printer still out of paper")
    acked = engine.ack_alert(AlertKind.PAPER_OUT, "kiosk-07/printer", "operator-1")
    assert (acked.acked_by, acked.acked_at) == ("operator-1", clock.time())
    assert engine.raise_alert(AlertKind.PAPER_OUT, "kiosk-07/printer", "x").acked_by == "operator-1"
    assert engine.clear_alert(AlertKind.PAPER_OUT, "kiosk-07/printer") is True
    assert engine.clear_alert(AlertKind.PAPER_OUT, "kiosk-07/printer") is False
    assert engine.list_alerts() == []
    assert engine.list_alerts(active_only=False)[0].active is False
    clock.advance(60)
    fresh = engine.raise_alert(AlertKind.PAPER_OUT, "kiosk-07/printer", "out of paper again")
    assert (fresh.count, fresh.raised_at, fresh.acked_by) == (1, clock.time(), None)
    assert engine.ack_alert(AlertKind.DEVICE_OFFLINE, "nothing", "x") is None


def test_kinds_are_checked(engine: QueueEngine) -> None:
    with pytest.raises(ValueError):
        engine.raise_alert("made_up", "k", "text")  # type: ignore[arg-type]
    engine.raise_alert("outbox_backlog", "kiosk-02", "1200 events queued")  # type: ignore[arg-type]
    engine.raise_alert(AlertKind.DEVICE_OFFLINE, "kiosk-02/idcard", "ID reader offline")
    assert _kinds(engine) == {("outbox_backlog", "kiosk-02"), ("device_offline", "kiosk-02/idcard")}


@pytest.mark.parametrize("settings", [QueueSettings(queue_alert_length=3, window_idle_alert_min=2)])
def test_queue_conditions_raise_and_clear(engine: QueueEngine, clock: FakeClock, settings: QueueSettings) -> None:
    engine.raise_alert(AlertKind.DEVICE_OFFLINE, "kiosk-01/printer", "offline")
    for _ in range(4):
        engine.issue_ticket("A", "kiosk")
    assert _kinds(engine) == {("device_offline", "kiosk-01/printer")}
    engine.check_alerts()
    assert ("queue_long", "A") in _kinds(engine)
    clock.advance(21 * 60)  # A's wait target is 20 minutes; both windows idle for 21
    assert {(a.kind, a.key) for a in engine.check_alerts()} == {
        ("device_offline", "kiosk-01/printer"), ("queue_long", "A"), ("wait_over_target", "A"),
        ("window_idle", "1"), ("window_idle", "2")}
    wait_alert = next(a for a in engine.list_alerts() if a.kind == "wait_over_target")
    assert wait_alert.text == "A 类最长等候 21 分钟，目标 20 分钟"  # the hall's language, from a key and values
    for window in ("1", "2", "1", "2"):
        engine.call_next(window)
        engine.no_show(window)
    # Queue empty: every queue alert clears at the next check; the terminal's is not the queue's to clear.
    assert ("queue_long", "A") in _kinds(engine)
    assert {(a.kind, a.key) for a in engine.check_alerts()} == {("device_offline", "kiosk-01/printer")}


def test_paused_or_busy_windows_are_not_idle(engine: QueueEngine, clock: FakeClock) -> None:
    engine.issue_ticket("A", "kiosk")
    engine.issue_ticket("A", "kiosk")
    engine.pause("2", "系统故障")
    engine.call_next("1")
    clock.advance(10 * 60)
    assert not any(a.kind == "window_idle" for a in engine.check_alerts())


def test_overdue_follow_up_raises_an_alert(engine: QueueEngine, clock: FakeClock) -> None:
    engine.issue_ticket("A", "kiosk")
    engine.call_next("1")
    engine.start("1")
    engine.finish("1")
    fid = engine.rate(1, window="1", reasons=["慢"]).follow_up_id
    engine.check_alerts()
    assert _kinds(engine) == {("bad_rating", str(fid))}
    clock.advance(10 * 86400)
    engine.check_alerts()
    assert ("follow_up_overdue", str(fid)) in _kinds(engine)
