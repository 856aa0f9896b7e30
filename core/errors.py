"""The error base classes every part raises, so callers can catch by meaning."""
from __future__ import annotations


class OneTripError(Exception):
    """Base of every error OneTrip raises on purpose."""


class ConfigError(OneTripError):
    """A config file or value is wrong; the message names file, key, value and expectation."""


class ProtocolError(OneTripError):
    """Bytes or a payload that do not fit their protocol; never fatal to a process."""


class DeviceError(OneTripError):
    """A device refused, failed or vanished during an operation."""


class CenterUnreachable(OneTripError):
    """The hall control center cannot be reached right now (told at once, not after a timeout)."""


class RequestTimeout(OneTripError):
    """A request to the center got no answer in time."""


class OutboxFull(OneTripError):
    """The disk outbox reached its bound: the event was refused, not dropped."""
