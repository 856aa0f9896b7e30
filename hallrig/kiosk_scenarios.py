"""The kiosk's UI scenarios, each a generator driven by hallrig/kiosk_driver.py.

They depend only on the local API contract: the fake daemon stands in for the real one,
and `d.daemon` is how a scenario makes a card appear or the printer run out of paper; the
`hall_*` ones run against a real hall, where `d.daemon` steers its simulators.
"""
from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from hallrig.kiosk_driver import OPEN_TIME, Driver
from hallrig.kiosk_fake_daemon import CARD_CASES, NO_SHOW_RULE, TICKET_QR

Step = Generator[Any, None, None]


def with_card(d: Driver, name: str = "张*", elderly: bool = False) -> Step:
    """取号 with an ID card: the tile, the identify screen, the card placed, the categories."""
    yield from d.tap("tile_take_number")
    yield from d.screen("identify")
    d.daemon.place_card(name, elderly=elderly)
    yield from d.screen("category")


def take_number(d: Driver) -> Step:
    """Home → card → category A → an item → no priority → the ticket."""
    yield from d.tap("tile_take_number")
    yield from d.screen("identify")
    yield from d.shot("identify")
    d.daemon.place_card("张*")
    yield from d.screen("category")
    d.check(d.sees("张*"), "the greeting shows the masked name")
    yield from d.shot("category")
    yield from d.tap("category_A")
    yield from d.tap("item_A01")
    yield from d.tap("priority_disabled")
    yield from d.shot("category-items")
    yield from d.tap("take")
    yield from d.screen("ticket")
    args = d.daemon.ops("take_number")[-1]
    d.check(args == {"category": "A", "item_code": "A01", "priority": "disabled", "use_card": True},
            f"take_number args {args}")
    number = d.text_of("ticket_number")
    d.check(number.startswith("A") and len(number) == 4, f"ticket number {number!r}")
    d.check(d.find("ticket_priority") is not None, "the priority lane is shown")
    d.check(d.sees(NO_SHOW_RULE), "the hall's 过号 rule, as printed on the ticket")
    d.notes["ticket"] = number
    yield from d.shot("ticket")
    yield from d.tap("ticket_home")
    yield from d.screen("home")


def guides(d: Driver) -> Step:
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    yield from d.shot("guides")
    yield from d.tap("group_A")
    yield from d.shot("guides-items")
    yield from d.tap("guide_A01")
    yield from d.screen("item")
    d.check(d.sees("不动产转移登记"), "item details")
    d.check(d.sees("户口簿"), "materials listed")
    yield from d.shot("item")
    yield from d.tap("print_notice")
    yield from d.until(lambda: d.find("print_result") is not None, "printed")
    printed = d.daemon.ops("print_checklist")[-1]
    d.check(printed["service"] == "不动产转移登记（二手房买卖）" and printed["qr"].endswith("A01")
            and any(m["name"] == "户口簿" and m["optional"] for m in printed["materials"]), f"the notice {printed}")
    yield from d.tap("home")
    yield from d.screen("home")
    # by department, then search by pinyin initials
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    yield from d.tap("mode_department")
    yield from d.shot("guides-departments")
    yield from d.tap("mode_search")
    for key in "bdc":
        yield from d.tap(f"key_{key}")
    d.check(d.text_of("search_query") == "bdc", "typed initials")
    d.check(d.find("guide_A01") is not None, "bdc finds 不动产 items")
    yield from d.shot("search")
    yield from d.tap("home")
    yield from d.screen("home")


def life_event(d: Driver) -> Step:
    snapshot_events = d.daemon.snapshot["life_events"]
    event = next(e for e in snapshot_events if e.get("questions"))
    question = event["questions"][0]
    option = question["options"][-1]
    yield from d.tap("tile_life_events")
    yield from d.screen("life")
    yield from d.shot("life")
    yield from d.tap(f"event_{event['code']}")
    yield from d.screen("life_event")
    yield from d.shot("life-questions")
    yield from d.tap(f"answer_{question['id']}_{option['value']}")
    yield from d.tap("show_list")
    yield from d.until(lambda: d.find("material_1") is not None, "the merged list")
    yield from d.shot("life-list")
    expected = d.app.guides.merge(event["code"], {question["id"]: option["value"]})
    d.notes["merged"] = len(expected.materials)
    d.check(d.find(f"material_{len(expected.materials)}") is not None
            and d.find(f"material_{len(expected.materials) + 1}") is None, "one line per merged material")
    yield from d.tap("print_notice")
    yield from d.until(lambda: d.find("print_result") is not None, "printed")
    printed = d.daemon.ops("print_checklist")[-1]
    d.check(printed["service"] == event["name"] and [m["name"] for m in printed["materials"]] ==
            [m.name for m in expected.materials], "the event's merged list printed")
    yield from d.tap("life_take")
    yield from d.screen("identify")
    d.daemon.place_card("李*")
    yield from d.screen("category")
    d.check(d.find("event_name") is not None, "the event is named")
    yield from d.tap("take")
    yield from d.screen("ticket")
    args = d.daemon.ops("take_number")[-1]
    d.check(args["category"] == event["category"] and args["event_code"] == event["code"], f"event ticket {args}")
    d.check(args["answers"] == dict(expected.answers), f"the answers travel with the request: {args}")
    yield from d.tap("ticket_home")
    yield from d.screen("home")


