// Counter console: one window's actions (call, recall, start, finish, no-show, hold, call back,
// transfer, pause, rating) with F-key shortcuts; the engine's refusals shown as plain messages.
"use strict";

const PRIORITY = {elderly: "老年人", disabled: "残疾人", pregnant: "孕妇", military: "军人"};

const WINDOW = new URLSearchParams(location.search).get("window");
// Which buttons make sense in each window state (the server still has the last word).
const ENABLED = {
  idle: ["call", "pause", "rating"],
  calling: ["recall", "start", "no_show", "hold", "transfer"],
  serving: ["finish", "hold", "transfer"],
  paused: ["resume"],
  closed: [],
};
let detail = null;

const DONE = {
  call: (r) => `已呼叫 ${r.number}，请等候群众到窗口`,
  recall: (r) => `已重呼 ${r.number}`,
  start: (r) => `开始办理 ${r.number}`,
  finish: (r, b) => `${r.ticket.number} 已办结` + (r.case ? `，办件编号 ${r.case.case_no}` : "")
    + (b.deferred && b.deferred.length ? `，容缺 ${b.deferred.length} 项已登记承诺` : ""),
  fulfil: (r) => `办件 ${r.case_no} 的「${r.material}」已补交`,
  no_show: (r) => `${r.number} 已过号`,
  hold: (r) => `${r.number} 已挂起`,
  call_back: (r) => `已回呼 ${r.number}`,
  reactivate: (r) => `${r.number} 已恢复排队`,
  transfer: (r) => `${r.number} 已转至 ${r.category} 类等候`,
  pause: (r) => `窗口已暂停（${r.pause_reason}）`,
  resume: () => "窗口已恢复",
  rating: () => "已邀请群众评价",
  sign_in: (r) => `${r.staff} 已签到`,
  sign_out: () => "已签退",
};

function categoryName(letter) {
  const c = detail.categories.find((x) => x.letter === letter);
  return c ? `${c.letter} ${c.name}` : letter;
}

function render(data) {
  detail = data;
  const w = data.window;
  document.title = `${w.name} · 窗口叫号`;
  $("#window-name").textContent = `${w.name}（${w.categories.join(" ")}）`;
  const badge = $("#window-state");
  badge.textContent = WINDOW_STATES[w.state] + (w.pause_reason ? `：${w.pause_reason}` : "");
  badge.className = `badge ${w.state}`;
  $("#staff").textContent = w.staff ? `工号 ${w.staff}` : "";
  $("#sign-out").hidden = !["idle", "paused"].includes(w.state);
  $("#sign-in").hidden = w.state !== "closed";
  $("#desk").hidden = w.state === "closed";
  if (w.state === "closed") {
    whoAmI().then((me) => { if (me) $("#sign-in-who").textContent = `签到人：${me.name}（工号 ${me.staff_no}）`; });
    return;
  }
  renderTicket(data.ticket, w);
  renderButtons(w.state);
  renderOptions(data.ticket);
  renderQueue(data.queue, data.held, w.state);
  renderNoShows(data.no_shows, data.no_show_rule);
  renderPromises(data.promises);
}

// 容缺 owed at this window: the material handed in is recorded with one touch (audited).
function renderPromises(promises) {
  fill($("#promises"), promises.length ? promises.map((p) => el("li", {class: p.overdue ? "overdue" : ""},
    el("span", {class: "meta"}, `${p.case_no} · ${p.material} · ${p.overdue ? "已逾期，" : ""}${p.due} 前补交`),
    el("button", {class: "small", onclick: () => fulfil(p.id)}, "补交")))
    : el("li", {class: "empty"}, "无"));
}

async function fulfil(promiseId) {
  try {
    const kept = await api(`/api/promises/${promiseId}/fulfil`, {});
    notify($("#message"), DONE.fulfil(kept), "ok");
    load();
  } catch (err) {
    notify($("#message"), err.message, "error", err.detail || "");
  }
}

// The item's 可容缺 materials, offered when the case is accepted (each checked one is a promise).
function renderDeferred() {
  const item = detail.items.find((i) => i.code === $("#item").value);
  const names = item ? item.deferrable : [];
  const box = $("#deferred-materials");
  if (box.dataset.item === (item ? item.code : "")) return;  // a refresh keeps what the clerk ticked
  box.dataset.item = item ? item.code : "";
  $("#deferred").hidden = !names.length;
  fill(box, names.map((name) => el("label", {}, el("input", {type: "checkbox", value: name}), ` ${name}`)));
  $("#pledge").checked = false;
}

// 过号 of this window today: minutes left to come back, and one touch to put the ticket back.
function renderNoShows(noShows, rule) {
  $("#no-show-rule").textContent = rule;
  const now = (HALL.pcMs ? HALL.hallMs + (Date.now() - HALL.pcMs) * HALL.speed : Date.now()) / 1000;
  fill($("#no-shows"), noShows.length ? noShows.map((t) => {
    const left = t.reactivate_until === null ? 0 : Math.ceil((t.reactivate_until - now) / 60);
    return el("li", {},
      el("span", {class: "num"}, t.number),
      el("span", {class: "meta"}, `${hhmm(t.missed_at)} 过号 · ` + (left > 0 ? `还可恢复 ${left} 分钟` : "已超过恢复时限")),
      el("button", {class: "small", disabled: left <= 0, dataset: {ticket: t.ticket_id},
        onclick: () => act("reactivate", {ticket_id: t.ticket_id})}, "恢复"));
  }) : el("li", {class: "empty"}, "无"));
}

