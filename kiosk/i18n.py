"""Every string the kiosk shows, in Chinese first and English second.

One table, one lookup: a screen never holds a literal, so switching the language is one
call and a test can check that both columns are filled. Placeholders use `str.format`.
"""
from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("zh", "en")

# key: (中文, English)
STRINGS: Final[dict[str, tuple[str, str]]] = {
    # header, footer, shared buttons
    "home": ("首页", "Home"),
    "back": ("返回", "Back"),
    "elder_on": ("长者模式", "Large text"),
    "elder_off": ("标准模式", "Standard"),
    "language": ("English", "中文"),
    "prev_page": ("上一页", "Previous"),
    "next_page": ("下一页", "Next"),
    "page": ("第 {page}/{pages} 页", "Page {page}/{pages}"),
    "ok": ("确定", "OK"),
    "cancel": ("取消", "Cancel"),
    "retry": ("重试", "Try again"),
    "clear": ("清除", "Clear"),
    "delete": ("删除", "Del"),
    "print": ("打印", "Print"),
    "printed": ("已打印，请取走凭条", "Printed: please take the slip"),
    "print_failed": ("打印未成功，请拍照或记下", "Not printed: please note it down"),
    "working": ("请稍候…", "One moment…"),
    # home
    "tile_take_number": ("取号", "Take a number"),
    "tile_check_in": ("预约签到", "Appointment check-in"),
    "tile_guides": ("办事指南", "Service guides"),
    "tile_life_events": ("一件事", "Life events"),
    "tile_progress": ("进度查询", "Case progress"),
    "tile_rating": ("评价", "Rate a service"),
    "tile_help": ("帮办", "Ask for help"),
    "waiting_title": ("当前等候", "Waiting now"),
    "waiting_line": ("{letter} {name}：{waiting} 人", "{letter} {name}: {waiting}"),
    "waiting_n": ("等候 {waiting} 人", "{waiting} waiting"),
    "attract": ("请触摸屏幕开始办事", "Touch the screen to begin"),
    "attract_2": ("办事前可先查看办事指南，材料一次备齐", "Check the service guide first: bring everything in one trip"),
    "attract_3": ("长者、残疾人、孕妇、军人可走绿色通道", "Priority lane for the elderly, disabled, pregnant and military"),
    "no_numbers_here": ("本机暂停取号", "No numbers at this kiosk"),
    # banners and failure screens
    "banner_center": ("与大厅中心的连接中断：暂不能取号，办事指南照常使用",
                      "The hall centre is unreachable: no numbers for now; guides still work"),
    "banner_paper": ("本机打印纸已用完，请到{nearest}取号", "This kiosk is out of paper: please use {nearest}"),
    "banner_printer": ("本机打印机故障，请到{nearest}取号", "This kiosk's printer is not working: please use {nearest}"),
    "out_of_service": ("暂停服务", "Temporarily out of service"),
    "out_of_service_hint": ("设备维护中，恢复后将自动开始服务。\n请使用其他自助机或到咨询台办理。",
                            "This kiosk restarts by itself when ready.\nPlease use another kiosk or the help desk."),
    "idle_title": ("还在办理吗？", "Still there?"),
    "idle_countdown": ("{seconds}秒后返回首页，您的信息将被清除", "Back to the start in {seconds} s; your details will be cleared"),
    "idle_continue": ("继续办理", "Continue"),
    # errors (local API error types)
    "err_CenterUnreachable": ("与大厅中心的连接中断，请稍后再试", "The hall centre is unreachable; please try again later"),
    "err_RequestTimeout": ("系统响应超时，请重试", "No answer in time; please try again"),
    "err_PrinterNotReady": ("本机打印机暂不可用，请到{nearest}", "This kiosk cannot print now; please use {nearest}"),
    "err_NoCard": ("未检测到证件，请将身份证放在感应区", "No card found: please place your ID card on the reader"),
    "err_NotAllowed": ("当前无法办理此项", "This cannot be done right now"),
    "err_BadRequest": ("信息有误，请检查后重试", "Something was not right; please check and try again"),
    "err_RequestFailed": ("未能办理，请重试或呼叫帮办", "That did not work; please try again or ask for help"),
    "err_InternalError": ("系统繁忙，请重试或呼叫帮办", "The system is busy; please try again or ask for help"),
    "err_BadArguments": ("信息有误，请检查后重试", "Something was not right; please check and try again"),
    "err_NotIssuingNow": ("当前不在取号时间", "Numbers are not issued now"),
    "err_DailyCapReached": ("今日号源已取完，请明天再来或网上预约", "Today's numbers are all taken: come tomorrow or book online"),
    "err_TooEarly": ("还未到预约时段，请稍后再签到", "Too early for your booking: please check in closer to the time"),
    "err_TooEarly_detail": ("还未到签到时间，请于 {come_back_at} 后再来签到",
                            "Too early for your booking: please check in from {come_back_at}"),
    "err_NoAppointment": ("没有查到您今天的预约，请核对预约信息，或直接取号",
                          "No booking found for today: please check it, or take a number"),
    "err_AppointmentMissed_detail": ("预约时段已于 {slot_end} 结束，请重新取号",
                                     "Your booked slot ended at {slot_end}: please take a number"),
    "err_AlreadyRated": ("该次服务已评价，每次服务只能评价一次", "This service has already been rated (one rating per service)"),
    "err_NotRateable": ("该号码的业务尚未办结，办结后才能评价", "This service is not finished yet; rate it once it is"),
    "err_ReasonRequired": ("不满意的评价请选择原因", "Please choose a reason for a poor rating"),
    "err_UnknownTicket": ("今天没有这个号码，请核对后重试", "No such number today; please check it"),
    "err_UnknownCase": ("没有这个办件编号，请核对后重试", "No such case number; please check it"),
    "err_InvalidArgs": ("信息有误，请检查后重试", "Something was not right; please check and try again"),
    "err_UnknownPriority": ("该绿色通道类别本大厅不适用，请到咨询台", "This priority group is not used here; please ask at the desk"),
    "err_NumberAlreadyHeld": ("您在该业务已有一个号，请等候叫号", "You already hold a number for this service"),
    "err_NumberAlreadyHeld_detail": ("您在该业务已有号码 {number}，请等候叫号，无需重复取号",
                                     "You already hold {number} for this service: please wait for its call"),
    "err_UnknownItem": ("没有这个事项，请重新选择", "No such service; please choose again"),
    "err_AppointmentMissed": ("预约时段已过，请重新取号", "Your booked time has passed: please take a number"),
    "err_Unreachable": ("本机服务中断，请稍后再试", "This kiosk is not ready; please try again later"),
    # identify (card / QR)
    "card_title": ("请放置身份证", "Place your ID card"),
    "card_hint": ("将身份证平放在下方读卡区，或扫描二维码（电子证照、预约码）",
                  "Lay your ID card on the reader below, or scan a QR code (e-ID, booking)"),
    "card_reader": ("读卡区", "Card reader"),
    "card_error": ("读卡失败，请取下身份证后重新放置", "The card could not be read: lift it and place it again"),
    "card_timeout": ("未检测到证件，已返回", "No card was placed"),
    "take_card": ("请取走您的身份证", "Please take your ID card"),
    "greeting": ("{name}，您好", "Hello, {name}"),
    "greeting_code": ("已识别二维码", "QR code recognised"),
    "elderly_note": ("已为您开通绿色通道（长者）", "Priority lane (senior) applied"),
    # take a number
    "choose_category": ("请选择办理业务", "Choose the service"),
    "choose_item": ("请选择具体事项", "Choose the item"),
    "any_item": ("其他 / 不确定", "Other / not sure"),
    "priority_title": ("绿色通道（窗口核验）", "Priority lane (checked at the window)"),
    "priority_none": ("无", "None"),
    "priority_disabled": ("残疾人", "Disabled"),
    "priority_pregnant": ("孕妇", "Pregnant"),
    "priority_military": ("军人", "Military"),
    "priority_elderly": ("长者", "Senior"),
    "issuing": ("正在出号…", "Getting your number…"),
    "ticket_title": ("您的号码", "Your number"),
    "ticket_ahead": ("前面还有 {ahead} 人", "{ahead} ahead of you"),
    "ticket_wait": ("预计等候 {wait_min}–{wait_max} 分钟", "Expected wait {wait_min}–{wait_max} min"),
    "ticket_wait_unknown": ("窗口尚未开放，开放后按顺序叫号", "No window open yet; numbers are called in order once it opens"),
    "ticket_window": ("请到 {window_area} 等候叫号", "Wait for your call at {window_area}"),
    "ticket_priority": ("绿色通道", "Priority lane"),
    "closed_title": ("当前不在取号时间", "Numbers are not issued now"),
    "closed_next": ("下次取号时间：{when}", "Next issuing time: {when}"),
    "closed_none": ("近期无取号安排", "No issuing hours scheduled"),
    "closed_holiday": ("今天是法定节假日（{name}），暂停取号", "Public holiday today ({name}): no numbers"),
    "closed_closure": ("今天闭馆（{name}），暂停取号", "The hall is closed today ({name})"),
    "closed_weekend": ("今天是周末，暂停取号", "Weekend: no numbers today"),
    "closed_hint": ("办事指南、进度查询和打印仍可使用", "Guides, progress and printing still work"),
    "weekday_0": ("周一", "Mon"), "weekday_1": ("周二", "Tue"), "weekday_2": ("周三", "Wed"),
    "weekday_3": ("周四", "Thu"), "weekday_4": ("周五", "Fri"), "weekday_5": ("周六", "Sat"),
    "weekday_6": ("周日", "Sun"),
    "date": ("{year}年{month}月{day}日", "{year}-{month:02d}-{day:02d}"),
    "today": ("今天", "today"),
    "tomorrow": ("明天", "tomorrow"),
    # check-in
    "check_in_title": ("预约签到", "Appointment check-in"),
    "check_in_hint": ("请放置身份证，或扫描预约短信中的二维码", "Place your ID card, or scan the QR code from your booking"),
    "check_in_done": ("签到成功", "Checked in"),
    "check_in_slot": ("预约时段 {slot}", "Booked slot {slot}"),
    "check_in_early": ("时段开始后优先叫号，请留意叫号屏", "You will be called first once your slot starts"),
    "check_in_late": ("已过预约时段，在宽限时间内签到，仍优先叫号", "Your slot has passed; checked in within the grace time, still called first"),
    # guides
    "guides_title": ("办事指南", "Service guides"),
    "by_category": ("按业务类别", "By service"),
    "by_department": ("按部门", "By department"),
    "search": ("搜索", "Search"),
    "search_hint": ("输入拼音首字母（如 bdc）或点选常用词", "Type pinyin initials (e.g. bdc) or tap a keyword"),
    "search_none": ("没有找到相关事项", "Nothing found"),
    "search_results": ("找到 {count} 项", "{count} found"),
    "materials": ("申请材料", "Documents to bring"),
    "material_originals": ("原件 {n} 份", "{n} original(s)"),
    "material_copies": ("复印件 {n} 份", "{n} copy(ies)"),
    "optional": ("（部分情形）", "(only if it applies)"),
    "deferrable": ("（可容缺，后补）", "(may be supplied later)"),
    "limits": ("办理时限", "Time limits"),
    "limit_days": ("法定 {legal} 个工作日，承诺 {promised} 个工作日", "Legal {legal} working days, promised {promised}"),
    "limit_days_cal": ("法定 {legal} 日，承诺 {promised} 日", "Legal {legal} days, promised {promised}"),
    "limit_now": ("法定 {legal} 个工作日，承诺即办", "Legal {legal} working days; done on the spot"),
    "fees": ("收费", "Fees"),
    "fee_line": ("{name}：{yuan} 元", "{name}: ¥{yuan}"),
    "free": ("不收费", "Free of charge"),
    "online_yes": ("可全程网办", "Can be done fully online"),
    "online_no": ("须到窗口办理", "Done at the window"),
    "where": ("办理窗口", "Where"),
    "notes": ("温馨提示", "Good to know"),
    "print_notice": ("打印一次告知单", "Print the checklist"),
    "take_for_item": ("为此事项取号", "Take a number for this"),
    # life events
    "life_title": ("一件事一次办", "Life events: one visit"),
    "life_none": ("暂无可办理的一件事", "No life events available"),
    "life_questions": ("请回答以下问题，为您生成材料清单", "Answer these to get your document list"),
    "life_list": ("合并后的材料清单（共 {count} 项）", "Your merged document list ({count})"),
    "life_items": ("包含事项：{items}", "Covers: {items}"),
    "life_take": ("到综合窗口取号", "Take a number"),
    "life_take_hint": ("一个号码，在综合窗口一次办结", "One number, all done at the integrated window"),
    "show_list": ("生成材料清单", "Show my list"),
    # progress
    "progress_title": ("办件进度查询", "Case progress"),
    "progress_hint": ("放置身份证查询本人办件，或输入办件编号", "Place your ID card, or type the case number"),
    "case_number": ("办件编号", "Case number"),
    "query": ("查询", "Look up"),
    "cases_none": ("没有查到办件", "No case found"),
    "case_unknown": ("没有查到办件编号 {number}，请核对后重新输入", "No case numbered {number}: please check it"),
    "case_number_line": ("办件编号 {case_number}", "Case {case_number}"),
    "case_item": ("办理事项：{item}", "Service: {item}"),
    "case_state": ("办理状态：{state}", "Status: {state}"),
    "case_received": ("受理日期：{date}", "Received: {date}"),
    "case_promised": ("承诺办结：{date} 前", "Promised by: {date}"),
    "case_collect": ("领取地点：{place}", "Collect at: {place}"),
    "case_state_accepted": ("已受理，正在办理", "Received, in progress"),
    "case_state_reviewing": ("审核中", "Under review"),
    "case_state_concluded": ("已办结", "Done"),
    "case_state_ready": ("已办结，可领取", "Done: ready to collect"),
    "case_state_collected": ("已领取", "Collected"),
    "case_state_rejected": ("不予办理，请到窗口了解原因", "Not granted: please ask at the window"),
    # rating
    "rating_title": ("服务评价", "Rate a service"),
    "rating_ticket": ("请输入您的排队号码", "Type your ticket number"),
    "rating_how": ("您对本次服务满意吗？", "How was the service?"),
    "level_5": ("非常满意", "Very satisfied"),
    "level_4": ("满意", "Satisfied"),
    "level_3": ("基本满意", "Fairly satisfied"),
    "level_2": ("不满意", "Dissatisfied"),
    "level_1": ("非常不满意", "Very dissatisfied"),
    "reasons_title": ("请选择不满意的原因（至少一项）", "Tell us what went wrong (one or more)"),
    "reason_wait": ("等待时间长", "Long wait"),
    "reason_attitude": ("服务态度差", "Unfriendly staff"),
    "reason_unclear": ("告知不清楚", "Unclear information"),
    "reason_trips": ("需要多次跑", "Had to come back"),
    "reason_slow": ("办理效率低", "Slow handling"),
    "reason_other": ("其他", "Other"),
    "submit": ("提交评价", "Send"),
    "rating_pending": ("评价已保存，将在网络恢复后提交", "Your rating is saved and will be sent when the network is back"),
    "rating_thanks": ("感谢您的评价！", "Thank you for your rating!"),
    "rating_followup": ("我们将在规定时间内回访整改", "We will follow up with you"),
    # help
    "help_title": ("呼叫帮办", "Ask for help"),
    "help_hint": ("请选择需要帮助的事项，工作人员会到本机旁协助您", "Choose a topic; a helper will come to this kiosk"),
    "help_topic_operate": ("不会操作", "Using this kiosk"),
    "help_topic_materials": ("材料咨询", "Documents"),
    "help_topic_elderly": ("老年人帮办", "Help for seniors"),
    "help_topic_other": ("其他问题", "Something else"),
    "help_called": ("已通知工作人员，请在本机旁稍候", "A helper is on the way: please wait here"),
    "help_coming": ("工作人员正在赶来", "A helper is coming"),
    "help_coming_who": ("{helper} 将到本机旁协助您，请稍候", "{helper} is on the way to this kiosk"),
    "case_owed": ("待补交：{material}，请于 {date} 前补交", "To hand in: {material}, by {date}"),
    "case_owed_late": ("已逾期：{material}，应于 {date} 前补交，请尽快到窗口补交",
                       "Overdue: {material} was due by {date}; please bring it to the window"),
    # maintenance
    "pin_title": ("维护模式：请输入密码", "Maintenance: enter the PIN"),
    "pin_wrong": ("密码错误", "Wrong PIN"),
    "maint_title": ("维护模式", "Maintenance"),
    "maint_devices": ("设备状态", "Devices"),
    "device_line": ("{device}：{state} {reason}", "{device}: {state} {reason}"),
    "test_print": ("打印测试页", "Test print"),
    "paper_changed": ("已更换打印纸", "Paper changed"),
    "paper_count": ("换纸后已打印 {count} 张", "{count} printed since paper change"),
    "maint_leave": ("退出维护", "Leave maintenance"),
    "maint_quit": ("退出自助机程序", "Quit kiosk mode"),
    "maint_done": ("已完成", "Done"),
}


class Translator:
    """The current language and the lookup; `tr("key", n=3)`."""

    def __init__(self, language: str = "zh") -> None:
        self.language = language

    @property
    def language(self) -> str:
        return self._language

    @language.setter
    def language(self, value: str) -> None:
        if value not in LANGUAGES:
            raise ValueError(f"language {value!r}: one of {LANGUAGES}")
        self._language = value

    def __call__(self, key: str, **values: object) -> str:
        text = STRINGS[key][LANGUAGES.index(self._language)]
        return text.format(**values) if values else text

    def pick(self, zh: str, en: str) -> str:
        """Catalog texts come in both languages for some fields (category names)."""
        return en if self._language == "en" and en else zh
