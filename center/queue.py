"""The queue engine: tickets, windows and calls, one committed transaction per operation.

A ticket lives waiting → called → serving → done, or leaves that path by no-show
(reactivable for a while, keeping its place), hold and call back, transfer to another
category (keeping its arrival), or cancel (a ticket that could not be printed). A window is
closed, idle, calling, serving or paused. A call updates the ticket, opens a service and
writes the announcement in one transaction and returns it, so no call can miss the screens.

Mutating methods take `event_id=`: a terminal's event is applied once (center/applied.py).
Appointments, cases, ratings and alerts live in their own modules; this class is the one
door to them, owning the clock, the settings and the transactions.
"""
from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Row

from center import (
    alerts, appointments, cases, i18n, no_shows, numbers, ordering, ratings, refusals, tickets, waits, windows,
)
from center.alerts import AlertKind
from center.applied import applied, apply_once
from center.db import Database, counters, services, window_categories
from center.db import windows as window_table
from center.queue_errors import (
    AppointmentMissed, InvalidTransition, NotHeldHere, NotIssuingNow, NoTicketWaiting, NotTheirsToRate, NotYourTicket,
    NumberAlreadyHeld, RawIdNumber, ReactivationExpired, TooEarly, UnknownCategory, UnknownPriority,
)
from center.queue_types import (
    Alert, Appointment, Call, CallKind, Case, Channel, CategoryLike, CategorySummary, DayClose, Estimate,
    Finished, FollowUp, QueueSettings, Rating, Ticket, TicketState, TicketView, Tier, Transition, WindowState,
    WindowView,
)
from core.calendar import HallCalendar, shipped_calendar
from center.ratings import FollowUpAction
from core.clock import SYSTEM_CLOCK, Clock
from core.privacy import ID_NUMBER_RE

R = TypeVar("R")
S = TicketState
W = WindowState
# Operations that change neither a window nor a service: the estimates' reading of the hall stands.
KEEPS_READING = frozenset({
    "issue", "check_in", "ticket_printed", "close_unprinted", "reactivate", "book_appointment",
    "cancel_appointment", "move_appointment", "rate", "rate_unrated", "refuse_event", "raise_alert", "clear_alert",
    "ack_alert", "check_alerts", "advance_case", "follow_up_step",
})


def _key(citizen_key: str | None) -> str | None:
    """Refuse anything shaped like a raw ID number: the engine only sees keyed hashes."""
    if citizen_key is not None and ID_NUMBER_RE.search(citizen_key):
        raise RawIdNumber()
    return citizen_key