def check_in(d: Driver) -> Step:
    yield from d.tap("tile_check_in")
    yield from d.screen("identify")
    yield from d.shot("check-in")
    d.daemon.scan("AP-20261125-0042")
    yield from d.screen("ticket")
    d.check(d.daemon.ops("check_in")[-1] == {"use_card": False, "code": "AP-20261125-0042"}, "checked in by code")
    d.check(d.sees("10:00-10:30"), "the slot is shown")
    d.check(d.sees(d.app.tr("check_in_early")), "an early check-in is told it is called from the slot's start")
    yield from d.shot("check-in-done")
    yield from d.tap("ticket_home")
    yield from d.screen("home")


def check_in_refused(d: Driver) -> Step:
    """Too early: the come-back time, in the screen's language; no booking: said, with what to do."""
    from hallrig.kiosk_fake_daemon import EARLY_CODE, NO_BOOKING_CODE

    for code, key, values in ((EARLY_CODE, "err_TooEarly_detail", {"come_back_at": "11:30"}),
                              (NO_BOOKING_CODE, "err_NoAppointment", {})):
        yield from d.tap("tile_check_in")
        yield from d.screen("identify")
        d.daemon.scan(code)
        yield from d.screen("notice")
        d.check(d.text_of("notice_title") == d.app.tr(key, **values), f"{code}: {d.text_of('notice_title')!r}")
        yield from d.shot("check-in-too-early" if values else "check-in-no-booking")
        yield from d.tap("notice_home")
        yield from d.screen("home")


def take_your_card(d: Driver) -> Step:
    """The ticket screen says 请取走身份证 while the card lies on the reader, and stops once lifted."""
    yield from with_card(d)
    yield from d.tap("category_B")
    yield from d.tap("take")
    yield from d.screen("ticket")
    d.check(d.find("take_card") is not None and d.text_of("take_card") == d.app.tr("take_card"), "the card reminder")
    d.check(d.inside_body("ticket_number") and d.inside_body("take_card"), "the number and the reminder fully shown")
    yield from d.shot("ticket-take-card")
    d.daemon.remove_card()
    yield from d.until(lambda: d.find("take_card") is None, "the reminder gone with the card")
    yield from d.tap("ticket_home")
    yield from d.screen("home")


def card_left_lying(d: Driver) -> Step:
    """Finding 7: a card lies on the reader from before (the citizen went home without lifting it,
    or the next one put theirs down first): 取号 reads it, instead of waiting for a new one."""
    yield from with_card(d)
    yield from d.tap("home")  # forgotten, but the card still lies there
    yield from d.screen("home")
    d.check(d.daemon.card is None and d.daemon.lying is not None, "the daemon forgot the card lying there")
    yield from d.tap("tile_take_number")
    yield from d.screen("category")
    d.check(d.daemon.ops("read_card") == [{}], "the kiosk asked for the card on the reader")
    d.check(d.sees("张*"), "greeted by the card lying there")
    yield from d.tap("home")
    yield from d.screen("home")
    d.daemon.remove_card()
    yield from d.until(lambda: not d.app.card_on_reader, "the card lifted")
    yield from d.tap("tile_take_number")
    yield from d.screen("identify")
    d.check(len(d.daemon.ops("read_card")) == 1, "no card lying there: nothing to read again")
    yield from d.tap("home")
    yield from d.screen("home")


def voice_guidance(d: Driver) -> Step:
    """Finding 11: 语音引导 — off in standard mode, on in elder mode: each screen's title, the
    number and where to wait, 请取走您的身份证; the citizen can switch it off (and on)."""
    voice = d.app.voice
    d.check(d.text_of("toggle_voice") == d.app.tr("voice_off"), "the home screen's toggle says the voice is off")
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    d.check(voice.spoken == [], "standard mode: silent")
    yield from d.tap("home")
    yield from d.screen("home")
    yield from d.tap("toggle_elder")
    yield from d.until(lambda: voice.spoken[-1:] == [d.app.tr("attract")], "elder mode says the screen")
    d.check(d.text_of("toggle_voice") == d.app.tr("voice_on"), "the toggle says the voice is on")
    yield from d.tap("tile_take_number")
    yield from d.screen("identify")
    d.check(voice.spoken[-1] == d.app.tr("card_title"), f"the title said: {voice.spoken[-1:]}")
    d.daemon.place_card("欧阳**", elderly=True)
    yield from d.screen("category")
    d.check(voice.spoken[-1] == d.app.tr("choose_category"), "the category title said")
    d.check(not any("欧阳" in said for said in voice.spoken), "no name is said aloud")
    yield from d.tap("category_B")
    yield from d.tap("take")
    yield from d.screen("ticket")
    number, area = d.text_of("ticket_number"), d.daemon.snapshot["categories"][1]["window_area"]
    where = d.app.tr("ticket_window", window_area=area)
    d.check(voice.spoken[-1] == f"{d.app.tr('voice_ticket', number=number, where=where)} {d.app.tr('take_card')}",
            f"the number, where to go and the card said: {voice.spoken[-1]!r}")
    d.daemon.remove_card()
    yield from d.tap("ticket_home")
    yield from d.screen("home")
    yield from d.tap("toggle_voice")
    d.check(not d.app.voice_on and d.text_of("toggle_voice") == d.app.tr("voice_off"), "switched off")
    said = len(voice.spoken)
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    d.check(len(voice.spoken) == said, "silent once switched off")
    yield from d.tap("home")
    yield from d.screen("home")
    yield from d.tap("toggle_voice")
    yield from d.until(lambda: voice.spoken[-1:] == [d.app.tr("attract")], "and on again")


