// The citizen's phone page: a ticket (/m/t/<token>) live over SSE, or a booking (/m/b/<token>).
// Chinese first; English and 长辈模式 toggles are kept on the phone only (localStorage).
"use strict";

const PATH = location.pathname.match(/^(.*)\/(t|b)\/([^/]+)$/) || ["", "", "t", ""];
const BASE = PATH[1], KIND = PATH[2], TOKEN = PATH[3];
const API = `${BASE}/api/${KIND}/${TOKEN}`;
const $ = (id) => document.getElementById(id);

const WORDS = {
  zh: {
    connecting: "正在连接…", live: "实时更新中", offline: "连接中断，正在重连…", refused: "无法显示",
    elder: "长辈模式", elder_off: "标准字体",
    waiting: "等候中", ahead: (n) => n ? `您前面还有 ${n} 人` : "下一位就是您",
    wait: (a, b) => `预计等候 ${a}～${b} 分钟`, no_window: "窗口尚未开放，开放后按顺序叫号",
    last_called: (n) => `当前叫号 ${n}`, wait_near: (area) => `请在${area}附近留意叫号`,
    appointment: "预约号：时段开始后优先叫号",
    called: "请前往办理", go: (w) => `请到 ${w} 办理`, called_text: (n) => `${n} 号，窗口正在呼叫您，请立即前往。`,
    recalls: (k) => `已重复呼叫 ${k} 次，过号将需重新排队`,
    serving: "正在办理", serving_big: (w) => `${w} 办理中`, serving_text: "请按窗口工作人员指引办理。",
    done: "业务已办结", done_text: "感谢您的耐心等候。",
    owed: (m, d) => `待补交：${m}，请于 ${d} 前补交`, owed_late: (m, d) => `已逾期：${m}，应于 ${d} 前补交，请尽快到窗口补交`,
    held: "暂时挂起", held_big: (w) => `${w} 已挂起您的号`,
    held_text: "通常是需要补充材料或核实信息。准备好后请留意叫号，窗口会回呼您，不必重新取号。",
    no_show: "您已过号", no_show_big: (t) => `${t} 前可恢复排队`, no_show_over: "已超过恢复时限",
    no_show_text: (m, t) => `过号后 ${m} 分钟内（${t} 前）可恢复排队。请回到等候区后点下面的按钮。`,
    no_show_late: "已超过恢复时限，请到取号机重新取号。", reactivate: "我已回到大厅，恢复排队",
    reactivated: "已恢复排队，请留意叫号。",
    cancelled: "此号已作废", cancelled_text: "凭条未能打印或已取消。如需办理，请到取号机重新取号。",
    day_closed: "今日已闭馆", day_closed_text: "此号今日未能办结，已随闭馆失效。请下一个工作日重新取号，或网上预约。",
    unprinted: "未出票", unprinted_text: "取号机未确认此号已打印，暂不叫号。如您手持此号票，请到服务台登记。",
    where: (area) => `办理区域：${area}`,
    near_title: "近号提醒", near_label: "前面还剩几人时提醒我", near_set: "提醒我",
    near_on: (n) => `已设置：前面剩 ${n} 人时提醒您（请保持本页打开）`, near_now: (n) => `快到您了！前面还有 ${n} 人，请回到等候区。`,
    people: (n) => `${n} 人`,
    rate_title: "请对本次服务评价", rate_send: "提交评价", reasons_title: "请选择不满意的原因（必填，可多选）",
    reason_text: "其他原因或建议（选填）", rated_title: "感谢您的评价",
    rated_text: (w) => `您的评价：${w}。同一次服务只能评价一次。`, follow_up: "我们会核实并整改，必要时回访。",
    expires: (t) => `此页面有效至今日 ${t}（闭馆后失效）`, expired_now: "本凭条的链接已随闭馆失效。",
    privacy: "本页不显示姓名、身份证号等个人信息，仅凭此凭条二维码查看。",
    levels: { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" },
    reasons: {},
    b_booked: "预约成功", b_checked_in: "已签到", b_cancelled: "预约已取消", b_missed: "预约已过期",
    b_text_booked: (area, m) => `请在时段开始前 ${m} 分钟内到大厅，在自助机扫描下方二维码签到。办理区域：${area}`,
    b_text_checked_in: (n) => `已签到，排队号 ${n}，请留意叫号。`, b_text_cancelled: "名额已释放。如需办理，请重新预约。",
    b_text_missed: "预约时段已过，请到大厅取号办理。", b_qr: "签到二维码（在自助机的扫码口扫描）", b_qr_label: "签到二维码",
    b_change: "改约或取消", b_pick: "选择新的时段", b_move: "改到这个时段", b_cancel: "取消预约",
    b_rule: (m) => `时段开始前 ${m} 分钟内不能再改约或取消。`, b_confirm: "确定取消这个预约吗？",
    b_moved: "已改约。", b_no_slots: "近期没有可改的时段", b_left: (n) => `余 ${n}`,
    b_too_late: "距时段开始太近，已不能在手机上改约或取消。",
  },
  en: {
    connecting: "Connecting…", live: "Live", offline: "Connection lost, reconnecting…", refused: "Cannot show this page",
    elder: "Large text", elder_off: "Normal text",
    waiting: "Waiting", ahead: (n) => n ? `${n} ${n === 1 ? "person" : "people"} ahead of you` : "You are next",
    wait: (a, b) => `Estimated wait ${a}–${b} min`, no_window: "No window open yet; calls start when one opens",
    last_called: (n) => `Now calling ${n}`, wait_near: (area) => `Please wait near: ${area}`,
    appointment: "Appointment: called first once your slot starts",
    called: "Your turn", go: (w) => `Please go to ${w}`, called_text: (n) => `Number ${n} is being called. Please go now.`,
    recalls: (k) => `Called again ${k} time(s); if you miss it you must queue again`,
    serving: "Being served", serving_big: (w) => `At ${w}`, serving_text: "Please follow the staff's guidance.",
    done: "Service finished", done_text: "Thank you for waiting.",
    owed: (m, d) => `To hand in: ${m}, by ${d}`, owed_late: (m, d) => `Overdue: ${m} was due by ${d}; please bring it to the window`,
    held: "On hold", held_big: (w) => `${w} put your number on hold`,
    held_text: "Usually a missing document or a check. When ready, watch for the call: the window calls you back; no new number needed.",
    no_show: "You missed your call", no_show_big: (t) => `Rejoin before ${t}`, no_show_over: "Too late to rejoin",
    no_show_text: (m, t) => `Within ${m} minutes (before ${t}) you can rejoin. Go back to the waiting area and tap the button.`,
    no_show_late: "The time to rejoin has passed; please take a new number at a kiosk.", reactivate: "I'm back, rejoin the queue",
    reactivated: "You are back in the queue.",
    cancelled: "Number cancelled", cancelled_text: "The ticket could not be printed or was cancelled. Take a new number at a kiosk.",
    day_closed: "The hall has closed", day_closed_text: "This number was not served today and is no longer valid. Take a number on the next working day or book online.",
    unprinted: "Not printed", unprinted_text: "The kiosk did not confirm printing this number, so it is not called. If you hold the ticket, please see the service desk.",
    where: (area) => `Service area: ${area}`,
    near_title: "Tell me when it's close", near_label: "Notify me when this many are ahead", near_set: "Notify me",
    near_on: (n) => `Set: you'll be told when ${n} are ahead (keep this page open)`, near_now: (n) => `Almost your turn! ${n} ahead — please return to the waiting area.`,
    people: (n) => `${n}`,
    rate_title: "Rate this service", rate_send: "Send rating", reasons_title: "What went wrong? (required, choose any)",
    reason_text: "Other reason or suggestion (optional)", rated_title: "Thank you for your rating",
    rated_text: (w) => `Your rating: ${w}. Each service can be rated once.`, follow_up: "We will look into it and may follow up.",
    expires: (t) => `This page works until ${t} today (the hall's close)`, expired_now: "This ticket's link ended with the hall's close.",
    privacy: "No name or ID number is shown here; only this ticket's QR code opens it.",
    levels: { 5: "Very satisfied", 4: "Satisfied", 3: "Fairly satisfied", 2: "Dissatisfied", 1: "Very dissatisfied" },
    b_booked: "Booked", b_checked_in: "Checked in", b_cancelled: "Booking cancelled", b_missed: "Booking missed",
    b_text_booked: (area, m) => `Come up to ${m} minutes before your slot and scan the code below at a kiosk. Service area: ${area}`,
    b_text_checked_in: (n) => `Checked in: number ${n}. Watch for the call.`, b_text_cancelled: "Your place was released. Book again if needed.",
    b_text_missed: "The slot has passed; please take a number in the hall.", b_qr: "Check-in code (scan it at a kiosk)", b_qr_label: "Check-in code",
    b_change: "Change or cancel", b_pick: "Choose a new slot", b_move: "Move to this slot", b_cancel: "Cancel booking",
    b_rule: (m) => `No changes within ${m} minutes of the slot's start.`, b_confirm: "Cancel this booking?",
    b_moved: "Booking moved.", b_no_slots: "No other slot free soon", b_left: (n) => `${n} left`,
    b_too_late: "Too close to the slot's start to change it on the phone.",
    reasons: { "等候时间太长": "Waited too long", "办理时间太长": "Service took too long", "工作人员态度不好": "Unfriendly staff",
      "材料要求没有一次说清": "Requirements not told at once", "跑了不止一次": "Had to come more than once",
      "环境或设备问题": "Hall or equipment problem" },
  },
};

const ui = { lang: localStorage.getItem("onetrip.lang") || "zh", elder: localStorage.getItem("onetrip.elder") === "1" };
let view = null, level = 0, told = { near: false, called: false }, stream = null, link = "connecting";

function w(key, ...args) {
  const v = WORDS[ui.lang][key] ?? WORDS.zh[key];
  return typeof v === "function" ? v(...args) : v;
}

function slotText(start, end) {
  const tz = view?.tz || "Asia/Shanghai";
  const day = new Intl.DateTimeFormat(ui.lang === "en" ? "en-GB" : "zh-CN", { month: "short", day: "numeric",
    weekday: "short", timeZone: tz }).format(new Date(start * 1000));
  return `${day} ${hhmm(start)}–${hhmm(end)}`;
}

function hhmm(ts) {
  return new Intl.DateTimeFormat("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false,
    timeZone: view?.tz || "Asia/Shanghai" }).format(new Date(ts * 1000));
}

