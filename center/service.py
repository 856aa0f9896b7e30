"""The hall control center: the queue engine joined to the hall link and the screens.

This module is the composition root: it builds the center's parts, each of one concern and
given only what it uses, wires them, and starts and stops them in order (docs/center.md,
"Parts"). Hall code reaches a part by name — `service.requests.take_number(…)`,
`service.events.apply(…)`, `service.desk.call_next(…)`, `service.announcing.announce(…)`.
"""
from __future__ import annotations

import logging

from center import i18n
from center.announcing import Announcing
from center.answers import Answers
from center.availability import Availability
from center.catalog_load import load_catalog
from center.config import CenterConfig
from center.db import open_database
from center.floor import Floor
from center.housekeeping import Housekeeping
from center.hub import Hub
from center.near_turn import NearTurn
from center.publishing import HallPublishing
from center.queue import QueueEngine
from center.queue_types import CategoryRules
from center.requests import Requests
from center.staff import StaffDirectory
from center.terminal_events import TerminalEvents
from center.tokens import PhoneLinks, Signer, load_key
from center.window_desk import WindowDesk
from core.calendar import load_calendar
from core.catalog import Catalog
from core.clock import Clock
from mqtt import payloads
from mqtt.center import CenterLink

log = logging.getLogger("center")


def category_rules(catalog: Catalog) -> list[CategoryRules]:
    return [CategoryRules(code=c.letter, letter=c.letter, daily_cap=c.daily_cap, wait_target_min=c.wait_target_min,
                          hours={wd: c.hours.periods(wd) for wd in range(7)}) for c in catalog.categories]


class CenterService:
    """Builds the center's parts on one config and clock, wires them, starts and stops them."""

    def __init__(self, config: CenterConfig, *, clock: Clock | None = None) -> None:
        self.config = config
        i18n.use(config.web.language)  # the language of what the center words for its screens
        self.clock = clock = clock or config.clock.clock()
        config.state_dir.mkdir(parents=True, exist_ok=True)
        self.calendar = load_calendar(config.calendar)
        for year in self.calendar.provisional_years:
            log.warning("provisional hall calendar: replace it with the State Council's notice (docs/calendar.md)",
                        extra={"year": year})
        self.catalog = load_catalog(config.catalog, self.calendar)
        self.db = open_database(config.database)
        self.engine = QueueEngine(self.db, clock, category_rules(self.catalog), config.queue, self.calendar)
        for code, window in config.windows.items():
            self.engine.configure_window(code, window.categories, window.name, window.department)
        self.hub = Hub()
        self.staff = StaffDirectory(self.db, clock, config.staff)  # accounts and sessions of the web
        phone = config.citizen_web
        key = load_key(phone.key_file or config.state_dir / "citizen-web.key")
        self.phone = PhoneLinks(phone.base_url, Signer(key), self.engine.close_moment)
        self.answers = Answers(self.engine, self.catalog, self.calendar, self.db, self.phone,
                               config.queue.priority_groups, clock)
        self.near_turn = NearTurn(self.engine, config.citizen_web, config.windows, self.catalog,
                                  self.answers.window_area, clock)
        # The link is built on the events, the publishing and the desk on the link: the events reach
        # those two when an event comes, not when they are built.
        self.events = TerminalEvents(self.engine, self.db, self.hub, clock, config.windows,
                                     self.answers.ticket_of_token, lambda: self.publishing.queue_changed(),
                                     lambda window, key, event_id: self.desk.key(window, key, event_id))
        self.link = CenterLink(config.mqtt, self.events, clock=clock)
        self.publishing = HallPublishing(self.link, self.hub, self.catalog, self.engine, self.near_turn)
        self.announcing = Announcing(self.link, self.hub, self.near_turn, self.engine, config.windows)
        self.availability = Availability(self.engine, self.hub, config.outbox_backlog_alert,
                                         config.clock_offset_alert_ms)
        self.floor = Floor(self.engine, self.db, self.hub, clock, self.calendar, self.staff, config.floor,
                           self.availability.alert, self.link.send_command)
        self.desk = WindowDesk(self.engine, self.db, self.hub, config.windows, self.answers,
                               self.announcing.announce, self.publishing.queue_changed, self.floor.promise,
                               self.link.send_command)
        self.requests = Requests(self.engine, self.answers, self.publishing.queue_changed)
        self.housekeeping = Housekeeping(self.engine, self.db, self.hub, clock, self.staff, self.floor,
                                         self.availability, self.publishing, lambda: self.link.terminals.values(),
                                         config.housekeeping_period, config.staff.audit_keep_days)
        for op, answer in payloads.RESULTS.items():
            self.link.on_request(op, getattr(self.requests, op), answer)
        self.link.listeners.append(self.availability.terminal_changed)

    def start(self) -> None:
        self.link.start()
        self.housekeeping.close_day()  # a center that was down over midnight closes the days it missed first
        self.near_turn.start()
        self.housekeeping.start()
        self.publishing.start()

    def stop(self) -> None:
        self.housekeeping.stop()
        self.publishing.stop()
        self.link.stop()
        self.near_turn.stop()
        self.db.dispose()