class QueueEngine:
    def __init__(
        self, db: Database, clock: Clock = SYSTEM_CLOCK, categories: Iterable[CategoryLike] = (),
        settings: QueueSettings | None = None, calendar: HallCalendar | None = None,
    ) -> None:
        """`calendar`: the hall's (center/config.py `[calendar]`); default the shipped schedules."""
        self.db = db
        self.clock = clock
        self.settings = settings or QueueSettings()
        self.calendar = calendar or shipped_calendar()
        self.tz = ZoneInfo(self.settings.timezone)
        self._categories: dict[str, CategoryLike] = {}
        self._priors = waits.Priors()  # the estimator's inputs from earlier days, read once a day
        # Today's reading of windows and services, kept between window steps: the center is the
        # only writer of its queue, and every write bumps `_writes` once committed.
        self._reading: tuple[int, str, waits.Reading] | None = None
        self._writes = 0
        self._reading_lock = threading.Lock()
        self.set_categories(categories)

    def set_categories(self, categories: Iterable[CategoryLike]) -> None:
        """Replace the category rules (the catalog calls this when it changes)."""
        self._categories = {c.code: c for c in categories}

    # ------------------------------------------------------------------ plumbing

    def _run(
        self, op: str, event_id: str | None, fn: Callable[[Connection, float], R], result_type: Any,
        durable: bool = False,
    ) -> R:
        """One transaction at one instant. `durable` operations — what a citizen is told
        (numbers, check-ins, bookings, ratings, cancellations) and every terminal event, whose
        ack lets the terminal forget it — are synced to disk before returning (db.write)."""
        now = self.clock.time()
        try:
            if event_id is None:
                return self.db.write(lambda conn: fn(conn, now), durable=durable)
            return apply_once(self.db, event_id, op, lambda conn: fn(conn, now), result_type, now)[1]
        finally:
            if op not in KEEPS_READING:
                self._written()

    def _written(self) -> None:
        """After a commit that may have changed windows or services: the kept reading is old."""
        with self._reading_lock:
            self._writes += 1
            self._reading = None

    def apply_event(self, event_id: str, op: str, fn: Callable[[Connection], Any]) -> tuple[bool, Any]:
        """Run `fn` (the caller's own effect, JSON-able result) once per `event_id`, in the
        transaction that records the id; (False, stored result) when already applied."""
        try:
            return apply_once(self.db, event_id, op, fn, Any, self.clock.time())
        finally:
            self._written()

    def local(self, ts: float | None = None) -> datetime:
        return datetime.fromtimestamp(self.clock.time() if ts is None else ts, self.tz)

    def _day(self, ts: float) -> str:
        return self.local(ts).date().isoformat()

    def _midnight(self, ts: float) -> float:
        return datetime.combine(self.local(ts).date(), time(), self.tz).timestamp()

    def _rules(self, category: str) -> CategoryLike:
        try:
            return self._categories[category]
        except KeyError:
            raise UnknownCategory(category) from None

    # ------------------------------------------------------------------ tickets

    def issue_ticket(
        self, category: str, channel: str, citizen_key: str | None = None, priority: str | None = None,
        item_code: str | None = None, terminal: str | None = None, *, awaits_print: bool = False,
        event_id: str | None = None,
    ) -> Ticket:
        """Take a number: committed before it returns, so a printed number always exists.
        `awaits_print`: a kiosk prints it, and it is called only once the kiosk confirms the
        print (`confirm_printed`), else closed 未出票 (`close_unprinted`); other tickets print
        nothing the center could hear of and are callable at once."""
        return self._issue(category, channel, citizen_key, priority, item_code, terminal, awaits_print, event_id,
                           lambda conn, now, row: tickets.to_ticket(row), Ticket)

    def take_number(
        self, category: str, channel: str, citizen_key: str | None = None, priority: str | None = None,
        item_code: str | None = None, terminal: str | None = None, *, awaits_print: bool = False,
        event_id: str | None = None,
    ) -> TicketView:
        """`issue_ticket` answered with its `ticket_view` (people ahead, last called, the wait),
        read in the issuing transaction: what the kiosk prints, with no second transaction."""
        return self._issue(category, channel, citizen_key, priority, item_code, terminal, awaits_print, event_id,
                           self._view, TicketView)

    def _issue(
        self, category: str, channel: str, citizen_key: str | None, priority: str | None, item_code: str | None,
        terminal: str | None, awaits_print: bool, event_id: str | None,
        answer: Callable[[Connection, float, Row[Any]], R], result_type: Any,
    ) -> R:
        rules = self._rules(category)
        _key(citizen_key)
        if priority and priority not in self.settings.priority_groups:
            raise UnknownPriority(priority)

        def fn(conn: Connection, now: float) -> R:
            local = self.local(now)
            if not self.calendar.is_open(rules, local):
                raise NotIssuingNow(category, self.calendar.next_opening(rules, local),
                                    self.calendar.closed_notice(rules, local))
            limit = self.settings.live_numbers_per_citizen
            if limit is not None and citizen_key is not None:
                live = tickets.live_of(conn, self._day(now), category, citizen_key)
                if len(live) >= limit:
                    raise NumberAlreadyHeld(live[0].number, category)
            row = tickets.issue(
                self.db, conn, now, self._day(now), rules, tier=Tier.PRIORITY if priority else Tier.NORMAL,
                sort_at=now, channel=channel, cap=rules.daily_cap, priority=priority or None,
                item_code=item_code, terminal=terminal, citizen_key=citizen_key,
                print_due=self._print_due(now, awaits_print),
            )
            return answer(conn, now, row)

        return self._run("issue", event_id, fn, result_type, durable=True)

    def _print_due(self, now: float, awaits_print: bool) -> float | None:
        return now + self.settings.print_confirm_s if awaits_print else None

    def confirm_printed(self, ticket_id: int, *, issued_by: str | None = None, event_id: str | None = None) -> Ticket:
        """Its kiosk printed the ticket: callable from now on, in the place it had. A confirmation
        after it was closed 未出票 (the kiosk's link down longer than `print_confirm_s`) puts it
        back waiting: the citizen holds the paper. `issued_by`: only the issuing terminal confirms."""

        def fn(conn: Connection, now: float) -> Ticket:
            current = tickets.get(conn, ticket_id)
            if issued_by is not None and current.terminal != issued_by:
                raise NotYourTicket(current.number)
            if current.print_due is None:
                return tickets.to_ticket(current)  # nothing awaited its print
            frm = S(current.state)
            to = S.WAITING if frm is S.UNPRINTED else frm
            return tickets.to_ticket(tickets.move(conn, ticket_id, "printed", frm, to, now, values={"print_due": None}))

        return self._run("ticket_printed", event_id, fn, Ticket, durable=True)

    def close_unprinted(self) -> list[Ticket]:
        """未出票: a waiting ticket its kiosk did not confirm printed within `print_confirm_s`
        (the kiosk died between the answer and the print) is closed with its own outcome, never
        called or announced. A read first, so the housekeeping loop may call it often."""
        with self.db.read() as conn:
            if not tickets.unprinted_by(conn, self.clock.time()):
                return []

        def fn(conn: Connection, now: float) -> list[Ticket]:
            return [tickets.to_ticket(tickets.move(conn, t.id, "unprinted", S.WAITING, S.UNPRINTED, now,
                                                   detail=f"{t.terminal or ''} 未出票".strip()))
                    for t in tickets.unprinted_by(conn, now)]

        return self._run("close_unprinted", None, fn, list[Ticket])

    def unprinted(self) -> list[Ticket]:
        """Today's tickets closed 未出票, for the control room."""
        with self.db.read() as conn:
            return [tickets.to_ticket(r) for r in tickets.in_state(conn, self._day(self.clock.time()), S.UNPRINTED)]

    def call_next(self, window: str, *, event_id: str | None = None) -> Call:
        """The window calls the best waiting ticket among its categories (docs/queue.md, Order)."""

        def fn(conn: Connection, now: float) -> Call:
            w = windows.get(conn, window, (W.IDLE,), "call the next ticket")
            first = ordering.owed(w.streak, self.settings.fairness)
            head = ordering.next_for_window(first, self.db.dialect == "postgresql")(
                conn, {"window": window, "day": self._day(now), "now": now}).first()
            if head is None:
                raise NoTicketWaiting(window)
            return self._call(conn, now, w, head, S.WAITING, CallKind.CALL,
                              ordering.next_streak(w.streak, Tier(head.tier)))

        return self._run("call_next", event_id, fn, Call)

    def call_back(self, window: str, ticket_id: int, *, event_id: str | None = None) -> Call:
        """Call a ticket this window holds back to it (another window's held ticket is theirs)."""

        def fn(conn: Connection, now: float) -> Call:
            w = windows.get(conn, window, (W.IDLE,), "call a ticket back")
            ticket = tickets.get(conn, ticket_id)
            if ticket.state == S.HELD.value and ticket.window != window:
                raise NotHeldHere(ticket.number, window)
            return self._call(conn, now, w, ticket, S.HELD, CallKind.CALL_BACK, w.streak)

        return self._run("call_back", event_id, fn, Call)

    def _call(
        self, conn: Connection, now: float, w: Row[Any], ticket: Row[Any], frm: TicketState, kind: CallKind,
        streak: int,
    ) -> Call:
        """One operation: the ticket is called, a service opens, the window calls, and the
        announcement is written — all committed together or not at all."""
        service_id = windows.open_service(conn, w, ticket, now)
        row = tickets.move(conn, ticket.id, kind.value, frm, S.CALLED, now, window=w.code, staff=w.staff,
                           values={"window": w.code, "service_id": service_id})
        windows.move(conn, w.code, W.IDLE, W.CALLING, now, kind.value, ticket_id=ticket.id, service_id=service_id,
                     streak=streak)
        return windows.announce(conn, w, row, kind, now)

    def recall(self, window: str, *, event_id: str | None = None) -> Call:
        """Call the same ticket again (重呼); recalls are counted."""

        def fn(conn: Connection, now: float) -> Call:
            w = windows.get(conn, window, (W.CALLING,), "recall")
            recalls = tickets.get(conn, w.ticket_id).recalls + 1
            row = tickets.move(conn, w.ticket_id, "recall", S.CALLED, S.CALLED, now, window=window, staff=w.staff,
                               detail=f"recall {recalls}", values={"recalls": recalls})
            return windows.announce(conn, w, row, CallKind.RECALL, now)

        return self._run("recall", event_id, fn, Call)

    def start(self, window: str, *, from_call: bool = False, event_id: str | None = None) -> Ticket:
        """The citizen is at the counter: service begins. `from_call`: a caller keypad has no
        start key, so its service is counted from the call (else it would last 0 minutes)."""

        def fn(conn: Connection, now: float) -> Ticket:
            w = windows.move(conn, window, W.CALLING, W.SERVING, now, "start serving")
            row = tickets.move(conn, w.ticket_id, "start", S.CALLED, S.SERVING, now, window=window, staff=w.staff)
            began = now
            if from_call:
                began = conn.execute(select(services.c.called_at).where(services.c.id == w.service_id)).scalar_one()
            windows.start_service(conn, w.service_id, began)
            return tickets.to_ticket(row)

        return self._run("start", event_id, fn, Ticket)

    def finish(
        self, window: str, *, create_case: bool = False, item_code: str | None = None, event_id: str | None = None,
    ) -> Finished:
        """End the service; with `create_case` the accepted item becomes a case (办件) with a number."""

        def fn(conn: Connection, now: float) -> Finished:
            w = windows.move(conn, window, W.SERVING, W.IDLE, now, "finish")
            row = tickets.move(conn, w.ticket_id, "finish", S.SERVING, S.DONE, now, window=window, staff=w.staff)
            windows.end_service(conn, w.service_id, now, self.local(now).hour, "done", item_code)
            case = None
            if create_case:
                case = cases.open_case(self.db, conn, now, self._day(now), row, w, item_code or row.item_code)
            return Finished(tickets.to_ticket(row), w.service_id, case)

        return self._run("finish", event_id, fn, Finished)

    def no_show(self, window: str, *, event_id: str | None = None) -> Ticket:
        """过号: the called citizen did not come; reactivable for `reactivate_within_min`."""
        return self._leave_window(window, "no_show", (W.CALLING,), S.NO_SHOW, event_id)

    def hold(self, window: str, *, event_id: str | None = None) -> Ticket:
        """挂起: park the ticket (a missing paper, a phone call) and free the window."""
        return self._leave_window(window, "hold", (W.CALLING, W.SERVING), S.HELD, event_id)

    def _leave_window(
        self, window: str, action: str, from_window: Sequence[WindowState], to: TicketState, event_id: str | None,
    ) -> Ticket:
        def fn(conn: Connection, now: float) -> Ticket:
            w = windows.get(conn, window, from_window, action.replace("_", "-"))
            frm = S.CALLED if w.state == W.CALLING.value else S.SERVING
            # A held ticket stays the holding window's (held_at); a no-show belongs to nobody.
            row = tickets.move(conn, w.ticket_id, action, frm, to, now, window=window, staff=w.staff,
                               values={"window": window if to is S.HELD else None})
            windows.end_service(conn, w.service_id, now, self.local(now).hour, to.value)
            windows.move(conn, window, w.state, W.IDLE, now, action)
            return tickets.to_ticket(row)

        return self._run(action, event_id, fn, Ticket)

    def reactivate(self, ticket_id: int, *, event_id: str | None = None) -> Ticket:
        """A no-show comes back in time: waiting again, in the place it had or behind the next
        `reactivate_after_tickets` (the hall's rule, center/no_shows.py)."""

        def fn(conn: Connection, now: float) -> Ticket:
            current = tickets.get(conn, ticket_id)
            limit = self.settings.reactivate_within_min
            if current.state == S.NO_SHOW.value and now - current.state_at > limit * 60:
                raise ReactivationExpired(current.number, limit)
            behind = self.settings.reactivate_after_tickets
            values = {"sort_at": no_shows.place_behind(conn, current, behind, now)} if behind else None
            return tickets.to_ticket(tickets.move(conn, ticket_id, "reactivate", S.NO_SHOW, S.WAITING, now,
                                                  values=values))

        return self._run("reactivate", event_id, fn, Ticket)

    def transfer(self, ticket_id: int, category: str, *, event_id: str | None = None) -> Ticket:
        """转移: wait again in another category, keeping the arrival time (and so the place)."""
        self._rules(category)

        def fn(conn: Connection, now: float) -> Ticket:
            current = self._leave(conn, now, ticket_id, "transfer", (S.WAITING, S.CALLED, S.SERVING, S.HELD),
                                  "transferred")
            row = tickets.move(conn, ticket_id, "transfer", S(current.state), S.WAITING, now,
                               window=current.window, detail=f"{current.category} -> {category}",
                               values={"category": category, "window": None})
            return tickets.to_ticket(row)

        return self._run("transfer", event_id, fn, Ticket)

    def cancel(
        self, ticket_id: int, reason: str, *, issued_by: str | None = None, event_id: str | None = None,
    ) -> Ticket:
        """Void a ticket, e.g. one the kiosk could not print (no ghost tickets); its number is
        never issued again. `issued_by`: a terminal cancels only the tickets it issued."""

        def fn(conn: Connection, now: float) -> Ticket:
            if issued_by is not None and (owned := tickets.get(conn, ticket_id)).terminal != issued_by:
                raise NotYourTicket(owned.number)
            current = self._leave(conn, now, ticket_id, "cancel",
                                  (S.WAITING, S.CALLED, S.HELD, S.NO_SHOW, S.UNPRINTED), "cancelled")
            row = tickets.move(conn, ticket_id, "cancel", S(current.state), S.CANCELLED, now,
                               window=current.window, detail=reason[:200], values={"window": None})
            return tickets.to_ticket(row)

        return self._run("cancel", event_id, fn, Ticket, durable=True)

    def _leave(
        self, conn: Connection, now: float, ticket_id: int, action: str, allowed: Sequence[TicketState],
        outcome: str,
    ) -> Row[Any]:
        """Check the ticket may `action`, and free the window it stands at, if any."""
        current = tickets.get(conn, ticket_id)
        if current.state not in [s.value for s in allowed]:
            raise InvalidTransition(f"ticket {current.number}", current.state, action)
        if current.state in (S.CALLED.value, S.SERVING.value):
            w = windows.get(conn, current.window, (W.CALLING, W.SERVING), action)
            windows.end_service(conn, current.service_id, now, self.local(now).hour, outcome)
            windows.move(conn, w.code, w.state, W.IDLE, now, action)
        return current

    # ------------------------------------------------------------------ windows

    def configure_window(
        self, code: str, categories: Sequence[str], name: str | None = None, department: str | None = None,
    ) -> WindowView:
        """Create or change a window and the categories it serves (its state is kept)."""

        def fn(conn: Connection, now: float) -> WindowView:
            values = {"name": name or code, "department": department}
            exists = conn.execute(select(window_table.c.code).where(window_table.c.code == code)).first()
            if exists:
                conn.execute(update(window_table).where(window_table.c.code == code).values(**values))
            else:
                conn.execute(insert(window_table).values(code=code, state=W.CLOSED.value, streak=0, since=now,
                                                         **values))
            conn.execute(delete(window_categories).where(window_categories.c.window == code))
            if categories:
                conn.execute(insert(window_categories), [{"window": code, "category": c} for c in categories])
            return windows.views(conn, code)[0]

        return self._run("configure_window", None, fn, WindowView)

    def sign_in(self, window: str, staff: str, *, event_id: str | None = None) -> WindowView:
        return self._window_action(window, "sign_in", (W.CLOSED,), W.IDLE, event_id, staff=staff)

    def sign_out(self, window: str, *, event_id: str | None = None) -> WindowView:
        return self._window_action(window, "sign_out", (W.IDLE, W.PAUSED), W.CLOSED, event_id,
                                   staff=None, pause_reason=None)

    def pause(self, window: str, reason: str, *, event_id: str | None = None) -> WindowView:
        """暂停 with a reason people can read (break, meeting, system fault…)."""
        if not reason.strip():
            raise ValueError("a pause needs a reason")
        return self._window_action(window, "pause", (W.IDLE,), W.PAUSED, event_id, pause_reason=reason[:200])

    def resume(self, window: str, *, event_id: str | None = None) -> WindowView:
        return self._window_action(window, "resume", (W.PAUSED,), W.IDLE, event_id, pause_reason=None)

    def _window_action(
        self, window: str, action: str, allowed: Sequence[WindowState], to: WindowState, event_id: str | None,
        **values: Any,
    ) -> WindowView:
        def fn(conn: Connection, now: float) -> WindowView:
            w = windows.get(conn, window, allowed, action.replace("_", " "))
            windows.move(conn, window, w.state, to, now, action, **values)
            windows.log(conn, window, action, w.state, to, now, values.get("staff", w.staff),
                        values.get("pause_reason"))
            return windows.views(conn, window)[0]

        return self._run(action, event_id, fn, WindowView)

    # ------------------------------------------------------------------ day close

    def close_moment(self, day: date) -> float:
        """When `day` is closed: `day_close_after_min` after its last issuing period across the
        categories (hall calendar included), at the latest at the following midnight; a day
        without issuing hours closes at midnight."""
        midnight = datetime.combine(day + timedelta(days=1), time(), self.tz)
        last = self.calendar.last_closing(day, self._categories.values())
        if last is None:
            return midnight.timestamp()
        close = datetime.combine(day, last, self.tz) + timedelta(minutes=self.settings.day_close_after_min)
        return min(close, midnight).timestamp()

    def close_day(self) -> DayClose:
        """日终清场: every ticket of a closed day still waiting, called, serving or held becomes
        闭馆未办结 (`day_closed`, its history keeping the state it was in); an open service ends
        with that outcome; the windows still signed in from before the close (or, before today's
        close, from before midnight) are signed out, logged.

        Due are the days up to today once today's close moment has passed, else up to
        yesterday, so a center that was down over midnight closes them at its first run.
        Idempotent, one transaction; a read first, so the housekeeping loop may call it often."""
        now = self.clock.time()
        today = self.local(now).date()
        if now >= (closes := self.close_moment(today)):
            day, closed_at = today.isoformat(), closes
        else:  # yesterday and before; a window signed in before midnight belongs to them too
            day, closed_at = (today - timedelta(days=1)).isoformat(), self._midnight(now)
        with self.db.read() as conn:
            if not tickets.open_until(conn, day) and not windows.open_before(conn, closed_at):
                return DayClose(day)

        def fn(conn: Connection, now: float) -> DayClose:
            hour = self.local(now).hour
            closed = []
            for t in tickets.open_until(conn, day):
                if t.state in (S.CALLED.value, S.SERVING.value):
                    windows.end_service(conn, t.service_id, now, hour, S.DAY_CLOSED.value)
                closed.append(tickets.to_ticket(tickets.move(conn, t.id, "day_close", S(t.state), S.DAY_CLOSED, now,
                                                             window=t.window, detail=f"{t.day} 闭馆未办结")))
            freed = windows.open_before(conn, closed_at, busy_with=[t.id for t in closed])
            for w in freed:
                windows.move(conn, w.code, w.state, W.CLOSED, now, "day_close", staff=None, pause_reason=None)
                windows.log(conn, w.code, "day_close", w.state, W.CLOSED, now, w.staff, f"日终清场 {day}")
            return DayClose(day, tuple(closed), tuple(w.code for w in freed))

        return self._run("close_day", None, fn, DayClose)

    # ------------------------------------------------------------------ views

    def window_states(self) -> list[WindowView]:
        with self.db.read() as conn:
            return windows.views(conn)

    def ticket(self, ticket_id: int) -> Ticket:
        with self.db.read() as conn:
            return tickets.to_ticket(tickets.get(conn, ticket_id))

    def find_ticket(self, number: str) -> Ticket:
        """Today's ticket with this number, for numbers people type (a rating at the kiosk); the
        system itself keys tickets by id (numbers repeat from day to day)."""
        with self.db.read() as conn:
            return tickets.to_ticket(tickets.find(conn, number, self._day(self.clock.time())))

    def citizens_ticket(self, number: str, citizen_key: str | None) -> Ticket:
        """Today's ticket with this number, if the citizen of this card key took it: a number
        typed at the kiosk is someone's own only with their card (NotTheirsToRate else)."""
        with self.db.read() as conn:
            row = tickets.find(conn, number, self._day(self.clock.time()))
        if not (citizen_key and row.citizen_key and hmac.compare_digest(row.citizen_key, citizen_key)):
            raise NotTheirsToRate(number)
        return tickets.to_ticket(row)

    def ticket_by_ref(self, ref: str) -> Ticket:
        """The ticket its kiosk names by its unguessable reference (ids are sequential)."""
        with self.db.read() as conn:
            return tickets.to_ticket(tickets.by_ref(conn, ref))

    def held_at(self, window: str) -> list[Ticket]:
        """Tickets `window` has on hold, longest held first (for 回呼)."""
        with self.db.read() as conn:
            return [tickets.to_ticket(r) for r in tickets.held_at(conn, window)]

    def already_applied(self, event_id: str) -> bool:
        """Whether a terminal event was applied (a cheap pre-check; `event_id=` stays the guard)."""
        with self.db.read() as conn:
            return applied(conn, event_id)

    def history(self, ticket_id: int) -> list[Transition]:
        with self.db.read() as conn:
            tickets.get(conn, ticket_id)
            return tickets.history(conn, ticket_id)

    def last_called(self, category: str) -> str | None:
        with self.db.read() as conn:
            return waits.last_called(conn, category, self._midnight(self.clock.time()))

    def estimate(self, category: str) -> Estimate:
        """The wait for someone taking a number of `category` now."""
        self._rules(category)
        now = self.clock.time()
        day = self._day(now)
        with self.db.read() as conn:
            ahead = tickets.waiting_by_category(conn, day).get(category, (0, now))[0]
            return self._hall(conn, now, [category]).estimate(category, ahead)

    def ticket_view(self, ticket_id: int) -> TicketView:
        """查: where a ticket stands — people ahead, the last number called, the wait."""
        now = self.clock.time()
        with self.db.read() as conn:
            return self._view(conn, now, tickets.get(conn, ticket_id))

    def _view(self, conn: Connection, now: float, t: Row[Any]) -> TicketView:
        ahead, not_before = 0, now
        if t.state == S.WAITING.value:
            if t.tier == Tier.APPOINTMENT:  # checked in early, it is called from its slot's start
                not_before = max(now, t.sort_at)
            ahead = ordering.count_ahead(conn, t.category, t.day, t.tier, t.sort_at, t.id,
                                         self.settings.fairness.first, not_before)
        estimate = self._hall(conn, now, [t.category]).estimate(t.category, ahead, not_before - now)
        last = waits.last_called(conn, t.category, self._midnight(now))
        return TicketView(tickets.to_ticket(t), ahead, last, estimate)

    def queue_summary(self) -> list[CategorySummary]:
        """Per category: issued today, waiting, longest wait, last called, open windows, estimate,
        closed 闭馆未办结 today."""
        now = self.clock.time()
        day = self._day(now)
        with self.db.read() as conn:
            waiting = tickets.waiting_by_category(conn, day)
            closed = tickets.closed_by_category(conn, day)
            issued = dict(conn.execute(select(counters.c.series, counters.c.last).where(counters.c.day == day)).all())
            hall = self._hall(conn, now, self._categories)
            summary = []
            for code in sorted(self._categories):
                n, oldest = waiting.get(code, (0, now))
                estimate = hall.estimate(code, n)
                summary.append(CategorySummary(
                    code, issued.get(code, 0), n, now - oldest, waits.last_called(conn, code, self._midnight(now)),
                    estimate.open_windows, estimate, closed.get(code, 0),
                ))
            return summary

    def _hall(self, conn: Connection, now: float, categories: Iterable[str]) -> waits.Hall:
        return waits.hall(conn, now, self._day(now), self.local(now).hour, self._midnight(now), categories,
                          self.settings, self._priors, self.reading(self._day(now)))

    def reading(self, day: str) -> waits.Reading:
        """Today's windows and finished services as the estimates read them: the one kept since
        the last window step, else read afresh — in a snapshot taken after counting the writes,
        so it holds them all — and kept unless a write committed meanwhile."""
        kept, writes = self._reading, self._writes
        if kept is not None and kept[:2] == (writes, day):
            return kept[2]
        with self.db.read() as conn:
            fresh = waits.read(conn, day)
        with self._reading_lock:
            if self._writes == writes:
                self._reading = (writes, day, fresh)
        return fresh

    # ------------------------------------------------------------------ appointments

    def book_appointment(
        self, category: str, citizen_key: str, slot_start: datetime, slot_end: datetime,
        item_code: str | None = None, channel: str = "web", *, event_id: str | None = None,
    ) -> Appointment:
        """Book a place in a slot; naive datetimes are the hall's local time."""
        rules = self._rules(category)
        _key(citizen_key)
        start, end = (d.astimezone(self.tz) if d.tzinfo else d.replace(tzinfo=self.tz) for d in (slot_start, slot_end))

        def fn(conn: Connection, now: float) -> Appointment:
            row = appointments.book(self.db, conn, now, rules, citizen_key, start, end, self.settings, item_code,
                                    channel)
            return appointments.to_appointment(row)

        return self._run("book_appointment", event_id, fn, Appointment, durable=True)

    def check_in(
        self, *, citizen_key: str | None = None, code: str | None = None, terminal: str | None = None,
        awaits_print: bool = False, event_id: str | None = None,
    ) -> Appointment:
        """Check in at a kiosk by ID card (its keyed hash) or the booking's QR code: a ticket
        ahead of the walk-ins from its slot's start (an early one waits for it, walk-ins going
        first meanwhile: `timing` says which); TooEarly or AppointmentMissed outside the
        check-in window. Checking in twice gives back the same ticket (one closed 未出票 waits
        again for its new print). `awaits_print`: as `issue_ticket`'s."""
        _key(citizen_key)

        def fn(conn: Connection, now: float) -> Appointment:
            row = appointments.find_for_check_in(conn, now, self._day(now), self.settings, citizen_key, code)
            if row.state == "checked_in":
                ticket = tickets.get(conn, row.ticket_id)
                if ticket.state == S.UNPRINTED.value:
                    ticket = tickets.move(conn, ticket.id, "check_in", S.UNPRINTED, S.WAITING, now,
                                          values={"print_due": self._print_due(now, awaits_print)})
                return appointments.to_appointment(row, ticket=tickets.to_ticket(ticket),
                                                   timing=appointments.arrival(row.slot_start, row.slot_end, now))
            when = appointments.timing(row.slot_start, row.slot_end, now, self.settings)
            if when is appointments.Timing.TOO_EARLY:
                raise TooEarly(self.local(row.slot_start - self.settings.checkin_early_min * 60))
            if when is appointments.Timing.MISSED:
                appointments.mark(conn, row.id, "missed")
                return appointments.to_appointment(row, state="missed")
            ticket = tickets.issue(
                self.db, conn, now, self._day(now), self._rules(row.category), tier=Tier.APPOINTMENT,
                sort_at=row.slot_start, channel="appointment", cap=numbers.MAX_SEQ, item_code=row.item_code,
                terminal=terminal, citizen_key=row.citizen_key, appointment_id=row.id,
                print_due=self._print_due(now, awaits_print),
            )
            appointments.mark(conn, row.id, "checked_in", ticket.id)
            return appointments.to_appointment(row, state="checked_in", ticket=tickets.to_ticket(ticket), timing=when)

        result = self._run("check_in", event_id, fn, Appointment, durable=True)
        if result.state == "missed":  # committed as missed, then told
            raise AppointmentMissed(self.local(result.slot_end))
        return result

    # ------------------------------------------------------------------ appointments on the phone

    def appointment(self, code: str) -> Appointment:
        """A booking by its code (the booking page's, or the QR code the kiosk scans)."""
        with self.db.read() as conn:
            row = appointments.by_code(conn, code)
            ticket = tickets.to_ticket(tickets.get(conn, row.ticket_id)) if row.ticket_id else None
            return appointments.to_appointment(row, ticket=ticket)

    def cancel_appointment(self, code: str, *, event_id: str | None = None) -> Appointment:
        """Cancel a booking until `change_until_min` before its slot; its place is freed."""
        return self._run("cancel_appointment", event_id, lambda conn, now: appointments.to_appointment(
            appointments.cancel(conn, code, now, self.settings, self.tz)), Appointment, durable=True)

    def move_appointment(
        self, code: str, slot_start: datetime, slot_end: datetime, *, event_id: str | None = None,
    ) -> Appointment:
        """Move a booking to another slot of its category: SlotFull or ChangeTooLate leave it as it was."""
        start, end = (d.astimezone(self.tz) if d.tzinfo else d.replace(tzinfo=self.tz) for d in (slot_start, slot_end))
        return self._run("move_appointment", event_id, lambda conn, now: appointments.to_appointment(
            appointments.move(self.db, conn, code, start, end, now, self.settings)), Appointment, durable=True)

    def open_slots(
        self, category: str, length_s: float, days: int = 7, limit: int = 24,
    ) -> list[tuple[float, float, int]]:
        """Slots of `length_s` a booking may still move to — inside the category's hours (hall
        calendar included), from `change_until_min` on, over `days` — as (start, end, places left)."""
        rules = self._rules(category)
        now = self.clock.time()
        earliest = now + self.settings.change_until_min * 60
        starts: list[tuple[datetime, datetime]] = []
        day = self.local(now).date()
        for _ in range(days):
            for begin, finish in self.calendar.periods(day, rules):
                start = datetime.combine(day, begin, self.tz)
                while start + timedelta(seconds=length_s) <= datetime.combine(day, finish, self.tz):
                    if start.timestamp() >= earliest:
                        starts.append((start, start + timedelta(seconds=length_s)))
                    start += timedelta(seconds=length_s)
            day += timedelta(days=1)
        left = self.slots_left(category, [s for s, _ in starts])
        return [(s.timestamp(), e.timestamp(), left[s.timestamp()]) for s, e in starts if left[s.timestamp()]][:limit]

    def slots_left(self, category: str, slot_starts: Sequence[datetime]) -> dict[float, int]:
        """Places still free in each slot asked about (the booking page offers them)."""
        self._rules(category)
        with self.db.read() as conn:
            return appointments.places_left(conn, category, [s.timestamp() for s in slot_starts], self.settings)

    # ------------------------------------------------------------------ cases

    def case(self, case_no: str) -> Case:
        with self.db.read() as conn:
            return cases.find(conn, case_no=case_no)[0]

    def cases_of(self, citizen_key: str) -> list[Case]:
        """查: a citizen's cases, by the keyed hash of the ID card."""
        _key(citizen_key)
        with self.db.read() as conn:
            return cases.find(conn, citizen_key=citizen_key)

    def advance_case(
        self, case_no: str, state: str, by: str | None = None, note: str | None = None, *,
        event_id: str | None = None,
    ) -> Case:
        return self._run("advance_case", event_id, lambda conn, now: cases.advance(conn, now, case_no, state, by, note),
                         Case)

    # ------------------------------------------------------------------ ratings

    def rate(
        self, level: int, *, service_id: int | None = None, window: str | None = None, ticket_id: int | None = None,
        case_no: str | None = None, reasons: Sequence[str] = (), channel: str = "pad",
        dimensions: dict[str, int] | None = None, event_id: str | None = None,
    ) -> Rating:
        """Rate a finished service, once (好差评, hall.md §2): by service id, case number, ticket,
        or — the window's pad — the service that just ended there. A 差评 opens a follow-up
        and raises an alert; a pad cannot take reasons, so its 差评's reason is asked at the
        follow-up (回访), while every other channel must give one."""

        def fn(conn: Connection, now: float) -> Rating:
            if window is not None:
                service = ratings.pad_service(conn, window, now - self.settings.pad_rating_within_min * 60)
            else:
                service = ratings.find_service(conn, service_id=service_id, ticket_id=ticket_id, case_no=case_no)
            deadline = ratings.deadline_after(self.local(now), self.settings.follow_up_working_days)
            rating = ratings.rate(conn, now, service, level, reasons, channel, dimensions or {}, deadline,
                                  reason_later=channel == Channel.PAD.value)
            if rating.follow_up_id is not None:
                alerts.raise_alert(self.db, conn, now, AlertKind.BAD_RATING, str(rating.follow_up_id),
                                   i18n.text("alert.bad_rating", level=level, number=rating.ticket_number,
                                             window=rating.window, reasons=i18n.text("common.list_sep").join(
                                                 rating.reasons) or i18n.text("alert.reason_to_check")))
            return rating

        return self._run("rate", event_id, fn, Rating, durable=True)

    def ticket_rating(self, ticket_id: int) -> Rating | None:
        """The rating a ticket's service got, from any channel (the phone page shows it)."""
        with self.db.read() as conn:
            return ratings.of_ticket(conn, ticket_id)

    def rate_unrated(self, limit: int = 500) -> list[Rating]:
        """Where the province counts a service not rated in time as a level (广东: 7 days →
        基本满意), rate those services so, channel `unrated`; nothing when the hall has no such
        rule (`unrated_counts_as` unset). Each is one ordinary rating: a later one is refused."""
        level = self.settings.unrated_counts_as
        if level is None:
            return []

        def fn(conn: Connection, now: float) -> list[Rating]:
            cutoff = now - self.settings.unrated_after_days * 86400
            deadline = ratings.deadline_after(self.local(now), self.settings.follow_up_working_days)
            return [ratings.rate(conn, now, service, level, (), Channel.UNRATED.value, {}, deadline, reason_later=True)
                    for service in ratings.unrated(conn, cutoff, limit)]

        return self._run("rate_unrated", None, fn, list[Rating], durable=True)

    def follow_up(self, follow_up_id: int) -> FollowUp:
        with self.db.read() as conn:
            return ratings.load(conn, follow_up_id)

    def open_follow_ups(self) -> list[FollowUp]:
        with self.db.read() as conn:
            return ratings.open_follow_ups(conn)

    def follow_up_step(
        self, follow_up_id: int, action: FollowUpAction, by: str, note: str | None = None, *,
        event_id: str | None = None,
    ) -> FollowUp:
        """Record a step of a 差评's follow-up; closing it clears its alert."""

        def fn(conn: Connection, now: float) -> FollowUp:
            follow_up = ratings.step(conn, now, follow_up_id, FollowUpAction(action), by, note)
            if follow_up.state == "closed":
                alerts.clear_alert(conn, now, AlertKind.BAD_RATING, str(follow_up_id))
                alerts.clear_alert(conn, now, AlertKind.FOLLOW_UP_OVERDUE, str(follow_up_id))
            return follow_up

        return self._run("follow_up_step", event_id, fn, FollowUp)

    # ------------------------------------------------------------------ refused events

    def refuse_event(self, terminal: str, kind: str, event_id: str, error: str, message: str,
                     payload: dict[str, Any]) -> None:
        """Keep a refused terminal event (durable: its ack lets the terminal forget it)."""
        self._run("refuse_event", None, lambda conn, now: refusals.record(
            self.db, conn, now, terminal, kind, event_id, error, message, payload), type(None), durable=True)

    def refused_events(self, limit: int = 50) -> list[refusals.RefusedEvent]:
        with self.db.read() as conn:
            return refusals.latest(conn, limit)

    # ------------------------------------------------------------------ alerts

    def raise_alert(self, kind: AlertKind, key: str, text: str, *, event_id: str | None = None) -> Alert:
        """Raise or refresh the alert (kind, key); repeats update it, never duplicate it."""
        return self._run("raise_alert", event_id,
                         lambda conn, now: alerts.raise_alert(self.db, conn, now, AlertKind(kind), key, text), Alert)

    def clear_alert(self, kind: AlertKind, key: str, *, event_id: str | None = None) -> bool:
        return self._run("clear_alert", event_id,
                         lambda conn, now: alerts.clear_alert(conn, now, AlertKind(kind), key), bool)

    def ack_alert(self, kind: AlertKind, key: str, by: str) -> Alert | None:
        return self._run("ack_alert", None, lambda conn, now: alerts.ack_alert(conn, now, AlertKind(kind), key, by),
                         Alert)

    def list_alerts(self, active_only: bool = True) -> list[Alert]:
        with self.db.read() as conn:
            return alerts.listing(conn, active_only)

    def check_alerts(self) -> list[Alert]:
        """Re-evaluate the queue's own alerts (call it every few seconds); the active alerts."""
        return self._run("check_alerts", None, lambda conn, now: alerts.sync_queue_alerts(
            self.db, conn, now, self._day(now), self._categories, self.settings), list[Alert])