function show(id, on) { $(id).hidden = !on; }

function setLink(state) {
  link = state;
  $("live").textContent = state === "gone" ? "" : w(state);
  $("live").className = `live ${state === "live" ? "on" : state === "offline" ? "off" : ""}`;
}

function applyUi() {
  document.documentElement.lang = ui.lang === "en" ? "en" : "zh-CN";
  document.body.classList.toggle("elder", ui.elder);
  $("lang").textContent = ui.lang === "en" ? "中文" : "English";
  $("lang").lang = ui.lang === "en" ? "zh-CN" : "en";
  $("elder").setAttribute("aria-pressed", String(ui.elder));
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = w(el.dataset.t); });
  document.querySelectorAll("[data-t-placeholder]").forEach((el) => { el.placeholder = w(el.dataset.tPlaceholder); });
  document.querySelectorAll("[data-t-label]").forEach((el) => el.setAttribute("aria-label", w(el.dataset.tLabel)));
  $("elder").textContent = ui.elder ? w("elder_off") : w("elder");
  setLink(link);
  if (view) (KIND === "t" ? render : renderBooking)(view);
}

function refused(body) {
  for (const id of ["ticket", "state", "near", "rate", "rated", "booking", "b-change"]) show(id, false);
  show("refused", true);
  $("refused-text").textContent = body.message || "";
  document.body.dataset.state = body.error || "refused";
  setLink("gone");
  $("expires").textContent = "";
}