def elder_layout(d: Driver) -> Step:
    """Finding 11: elder mode enlarges the header's controls too, the home tiles keep at least
    their standard height, and a senior's 绿色通道 is said once."""
    from kiosk.widgets import STYLE

    def sizes() -> dict[str, tuple[float, float]]:
        return {k: (d.find(k).height, d.find(k).font_size) for k in ("toggle_elder", "toggle_language",
                                                                       "tile_take_number")}
    standard = sizes()
    yield from d.tap("toggle_elder")
    yield from d.frames(3)
    elder = sizes()
    for key in ("toggle_elder", "toggle_language"):
        d.check(elder[key][0] > standard[key][0] and elder[key][1] > standard[key][1], f"{key} enlarged: "
                f"{standard[key]} → {elder[key]}")
    d.check(elder["tile_take_number"][0] >= standard["tile_take_number"][0] - 1,
            f"tiles keep their height: {standard['tile_take_number'][0]:.0f} → {elder['tile_take_number'][0]:.0f}")
    yield from d.tap("tile_take_number")
    yield from d.screen("identify")
    d.check(d.find("back").font_size > STYLE.font("body", False), "返回 enlarged")
    d.daemon.place_card("欧阳**", elderly=True)
    yield from d.screen("category")
    yield from d.tap("category_B")
    yield from d.frames(2)
    lane = "绿色通道" if d.app.tr.language == "zh" else "Priority lane"
    d.check(sum(lane in t for t in d.texts()) == 1, f"{lane} said once: {[t for t in d.texts() if lane in t]}")
    yield from d.tap("home")
    yield from d.screen("home")


def back_to_defaults(d: Driver) -> Step:
    """Run with --idle 3. English and large text left on home: home returns to Chinese standard
    mode by itself; no header control sits on one screen where another one was on the next."""
    from kiosk.widgets import STYLE, Big

    yield from d.tap("toggle_language")
    yield from d.tap("toggle_elder")
    d.check(d.app.tr.language == "en" and STYLE.elder, "English, large text")
    yield from d.until(lambda: d.app.tr.language == d.app.settings.language and not STYLE.elder,
                       "home back to the defaults", timeout=20)
    yield from d.screen("home")
    d.check(d.find("toggle_language").text == "English", "the home screen in Chinese again")

    def places() -> dict[str, tuple[float, float, float, float]]:
        return {w.kiosk_id: (*w.to_window(*w.pos), *w.size) for w in d.widgets() if isinstance(w, Big) and w.kiosk_id}
    home = places()
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    inner = places()
    for kid in ("toggle_language", "toggle_elder"):
        d.check(home[kid] == inner[kid], f"{kid} keeps its place")

    def overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
        return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
    for kid, name in (("home", "首页"), ("back", "返回")):
        crowded = [other for other, place in home.items() if overlap(place, inner[kid])]
        d.check(not crowded, f"on home, {crowded} sit where {name} is on the next screen")
    yield from d.tap("home")
    yield from d.screen("home")


def go_back(d: Driver) -> Step:
    """Issue 15, finding 8: 返回 on every inner screen, one step at a time, keeping what the
    citizen chose; where a flow ends (the ticket) there is none; from the first screen, home."""
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    yield from d.tap("group_A")
    d.check(d.find("guide_A01") is not None, "category A's items")
    yield from d.tap("guide_A01")
    yield from d.screen("item")
    yield from d.shot("back-item")
    yield from d.tap("back")
    yield from d.screen("guides")
    d.check(d.find("guide_A01") is not None, "back on category A's items, as left")
    yield from d.tap("back")
    d.check(d.app.sm.current == "guides" and d.find("group_A") is not None, "a step back: the categories")
    yield from d.tap("back")
    yield from d.screen("home")
    d.check(d.find("back") is None, "no 返回 on home")
    # the number flow: a wrong category is undone without losing the citizen
    yield from with_card(d)
    yield from d.tap("category_A")
    d.check(d.app.screen.state["category"] == "A", "category A chosen")
    yield from d.tap("back")
    d.check(d.app.sm.current == "category" and d.app.screen.state["category"] is None, "back to the categories")
    d.check(d.sees("张*"), "the citizen is still greeted: nothing forgotten")
    yield from d.shot("back-categories")
    yield from d.tap("home")
    yield from d.screen("home")


