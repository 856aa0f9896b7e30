"""What a ticket's printed QR code names: the signed token of its phone link (docs/phone.md).

Scanned on the rating screen, the token names the ticket by itself: the center rates the
ticket it was signed for, whoever holds the paper (the person served), with no card.
"""
from __future__ import annotations

import re

TICKET_QR = re.compile(r"/m/t/(t[A-Za-z0-9_-]+\.[0-9a-z]+\.[A-Za-z0-9_-]+)$")


def ticket_token(code: str) -> str | None:
    """The signed token of a ticket's printed QR code, or None for any other code."""
    found = TICKET_QR.search(code.strip())
    return found.group(1) if found else None