function levelWords(n) { return `${"★".repeat(n)} ${w("levels")[n]}`; }

function render(v) {
  view = v;
  document.body.dataset.state = v.state;
  $("hall").textContent = v.hall;
  document.title = `${v.number} · ${v.hall}`;
  show("refused", false); show("ticket", true); show("state", true);
  $("service").textContent = v.service;
  $("number").textContent = v.number;
  $("area").textContent = w("where", v.window_area);
  $("rule").textContent = v.no_show_rule;  // the hall's own words, as printed on the ticket
  $("expires").textContent = w("expires", hhmm(v.expires));
  const title = $("state-title"), big = $("state-big"), text = $("state-text"), more = $("state-more");
  big.textContent = ""; text.textContent = ""; more.textContent = "";
  show("reactivate", false);
  const win = v.window_name || v.window || "";
  switch (v.state) {
    case "waiting":
      title.textContent = w("waiting");
      big.textContent = w("ahead", v.ahead);
      text.textContent = v.wait_min === null ? w("no_window") : w("wait", v.wait_min, v.wait_max);
      more.textContent = [v.last_called ? w("last_called", v.last_called) : "", v.appointment ? w("appointment") : "",
        w("wait_near", v.window_area)].filter(Boolean).join("　");
      break;
    case "called":
      title.textContent = w("called");
      big.textContent = w("go", win);
      text.textContent = w("called_text", v.number);
      more.textContent = v.recalls ? w("recalls", v.recalls) : "";
      break;
    case "serving":
      title.textContent = w("serving"); big.textContent = w("serving_big", win); text.textContent = w("serving_text");
      break;
    case "done":
      title.textContent = w("done"); big.textContent = "✓"; text.textContent = w("done_text");
      more.textContent = (v.owed || []).map((o) => w(o.overdue ? "owed_late" : "owed", o.material, o.due)).join("　");  // 容缺
      break;
    case "held":
      title.textContent = w("held"); big.textContent = w("held_big", win); text.textContent = w("held_text");
      break;
    case "no_show": {
      const open = v.reactivate_open;
      title.textContent = w("no_show"); big.textContent = open ? w("no_show_big", hhmm(v.reactivate_until)) : w("no_show_over");
      text.textContent = open ? w("no_show_text", v.reactivate_within_min, hhmm(v.reactivate_until)) : w("no_show_late");
      show("reactivate", open);
      break;
    }
    case "cancelled":
      title.textContent = w("cancelled"); text.textContent = w("cancelled_text");
      break;
    case "day_closed":
      title.textContent = w("day_closed"); text.textContent = w("day_closed_text");
      break;
    case "unprinted":
      title.textContent = w("unprinted"); text.textContent = w("unprinted_text");
      break;
  }
  renderNear(v);
  renderRating(v);
  alertIfDue(v);
}