def progress(d: Driver) -> Step:
    """查: a typed case number shows the case in words; an unknown one is said and can be corrected."""
    yield from d.tap("tile_progress")
    yield from d.screen("progress")
    for key in "20261122000099":
        yield from d.tap(f"key_{key}")
    yield from d.tap("lookup")
    yield from d.until(lambda: d.find("cases_none") is not None, "the unknown number said")
    d.check(d.app.sm.current == "progress" and d.sees("20261122000099"), "the unknown number is named, on this screen")
    d.check(d.text_of("case_number") == "20261122000099", "the typed number is kept to correct it")
    for _ in range(2):
        yield from d.tap("key_delete")
    for key in "17":
        yield from d.tap(f"key_{key}")
    yield from d.tap("lookup")
    yield from d.until(lambda: d.find("case_0") is not None, "a case")
    zh = d.app.tr.language == "zh"
    for shown in (("20261122000017", "不动产转移登记（二手房买卖）", "审核中", "2026年11月22日", "2026年11月27日",
                   "二楼 A 区 1–12 号窗口") if zh else
                  ("20261122000017", "不动产转移登记（二手房买卖）", "Under review", "2026-11-22", "2026-11-27",
                   "二楼 A 区 1–12 号窗口")):
        d.check(d.sees(shown), f"the case shows {shown!r}")
    d.check(not d.sees("reviewing"), "the state in words, not the code")
    owed = d.app.tr("case_owed", material="契税完税凭证", date=d.app.date_text("2026-11-29"))
    d.check(d.sees(owed), "容缺: what is owed and by when")
    yield from d.shot("progress")
    d.daemon.place_card("王*")
    yield from d.until(lambda: d.find("case_1") is not None, "the card's cases")
    d.check(d.daemon.ops("lookup_case")[-1] == {"use_card": True}, "looked up by card")
    d.check(d.sees(d.app.tr("case_state_ready")) and d.sees("一楼 B 区 13–20 号窗口"), "ready, and where to collect it")
    yield from d.shot("progress-card")
    yield from d.tap("home")
    yield from d.screen("home")


def rating(d: Driver) -> Step:
    yield from d.tap("tile_rating")
    yield from d.screen("rating")
    d.check(d.text_of("rating_who") == d.app.tr("rating_who"), "says a card or the ticket's QR is needed")
    d.daemon.place_card("王*")  # the card B002 was taken with
    yield from d.until(lambda: d.text_of("rating_who") == d.app.tr("rating_card", name="王*"), "the card is read")
    for key in "B002":
        yield from d.tap(f"key_{key}")
    yield from d.shot("rating-ticket")
    yield from d.tap("rating_next")
    yield from d.until(lambda: d.find("face_5") is not None, "the faces")
    for level in (5, 4, 3, 2, 1):
        d.check(d.sees(d.app.tr(f"level_{level}")), f"the word for level {level}")
    yield from d.shot("rating-faces")
    yield from d.tap("face_2")
    d.check(d.find("rating_submit").disabled, "a 差评 needs a reason first")
    yield from d.tap("reason_wait")
    yield from d.shot("rating-reasons")
    yield from d.tap("rating_submit")
    yield from d.screen("notice")
    d.check(d.daemon.ops("rate")[-1] == {"ticket": "B002", "level": 2, "reasons": ["等待时间长"]}, "rated")
    yield from d.shot("rating-thanks")
    # 一次一评: the same ticket again is refused by the center, and said so
    yield from d.tap("notice_home")
    yield from d.screen("home")
    yield from d.tap("tile_rating")
    yield from d.screen("rating")
    d.daemon.place_card("王*")
    yield from d.until(lambda: d.text_of("rating_who") == d.app.tr("rating_card", name="王*"), "the card is read")
    for key in "B002":
        yield from d.tap(f"key_{key}")
    yield from d.tap("rating_next")
    yield from d.tap("face_5")
    yield from d.tap("rating_submit")
    yield from d.screen("notice")
    d.check(d.text_of("notice_title") == d.app.tr("err_AlreadyRated_detail", number="B002"),
            "a second rating is refused, saying why and which number")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    d.daemon.remove_card()


def rating_belongs(d: Driver) -> Step:
    """Finding 4: a stranger typing A001 is refused, saying why; its owner then rates it by the
    ticket's QR scanned on the rating screen."""
    d.daemon.place_card("李*")  # not the card that took A001
    yield from d.tap("tile_rating")
    yield from d.screen("rating")
    for key in "A001":
        yield from d.tap(f"key_{key}")
    yield from d.tap("rating_next")
    yield from d.tap("face_5")
    yield from d.tap("rating_submit")
    yield from d.screen("notice")
    d.check(d.text_of("notice_title") == d.app.tr("err_NotTheirsToRate_detail", number="A001"),
            "a stranger's number is refused, saying why and which number")
    d.check(d.text_of("notice_title").startswith("号码 A001 暂不能在本机评价") or d.app.tr.language == "en",
            "in the hall's words")
    d.check("A001" not in d.daemon.rated, "nothing was stored for the stranger")
    yield from d.shot("rating-not-theirs")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    d.daemon.remove_card()
    yield from d.tap("tile_rating")  # another hall's ticket QR: no number to name, the plain sentence
    yield from d.screen("rating")
    d.daemon.scan(TICKET_QR.rsplit(".", 1)[0] + ".forgedforgedforgedforged")
    yield from d.until(lambda: d.find("face_5") is not None, "the QR opens the faces")
    yield from d.tap("face_5")
    yield from d.tap("rating_submit")
    yield from d.screen("notice")
    d.check(d.text_of("notice_title") == d.app.tr("err_NotTheirsToRate"), "a foreign QR is refused, saying why")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    yield from d.tap("tile_rating")
    yield from d.screen("rating")
    d.daemon.scan(TICKET_QR)
    yield from d.until(lambda: d.find("face_5") is not None, "the QR opens the faces")
    d.check(d.text_of("rating_of") == d.app.tr("rating_qr"), "says the ticket was scanned")
    yield from d.tap("face_4")
    yield from d.tap("rating_submit")
    yield from d.screen("notice")
    d.check(d.text_of("notice_title") == d.app.tr("rating_thanks"), "the owner's rating is thanked")
    d.check(d.daemon.ops("rate")[-1] == {"ticket_token": TICKET_QR.rsplit("/", 1)[1], "level": 4, "reasons": []},
            "rated by the QR's token")
    yield from d.tap("notice_home")
    yield from d.screen("home")


