"""One logging setup for every process: `key=value` lines journald and people both read.

Every record passes a filter that masks ID-number-shaped text wherever it appears —
message, arguments or extra fields — so no code path can leak one into a log.
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Any

from core.privacy import mask_text

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class IdNumberMask(logging.Filter):
    """Masks resident ID numbers in the fully formatted message and in extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = mask_text(message), None
        for key, value in list(vars(record).items()):
            if key not in _RESERVED and isinstance(value, str):
                setattr(record, key, mask_text(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


class KeyValueFormatter(logging.Formatter):
    """`2026-11-22T09:00:00.123 INFO mqtt.link: connected broker=127.0.0.1:1883`.

    Under journald (`JOURNAL_STREAM` set) the timestamp is left out: journald adds its own,
    and the `<N>` priority prefix lets `journalctl -p` filter by level.
    """

    _PRIORITY = {"DEBUG": 7, "INFO": 6, "WARNING": 4, "ERROR": 3, "CRITICAL": 2}

    def __init__(self, journald: bool) -> None:
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{k}={_quote(v)}" for k, v in vars(record).items() if k not in _RESERVED
        )
        line = f"{record.levelname} {record.name}: {record.getMessage()}"
        if extras:
            line += " " + extras
        if record.exc_text:
            line += " | " + record.exc_text.replace("\n", " | ")
        if self.journald:
            return f"<{self._PRIORITY.get(record.levelname, 6)}>{line}"
        return f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d} {line}"


def _quote(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if (" " in text or not text) else text


def setup_logging(level: str | int = "INFO", stream: Any = None) -> None:
    """Install the one handler on the root logger (idempotent: safe to call twice)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_onetrip", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._onetrip = True  # type: ignore[attr-defined]
    handler.setFormatter(KeyValueFormatter(journald=bool(os.environ.get("JOURNAL_STREAM"))))
    handler.addFilter(IdNumberMask())
    root.addHandler(handler)
    root.setLevel(os.environ.get("ONETRIP_LOG_LEVEL", level))
