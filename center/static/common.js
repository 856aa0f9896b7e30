// Shared helpers of the center's screens: DOM building, the JSON API, live events, formats.
// No framework and no CDN: halls run on intranets.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);

// el("div", {class: "x", onclick: fn}, "text", child…): text always goes in as text, never HTML.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") node.style.cssText = value;  // through the CSSOM: the CSP allows no style attributes
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function fill(node, ...children) {
  node.replaceChildren();
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}

class ApiError extends Error {
  constructor(body, status) {
    super(body.message || "操作未完成");
    this.kind = body.error;
    this.detail = body.detail;
    this.status = status;
  }
}

// The signed-in person (工号, name, roles, CSRF token), fetched once; null when nobody is.
let staffSession = null;
async function whoAmI() {
  if (staffSession === null) {
    const response = await fetch("/api/session", {credentials: "same-origin"});
    staffSession = response.ok ? await response.json() : false;
  }
  return staffSession || null;
}

// Staff screens send a person who is not (or no longer) signed in to the sign-in page, and
// one whose password must change to the change form; they come back here afterwards.
function toSignIn(change) {
  const next = encodeURIComponent(location.pathname + location.search);
  location.assign(`/login?next=${next}${change ? "&change=1" : ""}`);
}

// GET when no body is given, POST with a JSON body (and the session's CSRF token) otherwise;
// refusals become ApiError.
async function api(path, body) {
  let options = {credentials: "same-origin"};
  if (body !== undefined) {
    const me = await whoAmI();
    options = {...options, method: "POST", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRF-Token": me ? me.csrf : ""}};
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new ApiError({error: "Network", message: "无法连接服务器", detail: String(err)}, 0);
  }
  const data = await response.json().catch(() => ({message: `服务器返回 ${response.status}`}));
  if (response.status === 401 && data.error === "NotSignedIn") toSignIn(false);
  if (response.status === 403 && data.error === "PasswordChangeRequired") toSignIn(true);
  if (!response.ok) throw new ApiError(data, response.status);
  return data;
}

// The header's "signed in as" with a sign-out button, on every staff screen that has #who.
async function showWho() {
  const node = $("#who");
  if (!node) return;
  const me = await whoAmI();
  if (!me) { toSignIn(false); return; }
  fill(node, el("span", {class: "who-name"}, `${me.name}（${me.staff_no}）· ${me.role_names.join("、")}`),
    el("button", {class: "small", id: "staff-sign-out", onclick: async () => {
      await api("/api/session/sign_out", {}).catch(() => null);
      staffSession = null;
      location.assign("/login");
    }}, "退出"));
}
document.addEventListener("DOMContentLoaded", showWho);

// Live hall events (server-sent events); `onopen` runs after every (re)connect so a screen
// can reload its state, since events missed while disconnected are not replayed.
function live(handlers, onstatus) {
  const source = new EventSource("/events");
  for (const [kind, handler] of Object.entries(handlers)) {
    if (kind === "open") continue;
    source.addEventListener(kind, (event) => handler(JSON.parse(event.data)));
  }
  source.onopen = () => { onstatus && onstatus(true); handlers.open && handlers.open(); };
  source.onerror = () => onstatus && onstatus(false);
  return source;
}

const pad2 = (n) => String(n).padStart(2, "0");
const WEEKDAYS = {Sun: "日", Mon: "一", Tue: "二", Wed: "三", Thu: "四", Fri: "五", Sat: "六"};

// Screens show the hall's time in the hall's time zone, whatever the PC's clock and zone say:
// `hallReady` fetches both once; until it resolves the PC's own are used. A demo or drill hall
// runs its clock `speed` times as fast, so the page advances hall time at that speed too.
const HALL = {tz: undefined, hallMs: 0, pcMs: 0, speed: 1, name: ""};
const hallReady = (async () => {
  try {
    const sent = Date.now();
    const data = await api("/api/hall");
    Object.assign(HALL, {tz: data.tz, name: data.hall, hallMs: data.now * 1000, pcMs: (sent + Date.now()) / 2,
                         speed: data.speed || 1});
  } catch (err) { /* keep the PC's clock */ }
})();

function timeParts(ms) {
  const format = new Intl.DateTimeFormat("en-US", {timeZone: HALL.tz, year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", weekday: "short", hourCycle: "h23"});
  return Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
}

function clockText() {
  const p = timeParts(HALL.pcMs ? HALL.hallMs + (Date.now() - HALL.pcMs) * HALL.speed : Date.now());
  return `${p.year}-${p.month}-${p.day} 星期${WEEKDAYS[p.weekday]} ${p.hour}:${p.minute}:${p.second}`;
}

function hhmm(ts) {
  if (!ts) return "—";
  const p = timeParts(ts * 1000);
  return `${p.hour}:${p.minute}`;
}

function ymd(ts) {
  const p = timeParts(ts * 1000);
  return `${p.year}-${p.month}-${p.day}`;
}

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  return seconds < 60 ? "<1 分" : `${Math.round(seconds / 60)} 分`;
}

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${Math.round(seconds)} 秒前`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} 分前`;
  return `${Math.round(seconds / 3600)} 小时前`;
}

// What became of a ticket, as the hall says it (the engine's TicketState values).
const TICKET_OUTCOMES = {waiting: "等候", called: "已呼叫", serving: "办理中", held: "挂起", done: "已办结", no_show: "过号",
  cancelled: "作废", day_closed: "闭馆未办结", unprinted: "未出票"};
const WINDOW_STATES = {closed: "未签到", idle: "空闲", calling: "呼叫中", serving: "办理中", paused: "暂停"};
const DEVICE_STATES = {connecting: "连接中", online: "在线", degraded: "降级", offline: "离线"};
const LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"};

// A message line (errors in red, confirmations in green) that fades after a while.
function notify(node, text, kind = "ok", detail = "") {
  fill(node, el("span", {class: "msg-text"}, text), detail ? el("span", {class: "msg-detail"}, detail) : null);
  node.className = `message ${kind}`;
  clearTimeout(node._timer);
  node._timer = setTimeout(() => { node.className = "message"; node.replaceChildren(); }, kind === "error" ? 12000 : 5000);
}

function startClock(node) {
  const tick = () => { node.textContent = clockText(); };
  hallReady.then(() => { tick(); setInterval(tick, 1000); });
}
