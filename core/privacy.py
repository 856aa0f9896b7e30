"""Citizens' ID numbers never leave the terminal in the clear: masks and keyed hashes.

DESIGN.md §3: MQTT, logs, telemetry and retained messages carry only a keyed hash (to
link appointments and cases) and a masked form (张*, 1501**********1234).
"""
from __future__ import annotations

import hashlib
import hmac
import re

# 18 characters, the last a digit or X: anything of that shape is masked wherever it stands —
# except the fraction of a number (0.012345678901234567), which is no ID number.
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])(?<!\d\.)(\d{17}[\dXx])(?![0-9A-Za-z])")

_CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _CHECK_WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def id_number_valid(number: str) -> bool:
    return (
        len(number) == 18
        and number[:17].isdigit()
        and number[17].upper() == id_check_char(number[:17])
    )


def mask_id_number(number: str) -> str:
    """1501**********1234: first four and last four kept, the rest starred."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """张* / 欧阳** — the family name's first character only."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_text(text: str) -> str:
    """Every ID-number-shaped run in free text, masked."""
    return ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(1)), text)


def citizen_key(number: str, secret: bytes) -> str:
    """Keyed hash linking a citizen's visits without revealing the number (HMAC-SHA256)."""
    return hmac.new(secret, number.upper().encode("ascii"), hashlib.sha256).hexdigest()[:32]