function renderTicket(t, w) {
  $("#ticket-number").textContent = t ? t.number : "—";
  const state = $("#ticket-state");
  state.textContent = t ? TICKET_OUTCOMES[t.state] || t.state : "";
  state.className = `badge ${w.state}`;
  state.hidden = !t;
  const priority = $("#ticket-priority");
  priority.hidden = !(t && t.priority);
  priority.textContent = t && t.priority ? `绿色通道：${PRIORITY[t.priority] || t.priority}` : "";
  $("#ticket-info").textContent = t
    ? `${categoryName(t.category)}${t.item_name ? " · " + t.item_name : ""} · ${hhmm(t.issued_at)} 取号` +
      (t.recalls ? ` · 已重呼 ${t.recalls} 次` : "")
    : w.state === "paused" ? "窗口暂停中：按 F8 恢复" : "空闲：按 F1 呼叫下一位";
}

function renderButtons(windowState) {
  const enabled = ENABLED[windowState] || [];
  for (const button of document.querySelectorAll(".actions button")) {
    button.disabled = !enabled.includes(button.dataset.action);
  }
  $('[data-action="pause"]').hidden = windowState === "paused";
  $('[data-action="resume"]').hidden = windowState !== "paused";
}

function renderOptions(t) {
  const items = detail.items.filter((i) => !t || i.category === t.category);
  fill($("#item"), el("option", {value: ""}, "（不指定事项）"),
    items.map((i) => el("option", {value: i.code, selected: t && t.item_code === i.code}, `${i.code} ${i.name}`)));
  renderDeferred();
  fill($("#transfer-to"), detail.categories.filter((c) => !t || c.letter !== t.category)
    .map((c) => el("option", {value: c.letter}, `${c.letter} ${c.name}`)));
}

function renderQueue(queue, held, windowState) {
  $("#queue-count").textContent = `${queue.length}${queue.length >= 12 ? "+" : ""} 人`;
  fill($("#queue"), queue.length ? queue.map((t) => el("li", {},
    el("span", {class: "num"}, t.number),
    el("span", {class: "meta"}, `${hhmm(t.issued_at)} 取号${t.priority ? " · 绿色通道" : ""}${t.tier === 0 ? " · 预约" : ""}`
      + (t.due_at ? ` · ${hhmm(t.due_at)} 起叫号` : ""))))
    : el("li", {class: "empty"}, "暂无等候"));
  fill($("#held"), held.length ? held.map((t) => el("li", {},
    el("span", {class: "num"}, t.number),
    el("span", {class: "meta"}, `${hhmm(t.issued_at)} 取号 · 挂起中`),
    el("button", {class: "small", disabled: windowState !== "idle", dataset: {ticket: t.id},
      onclick: () => act("call_back", {ticket_id: t.id})}, "回呼")))
    : el("li", {class: "empty"}, "无"));
}

function bodyFor(action) {
  if (action === "finish") return {create_case: $("#create-case").checked, item_code: $("#item").value || null,
    deferred: [...$("#deferred-materials").querySelectorAll("input:checked")].map((i) => i.value),
    pledge_signed: $("#pledge").checked};
  if (action === "transfer") return {category: $("#transfer-to").value};
  if (action === "pause") return {reason: $("#pause-reason").value};
  return {};
}

async function act(action, body = bodyFor(action), messageBox = $("#message")) {
  try {
    const data = await api(`/api/windows/${encodeURIComponent(WINDOW)}/${action}`, body);
    if (action === "finish") delete $("#deferred-materials").dataset.item;  // the next case starts unticked
    render(data);
    notify(messageBox, DONE[action](data.result, body), "ok");
  } catch (err) {
    notify(messageBox, err.message, "error", err.detail || "");
  }
}

async function load() {
  try {
    render(await api(`/api/windows/${encodeURIComponent(WINDOW)}`));
  } catch (err) {
    notify($("#message"), err.message, "error", err.detail || "");
  }
}

async function pick() {
  $("#pick").hidden = false;
  const data = await api("/api/windows");
  fill($("#window-list"), data.windows.map((w) =>
    el("a", {href: `/console?window=${encodeURIComponent(w.code)}`}, `${w.name}（${WINDOW_STATES[w.state]}）`)));
}

function setup() {
  for (const button of document.querySelectorAll(".actions button")) {
    button.append(el("span", {class: "key"}, button.dataset.key));
    button.addEventListener("click", () => act(button.dataset.action));
  }
  $("#sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("sign_in", {}, $("#sign-in-message"));  // as the signed-in person: the center takes it from the session
  });
  $("#sign-out").addEventListener("click", () => act("sign_out"));
  $("#item").addEventListener("change", renderDeferred);
  document.addEventListener("keydown", (event) => {
    if (!/^F([1-9])$/.test(event.key)) return;
    event.preventDefault();  // F1 help, F5 reload: the desk's keys win on this page
    const button = [...document.querySelectorAll(`.actions button[data-key="${event.key}"]`)]
      .find((b) => !b.hidden && !b.disabled);
    if (button && !$("#desk").hidden) button.click();
  });
  let pending = null;
  const refresh = () => { clearTimeout(pending); pending = setTimeout(load, 150); };
  const dayClosed = (d) => {
    const mine = d.tickets.filter((t) => t.window === WINDOW).map((t) => `${t.number} ${TICKET_OUTCOMES.day_closed}`);
    if (d.windows.includes(WINDOW)) notify($("#message"), `日终清场（${d.day}）：窗口已签退`, "ok", mine.join("，"));
    refresh();
  };
  live({open: load, windows: refresh, queue: refresh, day_close: dayClosed}, (up) => {
    $("#link").textContent = up ? "已连接" : "连接中断";
    $("#link").classList.toggle("down", !up);
  });
}

startClock($("#clock"));
hallReady.then(WINDOW ? setup : pick);