def help_call(d: Driver) -> Step:
    yield from d.tap("tile_help")
    yield from d.screen("help")
    yield from d.shot("help")
    yield from d.tap("help_topic_operate")
    yield from d.screen("notice")
    d.check(d.daemon.ops("call_helper")[-1] == {"topic": "不会操作"}, "helper called")
    yield from d.shot("help-called")
    yield from d.tap("notice_home")
    yield from d.screen("home")


def after_hours(d: Driver) -> Step:
    d.clock.set(OPEN_TIME.replace(hour=20))
    d.app.rerender()
    yield from d.screen("home")
    yield from d.tap("tile_take_number")
    yield from d.screen("notice")
    d.check(d.sees("明天 08:30") or d.sees("tomorrow 08:30"), "the next opening time")
    yield from d.shot("after-hours")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    yield from d.tap("tile_guides")  # guides still work after hours
    yield from d.screen("guides")
    yield from d.tap("group_A")
    yield from d.tap("guide_A01")
    yield from d.screen("item")
    d.check(d.find("take_for_item").disabled, "no numbers after hours")
    d.check(d.text_of("take_why") == d.app.tr("closed_ended", end="17:00"), "the greyed button says why")
    d.check(d.text_of("take_hint") == d.app.tr("closed_book"), "and how to book ahead")
    yield from d.shot("after-hours-item")
    yield from d.tap("home")
    yield from d.screen("home")
    d.clock.set(OPEN_TIME)


def maintenance(d: Driver) -> Step:
    hall = next(w for w in d.widgets() if type(w).__name__ == "HallName")
    for _ in range(5):
        d.tap_at(*hall.to_window(*hall.center))
        yield 0.05
    yield from d.screen("pin")
    for key in "1111":
        yield from d.tap(f"key_{key}")
    yield from d.tap("pin_ok")
    yield from d.until(lambda: d.find("pin_wrong") is not None, "wrong PIN")
    for key in "2468":
        yield from d.tap(f"key_{key}")
    yield from d.shot("pin")
    yield from d.tap("pin_ok")
    yield from d.screen("maintenance")
    yield from d.until(lambda: d.find("device_printer") is not None, "device states")
    yield from d.tap("test_print")
    yield from d.until(lambda: d.find("maint_message") is not None, "test printed")
    yield from d.tap("paper_changed")
    yield from d.shot("maintenance")
    yield from d.tap("maint_leave")
    yield from d.screen("home")
    d.check(not d.daemon.maintenance, "maintenance left")


def help_answered(d: Driver) -> Step:
    """帮办 answered: once the hall manager sends someone, the kiosk says who is on the way."""
    yield from d.tap("tile_help")
    yield from d.screen("help")
    yield from d.tap("help_topic_operate")
    yield from d.screen("notice")
    d.daemon.push("help_coming", {"case_id": 1, "helper_name": "导办员小李"})
    yield from d.until(lambda: d.sees(d.app.tr("help_coming_who", helper="导办员小李")), "who is coming")
    d.check(d.text_of("notice_title") == d.app.tr("help_coming"), "工作人员正在赶来")
    yield from d.shot("help-coming")


def tour(d: Driver) -> Step:
    """Every screen of every flow, with a screenshot of each."""
    yield from d.shot("home")
    for flow in (take_number, guides, life_event, check_in, progress, rating, help_call, after_hours, maintenance):
        yield from flow(d)
        if d.app.card_on_reader:  # the citizen leaves with their card: the next flow asks for one
            d.daemon.remove_card()
            yield from d.until(lambda: not d.app.card_on_reader, "the card lifted")


def elderly(d: Driver) -> Step:
    """A senior's card: the priority lane is automatic; language switching keeps the flow."""
    yield from with_card(d, "欧阳**", elderly=True)
    yield from d.tap("toggle_language")
    d.check(d.sees("Hello, 欧阳**"), "English greeting")
    yield from d.tap("toggle_language")
    d.check(d.sees("欧阳**，您好"), "back to Chinese")
    yield from d.tap("category_B")
    d.check(d.find("elderly_note") is not None, "the senior lane is announced")
    d.check(d.find("priority_disabled") is None, "no need to choose a lane")
    yield from d.tap("take")
    yield from d.screen("ticket")
    d.check(d.daemon.ops("take_number")[-1]["priority"] == "elderly", "priority elderly sent")
    d.check(d.find("ticket_priority") is not None, "绿色通道 on the ticket")
    yield from d.shot("ticket-elderly")


