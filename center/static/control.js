// Control room: queues against targets, windows, alerts to acknowledge, ratings and 差评
// follow-ups, every terminal and device with telemetry charts and remote commands.
"use strict";

// The alert's kind and a headline from its key (alert_kind.*, alert_headline.*); the details
// below it come from the center already worded in the hall's language (alert.* in center/i18n.py).
const alertKind = (kind) => t(`alert_kind.${kind}`);
const alertHeadline = (a) => (STRINGS[`alert_headline.${a.kind}`] ? t(`alert_headline.${a.kind}`, {key: a.key}) : null);
const FOLLOW_UP_STATES = keyed("follow_up_state", ["open", "rectified", "appealed", "closed"]);
const FOLLOW_UP_ACTIONS = {
  open: ["return_visit", "rectify", "appeal"],
  rectified: ["return_visit", "appeal", "close"],
  appealed: ["appeal_upheld", "appeal_rejected"],
};
const MAX_METRICS = 8;
// A device's or telemetry's name as the hall says it; an unknown one keeps its own name.
const known = (key, fallback) => (STRINGS[key] ? t(key) : fallback);

async function run(request, done) {
  try {
    await request();
    notify($("#message"), done, "ok");
    load();
  } catch (err) {
    notify($("#message"), err.message, "error", err.detail || "");
  }
}

function stars(level) { return "★".repeat(level) + "☆".repeat(5 - level); }

function renderCategories(categories) {
  fill($("#categories"), categories.map((c) => {
    const waitedMin = c.waiting ? c.longest_wait_s / 60 : 0;
    const ratio = c.wait_target_min ? waitedMin / c.wait_target_min : 0;
    const bar = el("div", {class: `waitbar ${ratio > 1 ? "over" : ratio > 0.8 ? "near" : ""}`},
      el("span", {style: `width:${Math.min(100, ratio * 100).toFixed(0)}%`}),
      el("em", {}, t("control.wait_bar", {waited: c.waiting ? Math.round(waitedMin) : "—", target: c.wait_target_min})));
    const est = c.estimate.low_min === null ? t("control.no_window_open")
      : t("control.estimate", {low: c.estimate.low_min, high: c.estimate.high_min});
    return el("tr", {class: ratio > 1 ? "over" : ""},
      el("td", {}, `${c.category} ${c.name}`), el("td", {class: "num"}, c.issued), el("td", {class: "num"}, c.waiting),
      el("td", {}, bar), el("td", {class: "num"}, c.last_called || "—"), el("td", {class: "num"}, c.open_windows),
      el("td", {class: "num"}, est), el("td", {class: "num"}, c.day_closed || "—"));
  }));
}

function renderAlerts(alerts) {
  $("#alert-count").textContent = alerts.length ? t("control.alerts_open", {n: alerts.length}) : "";
  fill($("#alerts"), alerts.length ? alerts.map((a) => el("li", {class: a.acked_at ? "acked" : "", dataset: {kind: a.kind, key: a.key}},
    el("span", {class: `badge ${a.kind === "paper_out" || a.kind === "window_idle" ? "warn" : "bad"}`}, alertKind(a.kind)),
    el("div", {class: "body"}, alertHeadline(a) || a.text,
      a.count > 1 ? el("span", {class: "muted"}, ` ×${a.count}`) : null,
      alertHeadline(a) ? el("div", {class: "when"}, a.text) : null,
      a.acked_at ? el("div", {class: "when"}, t("control.acked", {by: a.acked_by, time: hhmm(a.acked_at)})) : null),
    el("span", {class: "when"}, hhmm(a.raised_at)),
    a.acked_at ? null : el("button", {class: "small", onclick: () => run(
      () => api("/api/alerts/ack", {kind: a.kind, key: a.key}), t("control.ack_done"))}, t("control.ack"))))
    : el("li", {class: "empty"}, t("control.no_alerts")));
}

// Events a terminal sent that the center refused (acknowledged, so the terminal moved on): what
// was tried, where, and why; the link's own text (it names fields) on hover; personal fields arrive masked.

