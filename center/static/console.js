// Counter console: one window's actions (call, recall, start, finish, no-show, hold, call back,
// transfer, pause, rating) with F-key shortcuts; the engine's refusals shown as plain messages.
"use strict";

const PRIORITY = keyed("priority", ["elderly", "disabled", "pregnant", "military"]);

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

// What the console says once an action is done: console.done.<action>, with the result's values.
const DONE = {
  finish: (r) => (r.case ? t("console.done.finish_case", {number: r.ticket.number, case_no: r.case.case_no})
    : t("console.done.finish", {number: r.ticket.number})),
  pause: (r) => t("console.done.pause", {reason: r.pause_reason}),
};
const done = (action, result) => (DONE[action] ? DONE[action](result) : t(`console.done.${action}`, result || {}));

function categoryName(letter) {
  const c = detail.categories.find((x) => x.letter === letter);
  return c ? `${c.letter} ${c.name}` : letter;
}

function render(data) {
  detail = data;
  const w = data.window;
  document.title = t("console.page_title", {window: w.name});
  $("#window-name").textContent = t("console.window_name", {name: w.name, categories: w.categories.join(" ")});
  const badge = $("#window-state");
  badge.textContent = w.pause_reason ? t("console.state_reason", {state: WINDOW_STATES[w.state], reason: w.pause_reason})
    : WINDOW_STATES[w.state];
  badge.className = `badge ${w.state}`;
  $("#staff").textContent = w.staff ? t("console.staff", {staff: w.staff}) : "";
  $("#sign-out").hidden = !["idle", "paused"].includes(w.state);
  $("#sign-in").hidden = w.state !== "closed";
  $("#desk").hidden = w.state === "closed";
  if (w.state === "closed") {
    whoAmI().then((me) => { if (me) $("#sign-in-who").textContent = t("console.sign_in_who", me); });
    return;
  }
  renderTicket(data.ticket, w);
  renderButtons(w.state);
  renderOptions(data.ticket);
  renderQueue(data.queue, data.held, w.state);
  renderNoShows(data.no_shows, data.no_show_rule);
  renderPromises(data.promises);
}

// 过号 of this window today: minutes left to come back, and one touch to put the ticket back.
function renderNoShows(noShows, rule) {
  $("#no-show-rule").textContent = rule;
  const now = (HALL.pcMs ? HALL.hallMs + (Date.now() - HALL.pcMs) * HALL.speed : Date.now()) / 1000;
  fill($("#no-shows"), noShows.length ? noShows.map((n) => {
    const left = n.reactivate_until === null ? 0 : Math.ceil((n.reactivate_until - now) / 60);
    return el("li", {},
      el("span", {class: "num"}, n.number),
      el("span", {class: "meta"}, left > 0 ? t("console.no_show_left", {time: hhmm(n.missed_at), minutes: left})
        : t("console.no_show_late", {time: hhmm(n.missed_at)})),
      el("button", {class: "small", disabled: left <= 0, dataset: {ticket: n.ticket_id},
        onclick: () => act("reactivate", {ticket_id: n.ticket_id})}, t("console.reactivate")));
  }) : el("li", {class: "empty"}, t("common.none")));
}

// 容缺 owed at this window: the material handed in is recorded with one touch (audited).
function renderPromises(promises) {
  fill($("#promises"), promises.length ? promises.map((p) => el("li", {class: p.overdue ? "overdue" : ""},
    el("span", {class: "meta"}, t(p.overdue ? "console.promise_late" : "console.promise_due", p)),
    el("button", {class: "small", onclick: () => fulfil(p.id)}, t("console.fulfil"))))
    : el("li", {class: "empty"}, t("common.none")));
}