def idle(d: Driver) -> Step:
    """No touch: a countdown, a touch keeps the session; no touch again: home, all forgotten."""
    from kiosk.app import Citizen
    from kiosk.widgets import STYLE

    yield from with_card(d)
    yield from d.tap("category_A")
    yield from d.tap("item_A02")
    yield from d.tap("toggle_elder")
    yield from d.tap("toggle_language")
    yield from d.until(lambda: d.app.overlay.shown, "the idle countdown", timeout=15)
    d.check(d.sees("s;") or d.sees("秒"), "a visible countdown")
    yield from d.shot("idle-countdown")
    yield from d.tap("idle_continue")
    d.check(not d.app.overlay.shown and d.app.sm.current == "category", "a touch keeps the session")
    d.check(d.app.screen.state["item"] == "A02", "the choice is kept")
    forgets = len(d.daemon.ops("forget_citizen"))
    yield from d.until(lambda: d.app.sm.current == "home" and not d.app.overlay.shown, "the idle reset", timeout=20)
    yield from d.frames(2)
    d.check(len(d.daemon.ops("forget_citizen")) > forgets, "the daemon was told to forget")
    d.check(d.app.citizen == Citizen(), "the citizen is gone from memory")
    for screen in d.app.sm.screens:
        d.check(screen.state == screen.fresh(), f"screen {screen.name} state wiped")
        d.check(screen.name == "home" or not screen.children, f"screen {screen.name} holds no widgets")
    from kivy.core.window import Window
    d.check(not any("张" in getattr(w, "text", "") for root in Window.children for w in root.walk()), "no name left on any widget")
    d.check(d.app.tr.language == d.app.settings.language and not STYLE.elder,
            "language and text size back to the defaults")
    yield from d.shot("idle-reset-home")


def failures(d: Driver) -> Step:
    """Daemon gone and back, center unreachable, paper out, a card read error, a bad event."""
    d.daemon.stop()
    yield from d.screen("out_of_service")
    d.check(d.find("out_of_service") is not None, "out of service shown")
    yield from d.shot("out-of-service")
    d.daemon.start()
    yield from d.screen("home", timeout=15)
    d.check(len(d.daemon.ops("hello")) == 2, "hello again after the reconnect")
    # center unreachable: a banner, no numbers, guides from the cache
    d.daemon.set_center(False)
    yield from d.until(lambda: d.find("banner") is not None, "the center banner")
    d.check(d.sees(d.app.tr("no_numbers_here")), "the take-a-number tile says no numbers")
    yield from d.shot("center-down")
    yield from d.tap("tile_take_number")
    yield from d.screen("notice")
    d.check(d.sees(d.app.tr("banner_center")), "why there are no numbers")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    yield from d.tap("group_B")
    yield from d.tap("guide_B03")
    yield from d.screen("item")
    d.check(d.sees("社会保障卡申领"), "guides work while the center is away")
    d.check(d.find("take_for_item").disabled, "no number for the item either")
    d.daemon.set_center(True)
    yield from d.until(lambda: d.find("banner") is None, "the banner gone")
    yield from d.tap("home")
    yield from d.screen("home")
    # printer out of paper: numbers unavailable here, pointing to the nearest kiosk
    d.daemon.set_printer("offline", "paper_out")
    yield from d.until(lambda: d.find("banner") is not None, "the paper banner")
    d.check(d.sees(d.app.settings.nearest_kiosk), "points to the nearest other kiosk")
    yield from d.shot("paper-out")
    yield from d.tap("tile_take_number")
    yield from d.screen("notice")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    d.check(not d.daemon.ops("take_number"), "no number was requested without paper")
    d.daemon.set_printer("online")
    yield from d.until(lambda: d.find("banner") is None, "paper back")
    # a card read error: a clear retry prompt, then the card works
    yield from d.tap("tile_take_number")
    yield from d.screen("identify")
    d.daemon.card_error()
    yield from d.until(lambda: d.find("card_error") is not None, "the retry prompt")
    yield from d.shot("card-error")
    d.daemon.place_card("赵*")
    yield from d.screen("category")
    yield from d.tap("home")
    yield from d.screen("home")
    # malformed events must not break the kiosk
    d.daemon.push("queue", {"categories": [{"no_letter": 1}, {"letter": "A", "waiting": "many"}]})
    d.daemon.push("device_state", {"device": None})
    d.daemon.push("card_read", {"masked_name": None})
    yield 0.5
    yield from d.screen("home")
    yield from d.tap("tile_help")
    yield from d.screen("help")


def visits(d: Driver) -> Step:
    """For bench/kiosk.py: first home drawn, then 100 scripted visits; RSS and frame times."""
    import os
    import time

    import psutil
    from kivy.core.window import Window

    d.notes["home_at"] = time.time()
    process = psutil.Process(os.getpid())
    d.notes["rss_start"] = process.memory_info().rss
    frames: list[float] = []
    last = [time.perf_counter()]

    def flipped(*_: Any) -> None:
        now = time.perf_counter()
        if d.app.sm.current_screen.opacity < 1.0:  # fading in
            frames.append(now - last[0])
        last[0] = now
    Window.bind(on_flip=flipped)
    count = int(os.environ.get("KIOSK_BENCH_VISITS", "100"))
    for n in range(count):
        if n % 2 == 0:
            yield from with_card(d)
            yield from d.tap("category_B")
            yield from d.tap("take")
            yield from d.screen("ticket")
            d.daemon.remove_card()  # the citizen takes it: a card left lying is read by the next 取号
            yield from d.until(lambda: not d.app.card_on_reader, "the card lifted")
            yield from d.tap("ticket_home")
        else:
            yield from d.tap("tile_guides")
            yield from d.screen("guides")
            yield from d.tap("group_A")
            yield from d.tap("guide_A01")
            yield from d.screen("item")
            yield from d.tap("home")
        yield from d.screen("home")
    import gc
    gc.collect()
    yield 0.5
    d.notes.update(rss_end=process.memory_info().rss, visits=count, frames=frames)


