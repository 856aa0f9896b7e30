"""The web layer's small parts: percentiles, telemetry history, Prometheus text, messages."""
from __future__ import annotations

import pytest

from center.queue_errors import InvalidTransition, NoTicketWaiting
from center.reports import percentile
from center.telemetry import TelemetryHistory
from center.web import error_body
from mqtt.center import TerminalView
from mqtt.contract import Telemetry


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([], 0.5) is None and percentile([7.0], 0.9) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.9) == pytest.approx(3.7)
    assert percentile([10.0, 20.0], 0.0) == 10.0 and percentile([10.0, 20.0], 1.0) == 20.0


def test_telemetry_history_is_bounded_and_keeps_numbers_once() -> None:
    history = TelemetryHistory(points=3)
    view = TerminalView("kiosk-01")
    terminals = {"kiosk-01": view}
    for ts in range(5):
        view.telemetry["printer"] = Telemetry(ts=float(ts), values={"printed": ts, "state": "online", "ok": True})
        assert history.sample(terminals) == 1
        assert history.sample(terminals) == 0  # same sample: not kept twice
    series = history.terminal("kiosk-01")["printer"]
    assert series == {"ts": [2.0, 3.0, 4.0], "values": {"printed": [2.0, 3.0, 4.0]}}
    assert history.terminal("kiosk-02") == {}


def test_refusals_read_in_chinese_with_the_engine_text_as_detail() -> None:
    assert error_body(NoTicketWaiting("3")) == {"error": "NoTicketWaiting", "message": "当前没有等候的号",
                                                 "detail": "nobody is waiting for window 3"}
    body = error_body(InvalidTransition("window 3", "serving", "call the next ticket"))
    assert body["message"] == "当前状态为「办理中」，不能呼叫下一位"