function renderNear(v) {
  show("near", v.state === "waiting");
  const select = $("near-ahead");
  if (!select.options.length && v.near_choices) {
    for (const n of v.near_choices) select.add(new Option(w("people", n), n));
    select.value = String(v.near ?? localStorage.getItem(`onetrip.near.${TOKEN}`) ?? 3);
  }
  for (const opt of select.options) opt.textContent = w("people", opt.value);
  $("near-state").textContent = v.near ? w("near_on", v.near) : "";
}

function renderRating(v) {
  show("rate", v.state === "done" && v.rateable);
  show("rated", Boolean(v.rating));
  if (v.rating) $("rated-text").textContent = w("rated_text", levelWords(v.rating.level));
  const box = $("levels");
  if (!box.children.length) {
    for (const n of [5, 4, 3, 2, 1]) {
      const b = document.createElement("button");
      b.type = "button"; b.dataset.level = n; b.setAttribute("role", "radio");
      b.addEventListener("click", () => pickLevel(n));
      box.append(b);
    }
    for (const r of v.bad_reasons || []) {
      const label = document.createElement("label");
      const box2 = document.createElement("input");
      box2.type = "checkbox"; box2.value = r;
      const span = document.createElement("span");
      label.append(box2, span);
      $("reason-tags").append(label);
    }
  }
  for (const b of box.children) {
    const n = Number(b.dataset.level);
    b.textContent = levelWords(n);
    b.setAttribute("aria-checked", String(n === level));
    b.classList.toggle("bad", n <= 2);
  }
  for (const label of $("reason-tags").children) {
    label.lastChild.textContent = w("reasons")[label.firstChild.value] || label.firstChild.value;
  }
}

