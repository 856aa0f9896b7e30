"""The one sentinel every sans-I/O codec returns when it needs more bytes (as in h11)."""
from __future__ import annotations

import enum
from typing import Final, Literal


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


NeedData = Literal[_Sentinel.NEED_DATA]
NEED_DATA: Final[NeedData] = _Sentinel.NEED_DATA
