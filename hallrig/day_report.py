"""The scripted day's report: figures, the chart of waits, tickets, screenshots, privacy check.

Figures come from two sides on purpose: the center's own reports (`/api/reports`, the CSV
the hall exports, `/api/control`) and what the citizens and clerks of the script saw (the
kiosk's take-number latency, calls and alerts heard on `/events`). `report.md` links the
pictures next to it, so the folder can be opened, zipped or attached as it is.
"""
from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from center.reports import percentile
from hallrig.day_chart import WaitPoint, wait_chart
from hallrig.day_hall import Day
from hallrig.privacy_scan import privacy_scan

if TYPE_CHECKING:
    from hallrig.hall import Hall

PRINT_KINDS = ("ticket", "priority", "appointment", "checklist")
WEEKDAYS = "一二三四五六日"
STATES = {"open": "待整改", "rectified": "已整改", "appealed": "申诉中", "closed": "已关闭"}
ALERT_NAMES = {"wait_over_target": "等候超时", "queue_long": "排队过长", "window_idle": "窗口空闲",
               "device_offline": "设备离线", "paper_out": "打印机缺纸", "outbox_backlog": "事件积压",
               "bad_rating": "差评", "follow_up_overdue": "整改逾期", "help_requested": "帮办求助",
               "help_escalated": "帮办超时", "promise_overdue": "容缺逾期"}


@dataclass(frozen=True)
class Timing:
    """When the day ran, in hall time and in real seconds."""

    first: float
    last: float
    real_s: float
    speed: float
    visitors: int


def _fmt(value: Any, suffix: str = "") -> str:
    return "—" if value is None else f"{value:g}{suffix}" if isinstance(value, (int, float)) else str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def _ms(values: list[float], q: float) -> str:
    v = percentile(values, q)
    return "—" if v is None else f"{v * 1000:.0f} ms"


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows), ""]


def copy_tickets(hall: Hall, prints: dict[str, list[tuple[str, str]]], out: Path) -> list[Path]:
    """One print of each kind the day made: a plain ticket, a priority one (绿色通道), an
    appointment's, and a one-time complete notice (一次告知单)."""
    copied = []
    for kind in PRINT_KINDS:
        found = ((kiosk, i, what) for kiosk, made in prints.items() for i, (k, what) in enumerate(made) if k == kind)
        for kiosk, i, what in found:
            src = hall.terminals[kiosk].sim_dir / "tickets" / f"ticket-{i + 1:04d}.png"
            if src.exists():
                copied.append(Path(shutil.copyfile(src, out / f"print-{kind}-{what}.png")))
                break
    return copied


def write_report(hall: Hall, day: Day, timing: Timing, out: Path, screenshots: list[Path]) -> Path:
    """Everything into `out`; returns the report's path."""
    out.mkdir(parents=True, exist_ok=True)
    api, log = day.api, day.log
    by_category = api.get("/api/reports", by="category")["rows"]
    by_window = api.get("/api/reports", by="window")["rows"]
    (out / "reports.csv").write_text(api.text("/reports.csv", by="category"), encoding="utf-8")
    (out / "reports-by-window.csv").write_text(api.text("/reports.csv", by="window"), encoding="utf-8")
    follow_ups = api.get("/api/control").get("follow_ups", [])
    floor = api.get("/api/reports")  # the center's 帮办 and 容缺 figures of the day
    names = {c["letter"]: c["name"] for c in api.get("/api/windows")["categories"]}

    local = day.local(timing.first)
    points = [WaitPoint(t.at, (log.first_call[t.ticket_id] - t.at) / 60, t.category) for t in log.issued.values()
              if t.ticket_id in log.first_call]
    chart = wait_chart(points, names, day.tz, out / "waits.png", close_at=day.close,
                       title=f"{local:%Y-%m-%d} 等候时间（取号 → 首次呼叫）")
    tickets = copy_tickets(hall, log.prints, out)
    total: dict[str, Any] = next((r for r in by_category if r["key"] == "total"), {})
    lines = [
        f"# 示范大厅 · 演示日报告 — {local:%Y-%m-%d} 星期{WEEKDAYS[local.weekday()]}", "",
        (f"Scripted hall day: {timing.visitors} citizens, hall time {local:%H:%M}–{day.local(timing.last):%H:%M} "
         f"(×{timing.speed:g}, {timing.real_s:.0f} s real). Issuing closes at {day.local(day.close):%H:%M}; "
         "the windows then serve everyone still waiting."), "",
        "## 概况 · Figures", "", *_table(["项目 · figure", "数值 · value"], figures(day, total, len(follow_ups))),
        "## 大厅现场 · On the floor", "", *_table(["项目 · figure", "数值 · value"], floor_figures(day, floor)),
        "## 按业务类别 · By category", "",
        *_table(["类别", "呼叫", "办结", "过号", "等候 p50", "等候 p90", "办理 p50", "办理 p90", "评价", "满意率"],
                [[r["label"], r["calls"], r["visits"], r["no_shows"], r["wait_p50_min"], r["wait_p90_min"],
                  r["service_p50_min"], r["service_p90_min"], r["ratings"], _pct(r["satisfaction"])]
                 for r in by_category]),
        ("Minutes; wait = ticket taken → first call, service = start → end of a finished service. "
         "CSV exports: [reports.csv](reports.csv), [reports-by-window.csv](reports-by-window.csv)."), "",
        "## 按窗口 · By window", "",
        *_table(["窗口", "呼叫", "办结", "过号", "办理 p50", "办理 p90", "评价", "满意率"],
                [[r["label"], r["calls"], r["visits"], r["no_shows"], r["service_p50_min"], r["service_p90_min"],
                  r["ratings"], _pct(r["satisfaction"])] for r in by_window]),
        "## 差评整改 · Follow-ups of bad ratings", "",
        *_table(["号", "窗口", "评分", "原因", "状态"],
                [[r.get("ticket_number"), r.get("window"), r.get("level"), "；".join(r.get("reasons") or []),
                  STATES.get(f.get("state"), f.get("state"))] for f in follow_ups for r in [f.get("rating") or {}]]),
        "## 等候曲线 · Waits through the day", "", f"![waits]({chart.name})", "",
        "## 票样 · Printed tickets", "", *(f"![{p.stem}]({p.name})" for p in tickets), "",
        "## 屏幕 · Web screens", "", *(f"![{p.stem}]({p.name})" for p in screenshots), "",
    ]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    findings = privacy_scan(hall)  # after the report is written: it is scanned too
    closing = [
        "## 隐私检查 · Privacy scan", "",
        ("Every file the hall wrote outside the simulators' own folders (logs, the center's database, terminal "
         "state, broker folder, this report) was searched for the test citizens' ID numbers and full names "
         "(UTF-8, JSON-escaped, GB18030)."), "",
        *([f"- {f}" for f in findings] or ["No ID number or full name found."]), "",
        "## 脚本问题 · What went wrong in the script", "",
        *([f"- {f}" for f in log.failures] or ["Nothing."]), ""]
    with report.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(closing) + "\n")
    return report