function pickLevel(n) {
  level = n;
  show("reasons", n <= 2);
  $("rate-send").disabled = false;
  $("rate-message").textContent = "";
  renderRating(view);
}

async function post(path, body) {
  const r = await fetch(`${API}/${path}`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body || {}) });
  const data = await r.json();
  return { ok: r.ok, data };
}

async function sendRating() {
  const reasons = [...$("reason-tags").querySelectorAll("input:checked")].map((i) => i.value);
  const { ok, data } = await post("rating", { level, reasons: level <= 2 ? reasons : [], text: $("reason-text").value });
  document.body.dataset.refusal = ok ? "" : data.error;
  if (!ok && data.error === "AlreadyRated") { await load(); $("rated-note").textContent = data.message; return; }
  if (!ok) { $("rate-message").textContent = data.message; return; }
  $("rate-message").textContent = "";
  render({ ...view, rateable: false, rating: { level: data.level, words: data.words } });
  if (data.follow_up) $("rated-text").textContent += ` ${w("follow_up")}`;
}

async function setNear() {
  const ahead = Number($("near-ahead").value);
  localStorage.setItem(`onetrip.near.${TOKEN}`, String(ahead));
  if ("Notification" in window && Notification.permission === "default") {
    try { await Notification.requestPermission(); } catch (e) { /* in-page notice instead */ }
  }
  const { ok, data } = await post("near", { ahead });
  if (ok) { told.near = false; render({ ...view, near: data.near }); } else { $("near-state").textContent = data.message; }
}

// ---- being told: near-turn and called, by notification, sound and vibration ------------------
let audio = null;
function beep() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    for (const [i, f] of [[0, 660], [1, 880]]) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = f; o.connect(g); g.connect(audio.destination);
      g.gain.setValueAtTime(0.3, audio.currentTime + i * 0.35);
      g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.35 + 0.3);
      o.start(audio.currentTime + i * 0.35); o.stop(audio.currentTime + i * 0.35 + 0.3);
    }
  } catch (e) { /* no sound: the text and the vibration stay */ }
}

function notify(text) {
  const n = $("notice");
  n.textContent = text; n.hidden = false;
  document.body.dataset.notified = text;
  if (navigator.vibrate) navigator.vibrate([300, 120, 300]);
  beep();
  if ("Notification" in window && Notification.permission === "granted" && document.hidden) {
    try { new Notification(view.hall, { body: text, tag: TOKEN }); } catch (e) { /* in-page notice shown */ }
  }
}

function alertIfDue(v) {
  const near = v.near ?? Number(localStorage.getItem(`onetrip.near.${TOKEN}`) || 0);
  if (v.state === "waiting" && near && v.ahead <= near && !told.near) { told.near = true; notify(w("near_now", v.ahead)); }
  if (v.state === "called" && !told.called) { told.called = true; notify(`${w("go", v.window_name || v.window)} · ${v.number}`); }
  if (v.state !== "called") told.called = false;
  if (v.state !== "waiting" && v.state !== "called") $("notice").hidden = true;
}

