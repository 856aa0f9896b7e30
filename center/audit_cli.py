"""`onetrip audit verify | export` (the code lives with `onetrip staff` in center/staff_cli.py)."""
from __future__ import annotations

from center.staff_cli import add_audit_arguments as add_arguments
from center.staff_cli import run_audit as run

__all__ = ["add_arguments", "run"]