# ---- a real hall (tests/test_kiosk_hall.py): `d.daemon` is hallrig/kiosk_hall_adapter.HallDaemon -----

def card_ticket(d: Driver, shot: str, bad_read_first: bool = False) -> Step:
    """Card on the reader → category A → an item → the printed ticket; its number and sheet in the notes."""
    before = len(d.daemon.ops("take_number"))
    yield from d.tap("tile_take_number")
    yield from d.screen("identify")
    if bad_read_first:  # a card the reader cannot read: a clear retry prompt first
        d.daemon.card_error()
        yield from d.until(lambda: d.find("card_error") is not None, "the retry prompt")
        yield from d.shot("hall-card-error")
    d.daemon.place_card("张*")
    yield from d.screen("category")
    d.check(d.sees("张*"), "the greeting shows the masked name from the card")
    yield from d.tap("category_A")
    yield from d.tap("item_A01")
    yield from d.tap("take")
    yield from d.screen("ticket")
    number = d.text_of("ticket_number")
    d.check(number.startswith("A") and len(number) == 4, f"ticket number {number!r}")
    yield from d.shot(shot)
    yield from d.until(lambda: len(d.daemon.ops("take_number")) > before, "the printed ticket")
    d.notes.setdefault("tickets", []).append({"number": number, **d.daemon.ops("take_number")[-1]})
    d.daemon.remove_card()  # the citizen leaves with it: the next one's 取号 asks for a card again
    yield from d.until(lambda: not d.app.card_on_reader, "the card lifted", timeout=20)
    yield from d.tap("ticket_home")
    yield from d.screen("home")


def hall_ticket(d: Driver) -> Step:
    """A number with the ID card; then home shows it waiting, as the center's queue says."""
    yield from d.shot("hall-home")
    yield from card_ticket(d, "hall-ticket", bad_read_first=True)
    waiting = d.app.tr("waiting_line", letter="A", name=d.app.guides.category("A").name, waiting=1)
    yield from d.until(lambda: d.find("waiting_A") is not None and d.text_of("waiting_A") == waiting,
                       f"{waiting!r} on the home screen")
    shown = d.text_of("home_time")  # a hall minute is a second here: the big clock must follow
    yield from d.until(lambda: d.text_of("home_time") != shown, "the home screen's clock to move on")
    yield from d.shot("hall-home-waiting")


def hall_notice(d: Driver) -> Step:
    """The one-time notice of A01 comes out of the printer simulator."""
    before = len(d.daemon.ops("print_checklist"))
    yield from d.tap("tile_guides")
    yield from d.screen("guides")
    yield from d.tap("group_A")
    yield from d.tap("guide_A01")
    yield from d.screen("item")
    yield from d.tap("print_notice")
    yield from d.until(lambda: d.find("print_result") is not None, "the print result")
    yield from d.shot("hall-notice")
    d.check(d.text_of("print_result") == d.app.tr("printed"), "the notice says it was printed")
    d.check(len(d.daemon.ops("print_checklist")) == before + 1, "one notice came out")
    d.notes["notice"] = d.daemon.ops("print_checklist")[-1]
    yield from d.tap("home")
    yield from d.screen("home")


def hall_center(d: Driver) -> Step:
    """The center stops: banner, no numbers; it comes back: banner gone, a number again."""
    d.daemon.set_center(False)
    yield from d.until(lambda: d.find("banner") is not None, "the center banner", timeout=20)
    d.check(d.sees(d.app.tr("banner_center")), "the banner says the center is unreachable")
    d.check(d.sees(d.app.tr("no_numbers_here")), "the take-a-number tile says no numbers")
    yield from d.shot("hall-center-down")
    yield from d.tap("tile_take_number")
    yield from d.screen("notice")
    d.check(d.sees(d.app.tr("banner_center")), "why there are no numbers")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    d.daemon.set_center(True)
    yield from d.until(lambda: d.find("banner") is None, "the center back", timeout=40)
    yield from d.shot("hall-center-back")
    yield from card_ticket(d, "hall-center-ticket")


def hall_daemon(d: Driver) -> Step:
    """The daemon process stops: out of service; it is started again: the kiosk is back by itself."""
    d.daemon.stop()
    yield from d.screen("out_of_service")
    yield from d.shot("hall-daemon-gone")
    d.daemon.start()
    yield from d.screen("home", timeout=30)
    yield from card_ticket(d, "hall-daemon-back-ticket")


