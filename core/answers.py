"""What a citizen is told about a ticket and a case: one shape from the center to the paper.

The center answers `take_number`, `check_in` and `lookup_case` with these (mqtt/payloads.py
names them per op and both ends of the link check them); the daemon passes the same fields
to the kiosk over the local API (core/localapi.py) and prints the ticket from them. A field
the center adds without adding it here is refused at the center's own border, so no hop can
rename or drop what the next one reads.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TICKET_NUMBER = r"^[A-Z]{1,2}\d{3}$"    # A001
CASE_NUMBER = r"^\d{14}$"               # 20261204000001: the day and a sequence
REF = r"^[A-Za-z0-9_-]{16,64}$"         # a ticket's unguessable reference
LETTER = r"^[A-Z]{1,2}$"                # a category's letter
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrintedMaterial(Answer):
    """One line of a material list as every piece of paper prints it (core.catalog.paper_materials)."""

    name: str = Field(min_length=1)
    note: str = ""              # 原件 1 份；复印件 1 份；the catalog's notes
    optional: bool = False      # 部分情形需要
    deferrable: bool = False    # 可容缺


class TicketAnswer(Answer):
    """A number just issued: what the screen shows and the ticket prints."""

    ticket_id: str = Field(min_length=1)
    ticket_ref: str = Field(pattern=REF)
    number: str = Field(pattern=TICKET_NUMBER)
    category: str = Field(pattern=LETTER)
    category_name: str
    service: str                        # the item (事项) or life event (一件事), else the category
    ahead: int = Field(ge=0)
    last_called: str | None = None
    wait_min: int | None = Field(None, ge=0)  # None: no open window serves it yet
    wait_max: int | None = Field(None, ge=0)
    window_area: str = ""
    priority: str | None = None
    priority_name: str = ""
    materials: tuple[PrintedMaterial, ...] = ()
    qr: str = ""                        # the citizen's phone page (docs/phone.md)
    no_show_rule: str = ""              # the hall's 过号 rule in its words (center/no_shows.py)


class CheckInAnswer(TicketAnswer):
    """An appointment checked in: its ticket, and when it will be called."""

    slot: str = Field(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")
    appointment: str
    timing: Literal["early", "in_slot", "late"] | None = None
    note: str = ""


class Owed(Answer):
    """A material promised at the window (容缺) and not handed in yet."""

    material: str = Field(min_length=1)
    due: str = Field(pattern=ISO_DATE)  # the last business day to hand it in
    overdue: bool = False


class CaseAnswer(Answer):
    """A case's progress (查): which case and item, where it stands, when it is promised."""

    case_number: str = Field(pattern=CASE_NUMBER)
    item_code: str | None = None
    item: str
    state: str                  # the code (accepted, reviewing…)
    state_name: str             # the hall's word for it (已受理, 审核中…)
    received: str = Field(pattern=ISO_DATE)
    promised_by: str | None = Field(None, pattern=ISO_DATE)
    collect_at: str = ""
    owed: tuple[Owed, ...] = ()  # 容缺: what the case still owes, and by when


class CasesAnswer(Answer):
    cases: tuple[CaseAnswer, ...]