// ---- live: the view, then every change over SSE -------------------------------------------------
async function load() {
  const r = await fetch(API, { cache: "no-store" });
  const data = await r.json();
  if (!r.ok) { refused(data); return false; }
  render(data);
  return true;
}

function follow() {
  stream = new EventSource(`${API}/events`);
  stream.addEventListener("open", () => setLink("live"));
  stream.addEventListener("ticket", (e) => render({ ...view, ...JSON.parse(e.data) }));
  stream.addEventListener("expired", () => {  // the day closed: the last state stays, the link is over
    stream.close(); setLink("gone"); $("expires").textContent = w("expired_now");
  });
  stream.addEventListener("error", async () => {
    setLink("offline");
    if (stream.readyState === EventSource.CLOSED) { if (await load()) setTimeout(follow, 3000); }
  });
}

$("lang").addEventListener("click", () => { ui.lang = ui.lang === "en" ? "zh" : "en"; localStorage.setItem("onetrip.lang", ui.lang); applyUi(); });
$("elder").addEventListener("click", () => { ui.elder = !ui.elder; localStorage.setItem("onetrip.elder", ui.elder ? "1" : "0"); applyUi(); });
$("rate-send").addEventListener("click", sendRating);
$("near-set").addEventListener("click", setNear);
$("reactivate").addEventListener("click", async () => {
  const { ok, data } = await post("reactivate");
  $("state-more").textContent = ok ? w("reactivated") : data.message;
});

// ---- the booking page ---------------------------------------------------------------------------
function renderBooking(b) {
  view = b;
  document.body.dataset.state = `booking-${b.state}`;
  $("hall").textContent = b.hall;
  show("refused", false); show("booking", true);
  $("b-service").textContent = b.service;
  $("b-state").textContent = w(`b_${b.state}`);
  $("b-slot").textContent = slotText(b.slot_start, b.slot_end);
  $("b-text").textContent = b.state === "booked" ? w("b_text_booked", b.window_area, b.checkin_early_min)
    : b.state === "checked_in" ? w("b_text_checked_in", b.ticket_number) : w(`b_text_${b.state}`);
  $("b-qr").innerHTML = b.state === "booked" ? b.qr_svg : "";
  show("b-qr-text", b.state === "booked");
  show("b-change", b.state === "booked");
  $("b-rule").textContent = b.changeable ? w("b_rule", b.change_until_min) : w("b_too_late");
  show("b-move", b.changeable && b.slots.length > 0); show("b-cancel", b.changeable); show("b-slots", b.changeable);
  const select = $("b-slots");
  select.replaceChildren(...(b.slots.length ? b.slots.map((s) => new Option(`${slotText(s.start, s.end)}（${w("b_left", s.left)}）`,
    new Date(s.start * 1000).toISOString())) : [new Option(w("b_no_slots"), "")]));
  $("expires").textContent = "";
  setLink("gone");
}

async function loadBooking() {
  const r = await fetch(API, { cache: "no-store" });
  const data = await r.json();
  if (r.ok) renderBooking(data); else refused(data);
}

async function changeBooking(path, body) {
  const { ok, data } = await post(path, body);
  if (!ok) { $("b-message").textContent = data.message; document.body.dataset.refusal = data.error; return; }
  $("b-message").textContent = path === "move" ? w("b_moved") : "";
  if (data.page) history.replaceState(null, "", new URL(data.page).pathname);
  renderBooking(data);
}

$("b-move").addEventListener("click", () => changeBooking("move", { slot_start: $("b-slots").value }));
$("b-cancel").addEventListener("click", () => { if (confirm(w("b_confirm"))) changeBooking("cancel"); });

applyUi();
if (KIND === "t") load().then((ok) => { if (ok) follow(); });
else loadBooking();