function renderRefused(refused) {
  $("#refused-count").textContent = refused.length ? t("control.refused_recent", {n: refused.length}) : "";
  fill($("#refused"), refused.length ? refused.map((e) => el("li", {dataset: {eventId: e.event_id}},
    el("span", {class: "badge warn"}, known(`event_kind.${e.kind}`, e.kind)),
    el("div", {class: "body", title: e.message}, `${e.terminal} · ${known(`refusal.${e.error}`, e.error)}`),
    el("span", {class: "when"}, hhmm(e.at))))
    : el("li", {class: "empty"}, t("common.none")));
}

// 未出票: numbers the center issued whose kiosk never confirmed the print; never called, closed
// after [queue] print_confirm_s. A kiosk that shows up here often has a printer or link problem.
function renderUnprinted(unprinted) {
  $("#unprinted-count").textContent = unprinted.length ? t("control.unprinted_count", {n: unprinted.length}) : "";
  fill($("#unprinted"), unprinted.length ? unprinted.map((u) => el("li", {dataset: {ticket: u.id}},
    el("span", {class: "badge warn"}, u.number),
    el("div", {class: "body"}, t("control.unprinted_at", {terminal: u.terminal || "—"})),
    el("span", {class: "when"}, hhmm(u.issued_at))))
    : el("li", {class: "empty"}, t("common.none")));
}

function renderWindows(windows) {
  fill($("#windows"), windows.map((w) => el("div", {class: `tile ${w.state}`},
    el("div", {class: "name"}, w.name),
    el("div", {class: "ticket"}, w.ticket_number || "—"),
    el("div", {class: "meta"}, w.pause_reason ? t("console.state_reason", {state: WINDOW_STATES[w.state], reason: w.pause_reason})
      : WINDOW_STATES[w.state]),
    el("div", {class: "meta"}, (w.staff ? t("control.window_staff", {staff: w.staff}) : "")
      + t("control.since", {time: hhmm(w.since)})))));
}

function renderRatings(r) {
  $("#rating-summary").textContent = r.count
    ? t("control.ratings_summary", {n: r.count, rate: `${(r.rate * 100).toFixed(1)}%`}) : t("control.no_ratings");
  fill($("#ratings"), r.latest.length ? r.latest.map((x) => el("li", {},
    el("span", {class: "stars", title: LEVELS[x.level]}, stars(x.level)),
    el("div", {class: "body"}, t("control.rating_line", {number: x.ticket_number, window: x.window})
      + (x.staff ? " · " + x.staff : ""),
      x.reasons.length ? el("div", {class: "muted"}, x.reasons.join(t("common.list_sep"))) : null),
    el("span", {class: "when"}, hhmm(x.at))))
    : el("li", {class: "empty"}, t("control.no_ratings_today")));
}

function renderFollowUps(followUps) {
  $("#follow-up-count").textContent = followUps.length ? t("control.follow_ups_open", {n: followUps.length}) : "";
  fill($("#follow-ups"), followUps.length ? followUps.map((f) => {
    const r = f.rating || {};
    const note = el("input", {type: "text", placeholder: t("control.note")});
    const actions = (FOLLOW_UP_ACTIONS[f.state] || []).map((action) => el("button", {class: "small",
      dataset: {action}, onclick: () => run(() => api(`/api/follow-ups/${f.id}/${action}`,
        {note: note.value}), t("control.step_done", {label: t(`follow_up_action.${action}`)}))},
      t(`follow_up_action.${action}`)));
    return el("li", {class: "follow-up", dataset: {followUp: f.id}},
      el("div", {class: "body"},
        el("div", {}, el("span", {class: "stars"}, stars(r.level || 1)),
          " " + t("control.rating_line", {number: r.ticket_number, window: r.window}),
          r.staff ? ` · ${r.staff}` : "", ` · ${FOLLOW_UP_STATES[f.state] || f.state}`, r.real_name ? t("control.real_name") : ""),
        el("div", {}, (r.reasons || []).join(t("common.list_sep"))),
        el("div", {class: "steps"}, t("control.deadline", {day: ymd(f.deadline - 1)}) +
          f.steps.map((s) => `${known(`step.${s.kind}`, s.kind)} ${hhmm(s.at)}${s.by ? " " + s.by : ""}`).join(" → ")),
        el("div", {class: "do"}, note, actions)));
  }) : el("li", {class: "empty"}, t("control.no_follow_ups")));
}

