"""Engine results (dataclasses, enums) as JSON-ready data: what every part of the center
hands to MQTT, the hub and the web."""
from __future__ import annotations

import dataclasses
import enum
from typing import Any


def plain(value: Any) -> Any:
    """Engine results (dataclasses, enums) as JSON-ready data for MQTT and the web."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):  # private fields stay inside
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if not f.metadata.get("private")}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value
