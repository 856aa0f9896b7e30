"""Faults under load, short versions of bench/chaos.py on one whole hall of real processes.

One hall (broker, center, two kiosks, the window bus, their simulators) serves every drill in
turn; each drill runs the steady load (hallrig/load.py), does its fault and audits what the
center applied against what citizens and staff were told (hallrig/audit.py). Deadlines are
functional ones (terminals back online within the drill's 30 s watch); no test asserts how many
seconds a recovery took: `python -m bench.chaos` prints them against the budget (DESIGN.md §5).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hallrig import drills
from hallrig.center_setup import MONDAY_OPENING
from hallrig.hall import Hall
from hallrig.load import LoadSettings

pytestmark = pytest.mark.timeout(240)

FAST = LoadSettings(take_interval=0.3, service_time=0.4)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hall]:
    h = Hall(Path(tmp_path_factory.mktemp("faults")), speed=10, start_at=MONDAY_OPENING)
    try:
        h.start()
        h.wait_ready()
        yield h
    finally:
        h.stop()


def assert_nothing_lost(result: drills.DrillResult) -> None:
    print(result.report())
    assert result.settled, "outboxes and pads did not empty after the drill"
    for row in result.audit.rows:
        assert (row.lost, row.duplicated) == (0, 0), row
    assert not result.audit.refused, result.audit.refused
    assert result.audit.rows[0].sent > 0 and result.audit.rows[2].sent > 0, "the load did nothing"


def test_broker_down_and_back_loses_nothing(hall: Hall) -> None:
    result = drills.drill(hall, "broker down 5 s", drills.broker_outage(5.0), settings=FAST)
    assert_nothing_lost(result)
    assert set(result.recovery) == {f"{t} online" for t in hall.terminals}, result.recovery
    assert all(seconds is not None for seconds in result.recovery.values()), result.recovery  # everyone back


def test_center_sigkill_loses_no_issued_ticket(hall: Hall) -> None:
    result = drills.drill(hall, "center SIGKILL", drills.center_kill(2.0), settings=FAST, after=10.0)
    assert_nothing_lost(result)
    assert all(seconds is not None for seconds in result.recovery.values()), result.recovery


def test_daemon_sigkill_restarts_and_drains(hall: Hall) -> None:
    result = drills.drill(hall, "kiosk daemon SIGKILL", drills.daemon_kill("kiosk-01", 1.0), settings=FAST)
    assert_nothing_lost(result)
    assert result.recovery["local API answers"] is not None and result.recovery["outbox drained"] is not None
    assert result.load["reconnects"], "the kiosk's client never had to reconnect: was the daemon killed?"


def test_printer_unplugged_and_back(hall: Hall) -> None:
    figures = drills.figures_for_printer(hall, "kiosk-01")
    result = drills.drill(hall, "printer unplugged 3 s", drills.printer_unplug("kiosk-01", 3.0), settings=FAST,
                          figures=figures)
    assert_nothing_lost(result)
    assert result.recovery["offline reported"] is not None and result.recovery["online again"] is not None
    printed, told, cancelled = (result.figures[k] for k in ("printed", "told", "cancelled after print failure"))
    assert told <= printed <= told + cancelled, result.figures  # no double print, no ticket told unprinted
    assert any("PrinterNotReady" in k for k in result.load["refusals"]), "no citizen met the unplugged printer"


def test_outbox_at_its_bound_refuses_loudly_and_keeps_ratings(hall: Hall) -> None:
    result = drills.outbox_full(hall, bound=2)
    print(result.report())
    ratings = next(r for r in result.audit.rows if r.kind == "rating (pad)")
    assert (ratings.sent, ratings.received) == (4, 4)
    assert result.recovery["ratings held on the pads"] is not None
    assert result.figures["pads holding a rating during the spell"] == 2
    assert result.recovery["key refusal logged"] is not None and result.figures["error lines"] >= 1
    assert result.recovery["alert raised"] is not None
    assert not result.audit.refused and all(r.lost == r.duplicated == 0 for r in result.audit.rows)
