"""The web layer's small parts: percentiles, telemetry history, Prometheus text, messages."""
from __future__ import annotations

import pytest

from center.metrics import LatencyHistogram, family
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


def test_prometheus_text_escapes_labels_and_accumulates_buckets() -> None:
    lines = family("x_total", "counter", "Help.", [({"who": 'a"b\\c\nd'}, 2)])
    assert lines == ["# HELP x_total Help.", "# TYPE x_total counter", 'x_total{who="a\\"b\\\\c\\nd"} 2']
    histogram = LatencyHistogram(buckets=(0.1, 1.0))
    for seconds in (0.05, 0.5, 5.0):
        histogram.observe("/a", "GET", seconds)
    text = histogram.render("h")
    assert 'h_bucket{route="/a",method="GET",le="0.1"} 1' in text
    assert 'h_bucket{route="/a",method="GET",le="1.0"} 2' in text
    assert 'h_bucket{route="/a",method="GET",le="+Inf"} 3' in text
    assert 'h_count{route="/a",method="GET"} 3' in text


def test_refusals_read_in_chinese_with_the_engine_text_as_detail() -> None:
    assert error_body(NoTicketWaiting("3")) == {"error": "NoTicketWaiting", "message": "当前没有等候的号",
                                                 "detail": "nobody is waiting for window 3"}
    body = error_body(InvalidTransition("window 3", "serving", "call the next ticket"))
    assert body["message"] == "当前状态为「办理中」，不能呼叫下一位"
