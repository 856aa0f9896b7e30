// Shared helpers of the center's screens: DOM building, the JSON API, live events, formats.
// No framework and no CDN: halls run on intranets.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);

// Every text on a screen comes from the hall's table (center/i18n.py, served as /i18n.js before
// this file): t("console.call") or t("console.done.call", {number: "A001"}). A key not in the
// table shows as itself (the screens' test looks for those).
function t(key, values = {}) {
  const text = (typeof STRINGS === "object" && STRINGS[key]) || key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

// t() as nodes, each value in <b>: "等候 <b>3</b> 人" from "等候 {n} 人".
function parts(key, values) {
  return t(key).split(/(\{\w+\})/).filter(Boolean).map((piece) => {
    const name = piece.match(/^\{(\w+)\}$/);
    return name && name[1] in values ? el("b", {}, values[name[1]]) : piece;
  });
}

// key → its text for each of `names` (maps the engine's values to the hall's words).
const keyed = (prefix, names) => Object.fromEntries(names.map((n) => [n, t(`${prefix}.${n}`)]));

// Static texts of a page: <span data-t="key">, and data-t-placeholder / data-t-value for attributes.
function translatePage(root = document) {
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of root.querySelectorAll("[data-t-placeholder]")) node.placeholder = t(node.dataset.tPlaceholder);
  for (const node of root.querySelectorAll("[data-t-value]")) node.value = t(node.dataset.tValue);
}
translatePage();

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
    super(body.message || t("common.failed"));
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
    throw new ApiError({error: "Network", message: t("common.no_server"), detail: String(err)}, 0);
  }
  const data = await response.json().catch(() => ({message: t("common.server_status", {status: response.status})}));
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
  fill(node, el("span", {class: "who-name"},
    t("common.who", {name: me.name, staff_no: me.staff_no, roles: me.role_names.join(t("common.roles_sep"))})),
    el("button", {class: "small", id: "staff-sign-out", onclick: async () => {
      await api("/api/session/sign_out", {}).catch(() => null);
      staffSession = null;
      location.assign("/login");
    }}, t("common.sign_out")));
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

// The hall's time now, in ms since the epoch.
const hallNowMs = () => (HALL.pcMs ? HALL.hallMs + (Date.now() - HALL.pcMs) * HALL.speed : Date.now());

function clockText() {
  const p = timeParts(hallNowMs());
  return t("common.clock", {date: `${p.year}-${p.month}-${p.day}`, weekday: t(`weekday.${p.weekday}`),
    time: `${p.hour}:${p.minute}:${p.second}`});
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
  return seconds < 60 ? t("common.under_minute") : t("common.minutes", {n: Math.round(seconds / 60)});
}

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return t("common.seconds_ago", {n: Math.round(seconds)});
  if (seconds < 3600) return t("common.minutes_ago", {n: Math.round(seconds / 60)});
  return t("common.hours_ago", {n: Math.round(seconds / 3600)});
}

// What became of a ticket, as the hall says it (the engine's TicketState values).
const TICKET_OUTCOMES = keyed("ticket_state",
  ["waiting", "called", "serving", "held", "done", "no_show", "cancelled", "day_closed", "unprinted"]);
const WINDOW_STATES = keyed("window_state", ["closed", "idle", "calling", "serving", "paused"]);
const DEVICE_STATES = keyed("device_state", ["connecting", "online", "degraded", "offline"]);
const LEVELS = keyed("level", [5, 4, 3, 2, 1]);

// A message line (errors in red, confirmations in green) that fades after a while. An error's
// detail is the engine's own text (for a maintainer, in its language): on hover, not on screen.
function notify(node, text, kind = "ok", detail = "") {
  const shown = kind === "error" ? el("span", {class: "msg-text", title: detail || null}, text)
    : el("span", {class: "msg-text"}, text);
  fill(node, shown, detail && kind !== "error" ? el("span", {class: "msg-detail"}, detail) : null);
  node.className = `message ${kind}`;
  clearTimeout(node._timer);
  node._timer = setTimeout(() => { node.className = "message"; node.replaceChildren(); }, kind === "error" ? 12000 : 5000);
}

function startClock(node) {
  const tick = () => { node.textContent = clockText(); };
  hallReady.then(() => { tick(); setInterval(tick, 1000); });
}