def hall_paper(d: Driver) -> Step:
    """Paper out: no numbers here, go to another kiosk; paper back: numbers again."""
    printed = len(d.daemon.ops("take_number"))
    d.daemon.set_printer("offline", "paper_out")
    yield from d.until(lambda: d.find("banner") is not None, "the paper banner", timeout=20)
    d.check(d.sees(d.app.settings.nearest_kiosk), "points to the nearest other kiosk")
    d.check(d.sees(d.app.tr("no_numbers_here")), "the take-a-number tile says no numbers")
    yield from d.shot("hall-paper-out")
    yield from d.tap("tile_take_number")
    yield from d.screen("notice")
    d.check(d.sees(d.app.settings.nearest_kiosk), "the notice points to another kiosk")
    yield from d.tap("notice_home")
    yield from d.screen("home")
    d.check(len(d.daemon.ops("take_number")) == printed, "nothing printed without paper")
    d.daemon.set_printer("online")
    yield from d.until(lambda: d.find("banner") is None, "paper back", timeout=20)
    yield from card_ticket(d, "hall-paper-back-ticket")


def every_screen(d: Driver) -> list[tuple[str, str, dict[str, Any], Callable[[], None]]]:
    """Each kiosk screen in each of its states worth seeing: (shot name, screen, params, setup)."""
    from kiosk.app import Citizen

    app = d.app
    event = next(e for e in app.guides.life_events if e.questions)
    ticket = {"number": "A023", "ahead": 12, "wait_min": 25, "wait_max": 40, "window_area": "二楼 A 区 1–12 号窗口",
              "printed": True}

    def citizen(elderly: bool = False) -> Callable[[], None]:
        return lambda: setattr(app, "citizen", Citizen(name="欧阳**" if elderly else "张*", elderly=elderly,
                                                       citizen_key="k-screens"))

    def card(on: bool) -> Callable[[], None]:
        return lambda: setattr(app, "card_on_reader", on)

    def banner(on: bool) -> Callable[[], None]:
        return lambda: app.devices.update(printer={"state": "offline" if on else "online",
                                                   "reason": "paper_out" if on else ""})
    nothing: Callable[[], None] = lambda: None  # noqa: E731
    return [
        ("home", "home", {}, nothing),
        ("home-banner", "home", {}, banner(True)),
        ("identify-banner", "identify", {"purpose": "take_number"}, nothing),
        ("identify", "identify", {"purpose": "check_in"}, banner(False)),
        ("category", "category", {}, citizen()),
        ("category-items", "category", {"category": "A"}, citizen()),
        ("category-senior", "category", {"category": "B"}, citizen(elderly=True)),
        ("ticket", "ticket", {"result": ticket, "priority": "elderly"}, card(True)),
        ("guides", "guides", {}, card(False)),
        ("guides-items", "guides", {"selected": "A"}, nothing),
        ("guides-departments", "guides", {"mode": "department"}, nothing),
        ("search", "guides", {"mode": "search", "query": "sb"}, nothing),
        ("item", "item", {"code": "A01"}, nothing),
        ("life", "life", {}, nothing),
        ("life-event", "life_event", {"code": event.code}, nothing),
        ("life-list", "life_event", {"code": event.code, "list": True}, nothing),
        ("progress", "progress", {}, nothing),
        ("progress-cases", "progress", {"cases": CARD_CASES, "asked": ""}, nothing),
        ("rating", "rating", {"ticket": "B002"}, nothing),
        ("rating-reasons", "rating", {"ticket": "B002", "ticket_done": True, "level": 2,
                                      "reasons": ["reason_wait"]}, nothing),
        ("help", "help", {}, nothing),
        ("notice", "notice", {"title": d.app.tr("err_NotTheirsToRate_detail", number="A001"),
                              "lines": [d.app.tr("closed_book")], "tone": "error"}, nothing),
        ("pin", "pin", {}, nothing),
        ("maintenance", "maintenance", {"devices": dict(d.daemon.devices)}, nothing),
    ]


def screens(d: Driver) -> Step:
    """适老化, measured: every screen in both languages, standard and elder mode (this run's
    orientation), each audited (hallrig/kiosk_a11y.py) and, with --shots, photographed."""
    from kiosk.widgets import STYLE

    for language, elder in (("zh", False), ("en", False), ("zh", True), ("en", True)):
        d.app.forget(full=False)  # no time-out of the last pass fires on this one
        d.app.tr.language, STYLE.elder = language, elder
        d.tag = f"{'portrait' if STYLE.portrait else 'landscape'}-{language}" + ("-elder" if elder else "")
        for name, screen, params, setup in every_screen(d):
            setup()
            d.app.go(screen, **params)
            yield from d.screen(screen)
            yield from d.frames(4)  # wrapped texts take a frame to grow, their layouts another
            d.audit(name)
            if d.keep_shots:
                yield from d.shot(name)
    yield from d.frames(1)


SCENARIOS: dict[str, Callable[[Driver], Step]] = {
    "screens": screens,
    "visits": visits,
    "tour": tour,
    "progress": progress,
    "help_answered": help_answered,
    "life_event": life_event,
    "check_in_refused": check_in_refused,
    "take_your_card": take_your_card,
    "back_to_defaults": back_to_defaults,
    "go_back": go_back,
    "rating": rating,
    "rating_belongs": rating_belongs,
    "after_hours": after_hours,
    "card_left_lying": card_left_lying,
    "voice_guidance": voice_guidance,
    "elder_layout": elder_layout,
    "elderly": elderly,
    "idle": idle,
    "failures": failures,
    "hall_ticket": hall_ticket,
    "hall_notice": hall_notice,
    "hall_center": hall_center,
    "hall_daemon": hall_daemon,
    "hall_paper": hall_paper,
}
