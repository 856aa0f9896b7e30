"""After a demo day: did a test citizen's ID number or full name land anywhere it must not?

The ID-card simulator holds the test citizens (drivers/idcard/sim.py); only it may. Every
other file the hall wrote — process logs, the center's database, the terminals' outboxes
and caches, the broker's folder, the report — is searched byte for byte, for each secret
as UTF-8, as JSON-escaped text and as GB18030 (the printers' encoding). Findings name the
file and a masked form, so the findings themselves leak nothing. The MQTT retained state
lives in the running broker's memory and is not scanned here (mqtt tests cover payloads).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from core.privacy import mask_id_number, mask_name
from drivers.idcard.sim import DEFAULT_CITIZENS

if TYPE_CHECKING:
    from hallrig.hall import Hall

MAX_FILE_BYTES = 256 << 20  # a runaway log beyond this is a finding of its own


def secrets() -> list[tuple[str, str]]:
    """(what, secret) for every test citizen: the ID number, the name, the English name."""
    found = []
    for i, card in enumerate(DEFAULT_CITIZENS):
        found.append((f"ID number of test citizen #{i} ({mask_id_number(card.number)})", card.number))
        for name in filter(None, (card.name, card.english_name)):
            found.append((f"full name of test citizen #{i} ({mask_name(name)})", name))
    return found


def encodings(secret: str) -> set[bytes]:
    forms = {secret.encode("utf-8"), json.dumps(secret)[1:-1].encode("ascii")}
    try:
        forms.add(secret.encode("gb18030"))
    except UnicodeEncodeError:
        pass
    return forms


def scanned_files(hall: Hall) -> list[Path]:
    """Everything under the hall's folder except the simulators' own folders (sim-<terminal>/)."""
    simulators = {t.sim_dir.resolve() for t in hall.terminals.values()}
    return sorted(p for p in hall.work.rglob("*")
                  if p.is_file() and not any(s in p.resolve().parents for s in simulators))


def privacy_scan(hall: Hall) -> list[str]:
    """Findings as `relative/path: what` lines; an empty list is a clean hall."""
    wanted = [(what, form) for what, secret in secrets() for form in encodings(secret)]
    findings: list[str] = []
    for path in scanned_files(hall):
        where = path.relative_to(hall.work)
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                findings.append(f"{where}: larger than {MAX_FILE_BYTES >> 20} MB, not scanned")
                continue
            data = path.read_bytes()
        except OSError as exc:  # a file removed while scanning (rotated log, sqlite journal)
            if path.exists():
                findings.append(f"{where}: not readable ({exc.strerror})")
            continue
        hits = sorted({what for what, form in wanted if form in data})
        findings.extend(f"{where}: {what}" for what in hits)
    return findings