// 帮办: the manager sends a named helper, who marks arrival and closes with the outcome.
function renderHelp(cases, helpers) {
  $("#help-count").textContent = cases.length ? t("control.help_count", {n: cases.length}) : "";
  fill($("#help-cases"), cases.length ? cases.map((c) => {
    const who = el("select", {"aria-label": t("control.helper")}, helpers.map((h) => el("option", {value: h.staff_no}, `${h.name}（${h.staff_no}）`)));
    const outcome = el("input", {type: "text", placeholder: t("control.outcome"), "aria-label": t("control.outcome")});
    const step = (action, body, done) => el("button", {class: "small", dataset: {action},
      onclick: () => run(() => api(`/api/help/${c.id}/${action}`, body()), done())}, t(`control.${action}`));
    const actions = c.state === "asked"
      ? [who, step("assign", () => ({helper: who.value}), () => t("control.assigned", {name: who.selectedOptions[0].textContent}))]
      : [c.state === "assigned" ? step("arrive", () => ({}), () => t("control.arrived")) : null, outcome,
         step("close", () => ({outcome: outcome.value}), () => t("control.closed"))];
    return el("li", {class: `help ${c.escalated_at ? "escalated" : ""}`, dataset: {help: c.id}},
      el("span", {class: `badge ${c.state === "asked" ? "bad" : "warn"}`}, t(`state.${c.state}`)),
      el("div", {class: "body"},
        el("div", {}, `${c.location} · ${c.topic}`, c.helper_name ? ` · ${c.helper_name}` : "",
          c.escalated_at ? el("span", {class: "muted"}, ` · ${t("control.escalated")}`) : null),
        el("div", {class: "when"}, [hhmm(c.asked_at), c.acknowledged_at && hhmm(c.acknowledged_at),
          c.arrived_at && hhmm(c.arrived_at)].filter(Boolean).join(" → ")),
        el("div", {class: "do"}, actions)));
  }) : el("li", {class: "empty"}, t("control.no_help")));
}

// 容缺 due soon or overdue, with 补交 (a clerk's or a manager's action, audited).
function renderPromises(promises, days) {
  const late = promises.filter((p) => p.overdue).length;
  $("#promise-count").textContent = promises.length ? t("control.promise_count", {n: promises.length, late}) : "";
  fill($("#promises"), promises.length ? promises.map((p) => el("li", {class: p.overdue ? "overdue" : "", dataset: {promise: p.id}},
    el("span", {class: `badge ${p.overdue ? "bad" : "warn"}`}, p.overdue ? alertKind("promise_overdue") : t("control.owed")),
    el("div", {class: "body"}, `${p.case_no} · ${p.material}`,
      el("div", {class: "when"}, t(p.overdue ? "control.promise_late" : "control.promise_due", p))),
    el("button", {class: "small", onclick: () => run(() => api(`/api/promises/${p.id}/fulfil`, {}),
      t("control.fulfilled", p))}, t("control.fulfil"))))
    : el("li", {class: "empty"}, t("control.no_promises", {days})));
}

function command(terminal, name, args, label) {
  return run(() => api(`/api/terminals/${encodeURIComponent(terminal)}/commands/${name}`, {args}), t("control.command_done", {label}));
}

function metricCells(series) {
  if (!series) return [];
  const varied = (v) => new Set(v.filter((x) => x !== null)).size > 1;
  const names = Object.keys(series.values).sort((a, b) => varied(series.values[b]) - varied(series.values[a]));
  return names.slice(0, MAX_METRICS).map((m) => {
    const values = series.values[m];
    const last = values[values.length - 1];
    return el("span", {class: "metric", title: m}, known(`metric.${m}`, m), el("b", {}, last === null ? "—" : +last.toFixed(2)),
      sparkline(values, {width: 70, height: 20}));
  });
}

