"""The scanner driver reading the simulator's node through the real path (FIFO, select, os.read)."""
from __future__ import annotations

from pathlib import Path

from core.devstate import DeviceState, Reason
from drivers.scanner.codec import CodeScanned
from drivers.scanner.driver import Scanner, ScannerSettings
from drivers.scanner.sim import ScannerSim
from tests.conftest import wait_until


def test_scans_arrive_once_and_survive_unplug_and_replug(tmp_path: Path) -> None:
    main, second = ScannerSim(tmp_path / "event-kbd"), ScannerSim(tmp_path / "if01-event-kbd")
    main.start()
    second.start()  # a scanner exposing two nodes: both are read
    events: list[object] = []
    scanner = Scanner.from_settings(
        "scanner", ScannerSettings(nodes=[str(main.node), str(second.node)]),
        on_event=lambda name, event: events.append(event))
    scanner.start()
    try:
        wait_until(lambda: scanner.condition.state is DeviceState.ONLINE, 3)
        main.scan("A001")
        second.handle_command(["scan", "https://zwfw.example.gov.cn/q?id=7&x=Y"])
        wait_until(lambda: len(events) >= 2, 3)
        assert sorted(e.code for e in events) == ["A001", "https://zwfw.example.gov.cn/q?id=7&x=Y"]  # type: ignore[attr-defined]

        main.unplug()
        wait_until(lambda: scanner.condition.state is DeviceState.OFFLINE, 3)
        assert scanner.condition.reason is Reason.PORT_GONE
        main.plug()
        wait_until(lambda: scanner.condition.state is DeviceState.ONLINE, 5)
        main.scan("B002")
        wait_until(lambda: len(events) >= 3, 3)
        assert events[2] == CodeScanned("B002")
        status = scanner.get_status()
        assert status["counters"]["frames_ok"] == 3 and status["grabbed"] is True
        assert status["counters"]["reconnects"] == 1
    finally:
        scanner.stop()
        main.stop()
        second.stop()
