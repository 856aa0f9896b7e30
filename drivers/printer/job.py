"""What a kiosk prints: the queue slip (排队凭条) and the one-time notice (一次告知单), laid out as blocks.

A job is only its layout: lines, a QR code and rules. `drivers.printer.render` turns the
blocks into ESC/POS bytes (text or raster) for a given paper width.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal, Protocol, Union

Alignment = Literal["left", "center", "right"]


# ---- the jobs -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MaterialLine:
    """One item of the material list; `deferrable` = 容缺 (may follow later on a commitment)."""

    name: str
    note: str = ""
    optional: bool = False
    deferrable: bool = False

    def label(self) -> str:
        mark = "（可容缺）" if self.deferrable else "（如有）" if self.optional else ""
        return f"{self.name}{'，' + self.note if self.note else ''}{mark}"


@dataclass(frozen=True)
class Line:
    """A paragraph: wrapped to the paper, continuation rows indented under `prefix`."""

    text: str
    size: int = 1
    bold: bool = False
    align: Alignment = "left"
    prefix: str = ""


@dataclass(frozen=True)
class QrBlock:
    payload: str


@dataclass(frozen=True)
class Rule:
    """A dashed separator across the paper."""


Block = Union[Line, QrBlock, Rule]


class PrintJob(Protocol):
    def layout(self) -> list[Block]: ...


def _material_blocks(materials: tuple[MaterialLine, ...], heading: str) -> list[Block]:
    blocks: list[Block] = [Line(heading, bold=True)]
    blocks += [Line(m.label(), prefix=f"□ {i}. ") for i, m in enumerate(materials, 1)]
    if any(m.deferrable for m in materials):
        blocks.append(Line("标“可容缺”的材料可先受理、签署承诺书后补交。"))
    return blocks


BULLET = "· "


def _notice_blocks(notice: str) -> list[Block]:
    """Each line of a notice on its own (时限, 收费, 窗口, every 温馨提示); a "· " line hangs
    under its bullet, and a line ending in "：" is a heading."""
    blocks: list[Block] = []
    for line in filter(None, (x.strip() for x in notice.split("\n"))):
        if line.startswith(BULLET.strip()):
            blocks.append(Line(line[1:].strip(), prefix=BULLET))
        else:
            blocks.append(Line(line, bold=line.endswith("：")))
    return blocks


@dataclass(frozen=True)
class QueueSlip:
    """A queue ticket: the number, the wait, and everything to bring (最多跑一次)."""

    hall: str
    number: str
    service: str
    people_ahead: int
    wait_minutes: tuple[int, int] | None  # None: no window serving it is open yet
    issued_at: datetime
    qr: str
    materials: tuple[MaterialLine, ...] = ()
    notice: str = ""
    window_area: str = ""  # where to wait for the call (一楼 B 区 13–20 号窗口)

    def layout(self) -> list[Block]:
        wait = (f"预计等候 {self.wait_minutes[0]}～{self.wait_minutes[1]} 分钟" if self.wait_minutes
                else "窗口尚未开放，开放后按顺序叫号")
        ahead = (f"您前面还有 {self.people_ahead} 人等候" if self.people_ahead
                 else "您前面没有人等候，请留意叫号")
        blocks: list[Block] = [
            Line(self.hall, size=2, bold=True, align="center"),
            Line("排队凭条", align="center"),
            Rule(),
            Line(self.service, size=2, bold=True, align="center"),
            Line(self.number, size=3, bold=True, align="center"),
            Line(ahead, align="center"),
            Line(wait, align="center"),
        ]
        if self.window_area:
            blocks.append(Line(f"请到 {self.window_area} 等候叫号", bold=True, align="center"))
        blocks.append(Rule())
        if self.materials:
            blocks += _material_blocks(self.materials, "请备齐以下材料：")
            blocks.append(Rule())
        blocks += _notice_blocks(self.notice)
        blocks += [QrBlock(self.qr), Line("扫码查看排队进度，办结后可评价", align="center"),
                   Line(f"取号时间 {self.issued_at:%Y-%m-%d %H:%M}", align="center")]
        return blocks


@dataclass(frozen=True)
class Checklist:
    """一次告知单: the complete list of what to bring for one service, printed before queueing."""

    hall: str
    service: str
    materials: tuple[MaterialLine, ...]
    issued_at: datetime
    notice: str = ""
    qr: str = ""

    def layout(self) -> list[Block]:
        blocks: list[Block] = [
            Line("一次告知单", size=2, bold=True, align="center"),
            Line(self.hall, align="center"),
            Rule(),
            Line(self.service, size=2, bold=True, align="center"),
            Rule(),
            *_material_blocks(self.materials, "需提交的材料："),
            Rule(),
            *_notice_blocks(self.notice),
        ]
        if self.qr:
            blocks += [QrBlock(self.qr), Line("扫码查看办事指南", align="center")]
        blocks.append(Line(f"打印时间 {self.issued_at:%Y-%m-%d %H:%M}", align="center"))
        return blocks


def sample_ticket(**changes: Any) -> QueueSlip:
    """A typical city-hall ticket: the test print, the bench and docs/img all use it."""
    slip = QueueSlip(
        hall="市民中心", number="A023", service="不动产登记", people_ahead=12, wait_minutes=(25, 40),
        issued_at=datetime(2025, 9, 1, 9, 32), qr="https://zwfw.example.gov.cn/q/smzx/A023?d=20250901",
        materials=(MaterialLine("居民身份证", "原件"), MaterialLine("不动产权证书", "原件"),
                   MaterialLine("不动产登记申请书", "现场填写"),
                   MaterialLine("户口簿", "原件及复印件", deferrable=True),
                   MaterialLine("婚姻关系证明", optional=True)),
        notice="请留意大厅屏幕和语音叫号。\n过号30分钟内可到窗口恢复，恢复后按原顺序叫号", window_area="二楼 A 区 1–12 号窗口")
    return replace(slip, **changes)