function renderTerminals(terminals, history) {
  const online = terminals.filter((x) => x.online).length;
  $("#terminal-summary").textContent = t("control.online_of", {online, all: terminals.length});
  fill($("#terminals"), terminals.length ? terminals.map((term) => {
    const devices = Object.entries(term.devices);
    const printer = devices.find(([, d]) => d.family === "printer");
    return el("div", {class: "terminal", dataset: {terminal: term.terminal}},
      el("div", {class: "head"},
        el("span", {class: "name"}, term.terminal),
        el("span", {class: `badge ${term.online ? "online" : "offline"}`}, t(term.online ? "control.online" : "control.offline")),
        el("span", {class: "muted"}, t("control.terminal_meta", {role: known(`terminal_role.${term.role}`, t("terminal_role.other")),
          session: term.session, since: hhmm(term.since), age: ago(term.system_age_s)})),
        el("span", {class: "spacer", style: "flex:1"}),
        printer ? el("button", {class: "small", disabled: !term.online, dataset: {command: "test_page"},
          onclick: () => command(term.terminal, "test_page", {}, t("control.test_page"))}, t("control.test_page")) : null,
        el("button", {class: "small", disabled: !term.online, dataset: {command: "rebirth"},
          onclick: () => command(term.terminal, "rebirth", {}, t("control.rebirth"))}, t("control.rebirth"))),
      el("div", {class: "metrics", style: "padding:6px 12px"}, metricCells((history[term.terminal] || {}).system)),
      el("table", {},
        el("thead", {}, el("tr", {}, ["device", "model", "state", "telemetry", "trend"].map((h) => el("th", {}, t(`control.col.${h}`))),
          el("th", {}))),
        el("tbody", {}, devices.map(([name, d]) => el("tr", {dataset: {device: name}},
          el("td", {}, known(`device_family.${d.family || name}`, name),
            d.family && d.family !== name ? el("div", {class: "muted"}, name) : null),
          el("td", {}, d.model || "—", d.firmware ? el("div", {class: "muted"}, d.firmware) : null),
          el("td", {}, el("span", {class: `badge ${d.stale ? "stale" : d.state}`},
            d.stale ? t("control.stale", {state: DEVICE_STATES[d.state] || d.state}) : DEVICE_STATES[d.state] || d.state),
            d.reason ? el("div", {class: "muted"}, known(`device_reason.${d.reason}`, d.reason)) : null),
          el("td", {}, ago(d.telemetry_age_s)),
          el("td", {}, el("div", {class: "metrics"}, metricCells((history[term.terminal] || {})[name]))),
          el("td", {}, el("button", {class: "small", disabled: !term.online, dataset: {command: "restart_driver"},
            onclick: () => command(term.terminal, "restart_driver", {device: name}, t("control.restart_device", {device: known(`device_family.${d.family || name}`, name)}))},
            t("control.restart_driver"))))))));
  }) : el("div", {class: "empty"}, t("control.no_terminals")));
}

async function load() {
  try {
    const data = await api("/api/control");
    $("#hall").textContent = data.hall;
    renderCategories(data.categories);
    renderAlerts(data.alerts);
    renderWindows(data.windows);
    renderRatings(data.ratings);
    renderRefused(data.refused_events);
    renderUnprinted(data.unprinted);
    const typing = document.activeElement && document.activeElement.tagName === "INPUT";
    if (!(typing && $("#help-cases").contains(document.activeElement))) renderHelp(data.help_cases, data.helpers);
    renderPromises(data.promises, data.promise_due_soon_days);
    if (!$("#follow-ups").contains(document.activeElement)) renderFollowUps(data.follow_ups);  // keep a note being typed
    const history = {};
    await Promise.all(data.terminals.map(async (t) => { history[t.terminal] = await api(`/api/telemetry/${encodeURIComponent(t.terminal)}`); }));
    renderTerminals(data.terminals, history);
  } catch (err) {
    notify($("#message"), err.message, "error", err.detail || "");
  }
}

let pending = null;
const refresh = () => { clearTimeout(pending); pending = setTimeout(load, 300); };
startClock($("#clock"));
hallReady.then(() => {
  setInterval(load, 5000);
  live({day_close: (d) => { notify($("#message"), t("control.day_closed", {day: d.day, tickets: d.tickets.length,
    outcome: TICKET_OUTCOMES.day_closed, windows: d.windows.length}), "ok"); refresh(); },
    open: load, call: refresh, queue: refresh, windows: refresh, alert: refresh, alert_cleared: refresh,
    rating: refresh, refused_event: refresh, terminal: refresh, help: refresh, promises: refresh}, (up) => {
    $("#link").textContent = t(up ? "common.connected" : "common.disconnected");
    $("#link").classList.toggle("down", !up);
  });
});
