"""Typed refusals of the queue engine: each message is what a window or kiosk can show."""
from __future__ import annotations

from datetime import datetime

from core.errors import OneTripError


class QueueError(OneTripError):
    """The queue refused an operation; nothing was changed. `values` are what a screen needs to
    word the refusal in its own language (a time, a number); they travel with the error."""

    values: dict[str, str] = {}


class UnknownCategory(QueueError):
    def __init__(self, category: str) -> None:
        super().__init__(f"no category {category!r}")
        self.category = category


class UnknownTicket(QueueError):
    def __init__(self, ticket: int | str) -> None:
        super().__init__(f"no ticket {ticket!r}")


class UnknownWindow(QueueError):
    def __init__(self, window: str) -> None:
        super().__init__(f"no window {window!r}")


class NotIssuingNow(QueueError):
    """Outside the category's issuing hours, hall calendar included; `next_opening` is None if
    it does not open within the calendar's horizon; `notice` is what the citizen reads (Chinese)."""

    def __init__(self, category: str, next_opening: datetime | None, notice: str = "") -> None:
        when = next_opening.strftime("%Y-%m-%d %H:%M") if next_opening else "no opening scheduled"
        super().__init__(f"category {category} is not issuing numbers now; next opening {when}"
                         + (f" ({notice})" if notice else ""))
        self.next_opening, self.notice = next_opening, notice


class DailyCapReached(QueueError):
    def __init__(self, category: str, cap: int) -> None:
        super().__init__(f"category {category} has issued all {cap} numbers of today")
        self.cap = cap


class NoTicketWaiting(QueueError):
    def __init__(self, window: str) -> None:
        super().__init__(f"nobody is waiting for window {window}")


class InvalidTransition(QueueError):
    """`action` is not allowed from the current state of a ticket, window, case or follow-up."""

    def __init__(self, what: str, state: str, action: str) -> None:
        super().__init__(f"{what} is {state}: cannot {action}")
        self.state, self.action = state, action


class ReactivationExpired(QueueError):
    def __init__(self, number: str, minutes: float) -> None:
        super().__init__(f"ticket {number} missed its call more than {minutes:g} min ago; please take a new number")
        self.values = {"number": number, "minutes": f"{minutes:g}"}


class RawIdNumber(QueueError):
    """The engine only ever takes keyed hashes of ID numbers (core.privacy.citizen_key)."""

    def __init__(self) -> None:
        super().__init__("a raw ID number was passed where a citizen key (keyed hash) is expected")


class SlotFull(QueueError):
    def __init__(self, category: str, slot: datetime) -> None:
        super().__init__(f"the {slot:%H:%M} slot of category {category} is fully booked")


class NoAppointment(QueueError):
    def __init__(self) -> None:
        super().__init__("no appointment found for today")


class TooEarly(QueueError):
    def __init__(self, come_back_at: datetime) -> None:
        super().__init__(f"too early for your appointment: please check in from {come_back_at:%H:%M}")
        self.come_back_at = come_back_at
        self.values = {"come_back_at": f"{come_back_at:%H:%M}"}


class AppointmentMissed(QueueError):
    def __init__(self, slot_end: datetime) -> None:
        super().__init__(f"your appointment slot ended at {slot_end:%H:%M}: please take a normal number")
        self.slot_end = slot_end
        self.values = {"slot_end": f"{slot_end:%H:%M}"}


class UnknownCase(QueueError):
    def __init__(self, case_no: str) -> None:
        super().__init__(f"no case {case_no!r}")


class NotRateable(QueueError):
    def __init__(self, why: str) -> None:
        super().__init__(f"nothing to rate: {why}")


class AlreadyRated(QueueError):
    def __init__(self, ticket_number: str) -> None:
        super().__init__(f"the service of ticket {ticket_number} has already been rated (一次一评)")


class NotTheirsToRate(QueueError):
    """A typed ticket number rates only with the card that took it, or by the ticket's own QR
    (一次一评 belongs to the person served: a stranger cannot rate, nor use up, their rating)."""

    def __init__(self, number: str) -> None:
        super().__init__(f"ticket {number} can be rated only with the card that took it or its QR code")


class ReasonRequired(QueueError):
    def __init__(self, level: int) -> None:
        super().__init__(f"a rating of {level} (差评) needs at least one reason")


class UnknownFollowUp(QueueError):
    def __init__(self, follow_up_id: int) -> None:
        super().__init__(f"no follow-up {follow_up_id}")


class UnknownPriority(QueueError):
    """Only the hall's configured 绿色通道 groups (`[queue] priority_groups`) go ahead."""

    def __init__(self, priority: str) -> None:
        super().__init__(f"no priority group {priority!r} in this hall's 绿色通道 list")


class NumberAlreadyHeld(QueueError):
    """A hall's limit of live numbers per citizen and category (`live_numbers_per_citizen`)."""

    def __init__(self, number: str, category: str) -> None:
        super().__init__(f"this citizen already holds {number} in category {category}")
        self.values = {"number": number}


class UnknownItem(QueueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"no item or life event {code!r} in the catalog")


class NotYourTicket(QueueError):
    """A kiosk may cancel only a ticket it issued itself."""

    def __init__(self, number: str) -> None:
        super().__init__(f"ticket {number} was not issued by this terminal")


class NotHeldHere(QueueError):
    """A window calls back only a ticket it holds itself."""

    def __init__(self, number: str, window: str) -> None:
        super().__init__(f"ticket {number} is not held at window {window}")


class InvalidLevel(QueueError):
    def __init__(self) -> None:
        super().__init__("rating levels run from 1 (非常不满意) to 5 (非常满意)")


class ChangeTooLate(QueueError):
    """A booking is changed or cancelled on the phone only until `change_until_min` before its slot."""

    def __init__(self, slot_start: datetime, minutes: float) -> None:
        super().__init__(f"the {slot_start:%H:%M} slot starts in less than {minutes:g} min: it can no longer be changed")
        self.slot_start = slot_start


class BookingClosed(QueueError):
    """Only a booking still `booked` may be cancelled or moved (not one checked in, cancelled or missed)."""

    def __init__(self, state: str) -> None:
        super().__init__(f"the appointment is {state}: it can no longer be changed")
        self.state = state
