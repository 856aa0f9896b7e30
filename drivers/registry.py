"""Every device family the hall knows, once: the daemon, `onetrip sim` and the benches read this list.

A new family is a folder under drivers/ with a `family.py` exporting its `Family`, and one
line here.
"""
from __future__ import annotations

from typing import Final

from core.errors import ConfigError
from drivers.family import Family
from drivers.idcard.family import FAMILY as IDCARD
from drivers.printer.family import FAMILY as PRINTER
from drivers.scanner.family import FAMILY as SCANNER
from drivers.windowbus.family import FAMILY as WINDOWBUS

__all__ = ["FAMILIES", "IDCARD", "PRINTER", "SCANNER", "WINDOWBUS", "family"]

FAMILIES: Final[tuple[Family, ...]] = (IDCARD, PRINTER, WINDOWBUS, SCANNER)


def family(name: str) -> Family:
    """The family a terminal config names; ConfigError for a name no family has."""
    for known in FAMILIES:
        if known.name == name:
            return known
    raise ConfigError(f"no device family {name!r}: expected one of {sorted(f.name for f in FAMILIES)}")
