"""The one vocabulary of device states every driver reports (Odoo-IoT style: small, fixed)."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class DeviceState(str, enum.Enum):
    CONNECTING = "connecting"  # not yet heard from since start or since it went away
    ONLINE = "online"          # working normally
    DEGRADED = "degraded"      # works, but needs attention soon (paper low, retries)
    OFFLINE = "offline"        # cannot do its job; `reason` says why


class Reason(str, enum.Enum):
    """Why a device is degraded or offline; kiosks and the control room translate these."""

    NONE = ""
    PAPER_LOW = "paper_low"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    CUTTER_ERROR = "cutter_error"
    PRINTER_ERROR = "printer_error"
    NO_ANSWER = "no_answer"            # port open, device silent
    PORT_GONE = "port_gone"            # unplugged / port cannot be opened
    PERMISSION_DENIED = "permission_denied"
    BUSY = "busy"
    SAM_FAULT = "sam_fault"
    PROTOCOL_ERRORS = "protocol_errors"
    DRIVER_CRASHED = "driver_crashed"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Condition:
    """A device's state plus the reason and a human detail; equality drives 'send on change'."""

    state: DeviceState
    reason: Reason = Reason.NONE
    detail: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, str]:
        return {"state": self.state.value, "reason": self.reason.value, "detail": self.detail}


ONLINE = Condition(DeviceState.ONLINE)
CONNECTING = Condition(DeviceState.CONNECTING)