def floor_figures(day: Day, report: dict[str, Any]) -> list[list[Any]]:
    """过号 back in line, 帮办 answered, 容缺 promised: the center's own figures beside the script's."""
    c = day.log.counts
    help_days = report.get("help") or [{}]
    h = help_days[-1]
    p = report.get("promises") or {}
    return [
        ["过号恢复 no-shows put back in line at the counter", c["过号 reactivated"]],
        ["帮办 requests / answered / closed / escalated (center)",
         f"{h.get('count', 0)} / {h.get('answered', 0)} / {h.get('closed', 0)} / {h.get('escalated', 0)}"],
        ["帮办 median response / arrival (center)",
         f"{_fmt(h.get('response_p50_min'), ' min')} / {_fmt(h.get('arrival_p50_min'), ' min')}"],
        ["帮办 answered and closed (script)", c["帮办 answered and closed"]],
        ["容缺 promises recorded today / fulfilled / overdue now (center)",
         f"{p.get('recorded', 0)} / {p.get('fulfilled', 0)} / {p.get('overdue', 0)}"],
        ["容缺 promises recorded (script)", c["容缺 promises recorded"]],
    ]


def figures(day: Day, total: dict[str, Any], open_follow_ups: int) -> list[list[Any]]:
    """The headline figures: the center's totals next to what the script's people did and saw."""
    log, c = day.log, day.log.counts
    issued = list(log.issued.values())
    latencies = [t.latency_s for t in issued if t.channel == "kiosk"]
    alerts = Counter(kind for kind, _ in log.alerts)

    def pair(a: str, b: str) -> str:
        return f"{_fmt(total.get(a), ' min')} / {_fmt(total.get(b), ' min')}"

    return [
        ["取号 tickets issued (kiosk / appointment check-in)",
         (f"{len(issued)} ({sum(t.channel == 'kiosk' for t in issued)} / "
         f"{sum(t.channel == 'appointment' for t in issued)})")],
        ["优先号 priority tickets (绿色通道)", sum(1 for t in issued if t.priority)],
        ["办结 served (visits)", total.get("visits")],
        ["过号 no-shows", total.get("no_shows")],
        ["作废 cancellations (print failed)", c["tickets cancelled (print failed)"]],
        ["未取到号 turned away (issuing closed)", c["turned away (issuing closed)"]],
        ["改去另一台自助机 sent to the other kiosk (printer out)", c["sent to the other kiosk (printer out)"]],
        ["转移 transfers / 挂起 holds / 回呼 call-backs / 暂停 pauses",
         f"{c['transfers']} / {c['holds']} / {c['called back after hold']} / {c['pauses']}"],
        ["一次告知单 checklists printed", c["checklists printed"]],
        ["呼叫 calls announced on /events (recalls included)", c["calls announced"]],
        ["等候 wait p50 / p90 (all)", pair("wait_p50_min", "wait_p90_min")],
        ["办理 service p50 / p90 (all)", pair("service_p50_min", "service_p90_min")],
        ["评价 ratings recorded (given: pad / kiosk)",
         (f"{total.get('ratings')} ({sum(ch == 'pad' for ch, _ in log.ratings)} / "
         f"{sum(ch == 'kiosk' for ch, _ in log.ratings)})")],
        ["满意率 satisfaction (levels 4–5)", _pct(total.get("satisfaction"))],
        ["差评 bad ratings given (levels 1–2)", sum(1 for _, level in log.ratings if level <= 2)],
        ["整改 open follow-ups", open_follow_ups],
        ["告警 alerts raised", ", ".join(f"{ALERT_NAMES.get(k, k)} {n}" for k, n in sorted(alerts.items())) or "0"],
        ["帮办 helpers called", c["helpers called"]],
        ["取号延迟 take-number latency p50 / p99 (kiosk side, incl. printing)",
         f"{_ms(latencies, 0.5)} / {_ms(latencies, 0.99)} (n = {len(latencies)})"],
        ["呼叫器延迟 caller key → window state at the center p50 / p99 (real time, console polled every 50 ms)",
         f"{_ms(log.keypad_s, 0.5)} / {_ms(log.keypad_s, 0.99)} (n = {len(log.keypad_s)})"],
        ["脚本问题 script failures", len(log.failures)],
    ]
