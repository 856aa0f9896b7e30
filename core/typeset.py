"""Chinese line breaking, one set of rules for the kiosk's screen and the printed paper.

The rules of 标点符号用法 (GB/T 15834) and of every hall's printed notices: no row begins
with closing punctuation (，。、；：？！）」… — 避头) and none ends with an opening one
（「《 — 避尾); a number stays with its unit ("550 元/件", "0 份", "3 个工作日", "13–20 号");
Latin words and short bracketed marks such as （可容缺） stay whole; a bullet stays with its
text; any other CJK character may end a row. Pure: the caller measures text in its own font
(Pillow for the printer, Kivy's core label for the screen).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

NO_LINE_START = frozenset("，。、；：？！）】》」』”’,.;:?!)]%～…·—")
NO_LINE_END = frozenset("（【《「『“‘([·")
UNITS = ("个工作日", "工作日", "元/件", "元/本", "元", "份", "件", "个", "日", "天", "分钟", "小时", "人", "号", "岁", "页",
         "楼", "区", "min", "%")
_NUMBER = r"\d+(?:[.,:：–~～/-]\d+)*(?: ?(?:" + "|".join(re.escape(u) for u in UNITS) + "))?"
_TOKEN = re.compile(_NUMBER + r"|[A-Za-z0-9_./:%@+#=&?¥$-]+|（[^（）]{1,5}）|.", re.S)


def clean(text: str) -> str:
    """Printable text only: a control byte in a service name must never reach a printer or a label."""
    return "".join(ch for ch in text.replace("\t", " ") if unicodedata.category(ch) not in ("Cc", "Cs"))


def tokens(text: str) -> list[str]:
    """The pieces a row may break between (see the module's rules)."""
    return _TOKEN.findall(clean(text))


def _carried(row: list[str], piece: str) -> list[str]:
    """What leaves a full row for the next one so that `piece` may begin it: the piece before
    a closing mark (避头) and an opening mark at the row's end (避尾), as often as it takes."""
    carry: list[str] = []
    while len(row) > 2:
        while len(row) > 2 and row[-1] == " ":  # spaces at a row's end are not printed
            row.pop()
        if (carry[0] if carry else piece) in NO_LINE_START or row[-1] in NO_LINE_END:
            carry.insert(0, row.pop())
        else:
            break
    return carry


def wrap(text: str, width: float, measure: Callable[[str], float], prefix: str = "") -> list[str]:
    """Greedy rows of at most `width`, by the rules above; continuation rows are indented by
    the width of `prefix`, so a numbered item hangs. A token wider than a row is cut anywhere."""
    indent = " " * round(measure(prefix) / measure(" ")) if prefix else ""
    rows: list[list[str]] = [[prefix]]
    used = measure(prefix)
    for token in tokens(text):
        pieces = [token] if measure(token) <= width - measure(indent) else list(token)
        for piece in pieces:
            size = measure(piece)
            if used + size > width and len(rows[-1]) > 1:
                if piece == " ":  # not printed at a row's end; the next piece breaks the row
                    continue
                carry = _carried(rows[-1], piece)
                rows.append([indent, *carry])
                used = measure(indent) + sum(measure(t) for t in carry)
            rows[-1].append(piece)
            used += size
    return ["".join(r).rstrip() for r in rows]


def wrap_paragraphs(text: str, width: float, measure: Callable[[str], float], prefix: str = "") -> list[str]:
    """`wrap` for each line of a text that holds several (a notice's fields, a label's lines)."""
    return [row for line in text.split("\n") for row in wrap(line, width, measure, prefix)]