async function fulfil(promiseId) {
  try {
    const kept = await api(`/api/promises/${promiseId}/fulfil`, {});
    notify($("#message"), t("console.done.fulfil", kept), "ok");
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

function renderTicket(ticket, w) {
  $("#ticket-number").textContent = ticket ? ticket.number : "—";
  const state = $("#ticket-state");
  state.textContent = ticket ? TICKET_OUTCOMES[ticket.state] || ticket.state : "";
  state.className = `badge ${w.state}`;
  state.hidden = !ticket;
  const priority = $("#ticket-priority");
  priority.hidden = !(ticket && ticket.priority);
  priority.textContent = ticket && ticket.priority
    ? t("console.priority", {group: PRIORITY[ticket.priority] || ticket.priority}) : "";
  $("#ticket-info").textContent = ticket
    ? t("console.ticket_info", {category: categoryName(ticket.category), item: ticket.item_name ? " · " + ticket.item_name : "",
      issued: hhmm(ticket.issued_at)}) + (ticket.recalls ? t("console.recalled", {n: ticket.recalls}) : "")
    : t(w.state === "paused" ? "console.paused_hint" : "console.idle_hint");
}

function renderButtons(windowState) {
  const enabled = ENABLED[windowState] || [];
  for (const button of document.querySelectorAll(".actions button")) {
    button.disabled = !enabled.includes(button.dataset.action);
  }
  $('[data-action="pause"]').hidden = windowState === "paused";
  $('[data-action="resume"]').hidden = windowState !== "paused";
}

function renderOptions(ticket) {
  const items = detail.items.filter((i) => !ticket || i.category === ticket.category);
  fill($("#item"), el("option", {value: ""}, t("console.no_item")),
    items.map((i) => el("option", {value: i.code, selected: ticket && ticket.item_code === i.code}, `${i.code} ${i.name}`)));
  renderDeferred();
  fill($("#transfer-to"), detail.categories.filter((c) => !ticket || c.letter !== ticket.category)
    .map((c) => el("option", {value: c.letter}, `${c.letter} ${c.name}`)));
}

function renderQueue(queue, held, windowState) {
  $("#queue-count").textContent = t("console.queue_count", {n: `${queue.length}${queue.length >= 12 ? "+" : ""}`});
  fill($("#queue"), queue.length ? queue.map((q) => el("li", {},
    el("span", {class: "num"}, q.number),
    el("span", {class: "meta"}, t("console.taken_at", {time: hhmm(q.issued_at)}) + (q.priority ? t("console.priority_tag") : "")
      + (q.tier === 0 ? t("console.booked_tag") : "") + (q.due_at ? t("console.due_tag", {time: hhmm(q.due_at)}) : ""))))
    : el("li", {class: "empty"}, t("console.nobody_waits")));
  fill($("#held"), held.length ? held.map((h) => el("li", {},
    el("span", {class: "num"}, h.number),
    el("span", {class: "meta"}, t("console.holding", {time: hhmm(h.issued_at)})),
    el("button", {class: "small", disabled: windowState !== "idle", dataset: {ticket: h.id},
      onclick: () => act("call_back", {ticket_id: h.id})}, t("console.call_back"))))
    : el("li", {class: "empty"}, t("common.none")));
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
    const owed = action === "finish" ? body.deferred.length : 0;
    notify(messageBox, done(action, data.result) + (owed ? t("console.done.deferred", {n: owed}) : ""), "ok");
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
    el("a", {href: `/console?window=${encodeURIComponent(w.code)}`},
      t("console.window_link", {name: w.name, state: WINDOW_STATES[w.state]}))));
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
    const mine = d.tickets.filter((x) => x.window === WINDOW)
      .map((x) => t("console.day_closed_ticket", {number: x.number, outcome: TICKET_OUTCOMES.day_closed}));
    if (d.windows.includes(WINDOW)) notify($("#message"), t("console.day_closed", d), "ok", mine.join(t("common.list_sep")));
    refresh();
  };
  live({open: load, windows: refresh, queue: refresh, day_close: dayClosed}, (up) => {
    $("#link").textContent = t(up ? "common.connected" : "common.disconnected");
    $("#link").classList.toggle("down", !up);
  });
}

startClock($("#clock"));
hallReady.then(WINDOW ? setup : pick);
