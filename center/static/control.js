// Control room: queues against targets, windows, alerts to acknowledge, ratings and 差评
// follow-ups, every terminal and device with telemetry charts and remote commands.
"use strict";

const ALERT_KINDS = {
  wait_over_target: "等候超时", queue_long: "排队过长", window_idle: "窗口空闲", device_offline: "设备离线",
  paper_out: "缺纸", outbox_backlog: "事件积压", bad_rating: "差评", follow_up_overdue: "整改逾期", help_requested: "帮办",
  clock_offset: "时钟偏差", promise_overdue: "容缺逾期", help_escalated: "帮办超时",
};
// 帮办 cases and 容缺 promises (the hall's words; center/help_desk.py and center/promises.py).
const FLOOR = {
  help_states: {asked: "待响应", assigned: "已派人", arrived: "已到场"},
  assign: "派人前往", arrive: "已到场", close: "结束", outcome: "处理结果", escalated: "已超时升级",
  assigned: (name) => `已派 ${name} 前往`, arrived: "已记录到场", closed: "帮办已结束",
  no_help: "无待处理帮办", promise_due: (p) => `${p.overdue ? "已逾期，" : ""}${p.due} 前补交`,
  fulfil: "补交", fulfilled: (p) => `「${p.material}」已补交`, no_promises: (days) => `${days} 天内无到期承诺`,
  help_count: (n) => `${n} 件未结`, promise_count: (n, late) => `${n} 项（逾期 ${late}）`,
};
// A Chinese headline per alert kind; the engine's own text follows in small print.
const ALERT_HEADLINES = {
  wait_over_target: (k) => `${k} 类最长等候超过目标`, queue_long: (k) => `${k} 类排队人数过多`,
  window_idle: (k) => `${k} 号窗口空闲，但有群众等候`, device_offline: (k) => `${k} 离线`, paper_out: (k) => `${k} 缺纸`,
  outbox_backlog: (k) => `${k} 事件未确认积压`, bad_rating: () => "收到差评，待整改回访",
  follow_up_overdue: () => "差评整改已逾期", clock_offset: (k) => `${k} 终端时钟偏差`,
};
const FOLLOW_UP_STATES = {open: "待整改", rectified: "已整改", appealed: "申诉中", closed: "已关闭"};
const FOLLOW_UP_ACTIONS = {
  open: [["return_visit", "已回访"], ["rectify", "整改完成"], ["appeal", "申诉"]],
  rectified: [["return_visit", "已回访"], ["appeal", "申诉"], ["close", "关闭"]],
  appealed: [["appeal_upheld", "申诉成立"], ["appeal_rejected", "申诉驳回"]],
};
const STEP_NAMES = {opened: "立案", reason_needed: "原因待核实", return_visit: "回访", rectify: "整改", appeal: "申诉", appeal_upheld: "申诉成立",
  appeal_rejected: "申诉驳回", close: "关闭"};
const MAX_METRICS = 8;
const ERROR_NAMES = {InvalidArgs: "内容格式有误", AlreadyRated: "重复评价", NotRateable: "无可评价的服务",
  ReasonRequired: "差评缺原因", UnknownTicket: "无此号", UnknownCase: "无此办件", NotYourTicket: "非本机所出的号",
  UnknownWindow: "无此窗口", UnknownEventKind: "未知事件", InternalError: "系统内部错误"};

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
      el("em", {}, c.waiting ? `${Math.round(waitedMin)} / ${c.wait_target_min} 分` : `— / ${c.wait_target_min} 分`));
    const est = c.estimate.low_min === null ? "无开放窗口" : `${c.estimate.low_min}–${c.estimate.high_min} 分`;
    return el("tr", {class: ratio > 1 ? "over" : ""},
      el("td", {}, `${c.category} ${c.name}`), el("td", {class: "num"}, c.issued), el("td", {class: "num"}, c.waiting),
      el("td", {}, bar), el("td", {class: "num"}, c.last_called || "—"), el("td", {class: "num"}, c.open_windows),
      el("td", {class: "num"}, est), el("td", {class: "num"}, c.day_closed || "—"));
  }));
}

function renderAlerts(alerts) {
  $("#alert-count").textContent = alerts.length ? `${alerts.length} 条待处理` : "";
  fill($("#alerts"), alerts.length ? alerts.map((a) => el("li", {class: a.acked_at ? "acked" : "", dataset: {kind: a.kind, key: a.key}},
    el("span", {class: `badge ${a.kind === "paper_out" || a.kind === "window_idle" ? "warn" : "bad"}`}, ALERT_KINDS[a.kind] || a.kind),
    el("div", {class: "body"}, ALERT_HEADLINES[a.kind] ? ALERT_HEADLINES[a.kind](a.key) : a.text,
      a.count > 1 ? el("span", {class: "muted"}, ` ×${a.count}`) : null,
      ALERT_HEADLINES[a.kind] ? el("div", {class: "when"}, a.text) : null,
      a.acked_at ? el("div", {class: "when"}, `${a.acked_by} 已确认 ${hhmm(a.acked_at)}`) : null),
    el("span", {class: "when"}, hhmm(a.raised_at)),
    a.acked_at ? null : el("button", {class: "small", onclick: () => run(
      () => api("/api/alerts/ack", {kind: a.kind, key: a.key}), "告警已确认")}, "确认")))
    : el("li", {class: "empty"}, "无告警"));
}

// Events a terminal sent that the center refused (acknowledged, so the terminal moved on): what
// was tried, where, and the center's reason; personal fields arrive masked.
const EVENT_KINDS = {rating: "评价", ticket_cancelled: "作废号", ticket_printed: "出票", caller_key: "呼叫器按键",
  help_requested: "帮办", outbox_overflow: "事件积压"};

function renderRefused(refused) {
  $("#refused-count").textContent = refused.length ? `最近 ${refused.length} 条` : "";
  fill($("#refused"), refused.length ? refused.map((e) => el("li", {dataset: {eventId: e.event_id}},
    el("span", {class: "badge warn"}, EVENT_KINDS[e.kind] || e.kind),
    el("div", {class: "body"}, `${e.terminal} · ${ERROR_NAMES[e.error] || e.error}`,
      el("div", {class: "when"}, e.message)),
    el("span", {class: "when"}, hhmm(e.at))))
    : el("li", {class: "empty"}, "无"));
}

function renderWindows(windows) {
  fill($("#windows"), windows.map((w) => el("div", {class: `tile ${w.state}`},
    el("div", {class: "name"}, w.name),
    el("div", {class: "ticket"}, w.ticket_number || "—"),
    el("div", {class: "meta"}, `${WINDOW_STATES[w.state]}${w.pause_reason ? "：" + w.pause_reason : ""}`),
    el("div", {class: "meta"}, `${w.staff ? "工号 " + w.staff + " · " : ""}${hhmm(w.since)} 起`))));
}

function renderRatings(r) {
  $("#rating-summary").textContent = r.count
    ? `${r.count} 条，满意率 ${(r.rate * 100).toFixed(1)}%` : "暂无评价";
  fill($("#ratings"), r.latest.length ? r.latest.map((x) => el("li", {},
    el("span", {class: "stars", title: LEVELS[x.level]}, stars(x.level)),
    el("div", {class: "body"}, `${x.ticket_number} · ${x.window} 号窗口${x.staff ? " · " + x.staff : ""}`,
      x.reasons.length ? el("div", {class: "muted"}, x.reasons.join("；")) : null),
    el("span", {class: "when"}, hhmm(x.at))))
    : el("li", {class: "empty"}, "今日暂无评价"));
}

function renderFollowUps(followUps) {
  $("#follow-up-count").textContent = followUps.length ? `${followUps.length} 件未结` : "";
  fill($("#follow-ups"), followUps.length ? followUps.map((f) => {
    const r = f.rating || {};
    const note = el("input", {type: "text", placeholder: "处理说明"});
    const actions = (FOLLOW_UP_ACTIONS[f.state] || []).map(([action, label]) => el("button", {class: "small",
      dataset: {action}, onclick: () => run(() => api(`/api/follow-ups/${f.id}/${action}`,
        {note: note.value}), `${label}：已记录`)}, label));
    return el("li", {class: "follow-up", dataset: {followUp: f.id}},
      el("div", {class: "body"},
        el("div", {}, el("span", {class: "stars"}, stars(r.level || 1)), ` ${r.ticket_number} · ${r.window} 号窗口`,
          r.staff ? ` · ${r.staff}` : "", ` · ${FOLLOW_UP_STATES[f.state] || f.state}`, r.real_name ? " · 实名" : ""),
        el("div", {}, (r.reasons || []).join("；")),
        el("div", {class: "steps"}, `期限 ${ymd(f.deadline - 1)} · ` +
          f.steps.map((s) => `${STEP_NAMES[s.kind] || s.kind} ${hhmm(s.at)}${s.by ? " " + s.by : ""}`).join(" → ")),
        el("div", {class: "do"}, note, actions)));
  }) : el("li", {class: "empty"}, "无未结整改"));
}

function renderHelp(cases, helpers) {
  $("#help-count").textContent = cases.length ? FLOOR.help_count(cases.length) : "";
  fill($("#help-cases"), cases.length ? cases.map((c) => {
    const who = el("select", {}, helpers.map((h) => el("option", {value: h.staff_no}, `${h.name}（${h.staff_no}）`)));
    const outcome = el("input", {type: "text", placeholder: FLOOR.outcome});
    const step = (action, body, done) => el("button", {class: "small", dataset: {action},
      onclick: () => run(() => api(`/api/help/${c.id}/${action}`, body()), done())}, FLOOR[action]);
    const actions = c.state === "asked"
      ? [who, step("assign", () => ({helper: who.value}), () => FLOOR.assigned(who.selectedOptions[0].textContent))]
      : [c.state === "assigned" ? step("arrive", () => ({}), () => FLOOR.arrived) : null, outcome,
         step("close", () => ({outcome: outcome.value}), () => FLOOR.closed)];
    return el("li", {class: `help ${c.escalated_at ? "escalated" : ""}`, dataset: {help: c.id}},
      el("span", {class: `badge ${c.state === "asked" ? "bad" : "warn"}`}, FLOOR.help_states[c.state] || c.state),
      el("div", {class: "body"},
        el("div", {}, `${c.location} · ${c.topic}`, c.helper_name ? ` · ${c.helper_name}` : "",
          c.escalated_at ? el("span", {class: "muted"}, ` · ${FLOOR.escalated}`) : null),
        el("div", {class: "when"}, [hhmm(c.asked_at), c.acknowledged_at && hhmm(c.acknowledged_at),
          c.arrived_at && hhmm(c.arrived_at)].filter(Boolean).join(" → ")),
        el("div", {class: "do"}, actions)));
  }) : el("li", {class: "empty"}, FLOOR.no_help));
}

function renderPromises(promises, days) {
  const late = promises.filter((p) => p.overdue).length;
  $("#promise-count").textContent = promises.length ? FLOOR.promise_count(promises.length, late) : "";
  fill($("#promises"), promises.length ? promises.map((p) => el("li", {class: p.overdue ? "overdue" : "", dataset: {promise: p.id}},
    el("span", {class: `badge ${p.overdue ? "bad" : "warn"}`}, p.overdue ? ALERT_KINDS.promise_overdue : "待补交"),
    el("div", {class: "body"}, `${p.case_no} · ${p.material}`, el("div", {class: "when"}, FLOOR.promise_due(p))),
    el("button", {class: "small", onclick: () => run(() => api(`/api/promises/${p.id}/fulfil`, {}), FLOOR.fulfilled(p))},
      FLOOR.fulfil)))
    : el("li", {class: "empty"}, FLOOR.no_promises(days)));
}

function command(terminal, name, args, label) {
  return run(() => api(`/api/terminals/${encodeURIComponent(terminal)}/commands/${name}`, {args}), `${label}：终端已执行`);
}

function metricCells(series) {
  if (!series) return [];
  const varied = (v) => new Set(v.filter((x) => x !== null)).size > 1;
  const names = Object.keys(series.values).sort((a, b) => varied(series.values[b]) - varied(series.values[a]));
  return names.slice(0, MAX_METRICS).map((m) => {
    const values = series.values[m];
    const last = values[values.length - 1];
    return el("span", {class: "metric", title: m}, m, el("b", {}, last === null ? "—" : +last.toFixed(2)),
      sparkline(values, {width: 70, height: 20}));
  });
}

function renderTerminals(terminals, history) {
  const online = terminals.filter((t) => t.online).length;
  $("#terminal-summary").textContent = `${online} / ${terminals.length} 在线`;
  fill($("#terminals"), terminals.length ? terminals.map((t) => {
    const devices = Object.entries(t.devices);
    const printer = devices.find(([, d]) => d.family === "printer");
    return el("div", {class: "terminal", dataset: {terminal: t.terminal}},
      el("div", {class: "head"},
        el("span", {class: "name"}, t.terminal),
        el("span", {class: `badge ${t.online ? "online" : "offline"}`}, t.online ? "在线" : "离线"),
        el("span", {class: "muted"}, `${t.role || "终端"} · 会话 ${t.session} · ${hhmm(t.since)} 起 · 系统遥测 ${ago(t.system_age_s)}`),
        el("span", {class: "spacer", style: "flex:1"}),
        printer ? el("button", {class: "small", disabled: !t.online, dataset: {command: "test_page"},
          onclick: () => command(t.terminal, "test_page", {}, "测试打印")}, "测试打印") : null,
        el("button", {class: "small", disabled: !t.online, dataset: {command: "rebirth"},
          onclick: () => command(t.terminal, "rebirth", {}, "重新上报")}, "重新上报")),
      el("div", {class: "metrics", style: "padding:6px 12px"}, metricCells((history[t.terminal] || {}).system)),
      el("table", {},
        el("thead", {}, el("tr", {}, ["设备", "型号", "状态", "最近遥测", "遥测趋势", ""].map((h) => el("th", {}, h)))),
        el("tbody", {}, devices.map(([name, d]) => el("tr", {dataset: {device: name}},
          el("td", {}, name, d.family && d.family !== name ? el("div", {class: "muted"}, d.family) : null),
          el("td", {}, d.model || "—", d.firmware ? el("div", {class: "muted"}, d.firmware) : null),
          el("td", {}, el("span", {class: `badge ${d.stale ? "stale" : d.state}`},
            d.stale ? `过期（${DEVICE_STATES[d.state] || d.state}）` : DEVICE_STATES[d.state] || d.state),
            d.reason ? el("div", {class: "muted"}, d.reason) : null),
          el("td", {}, ago(d.telemetry_age_s)),
          el("td", {}, el("div", {class: "metrics"}, metricCells((history[t.terminal] || {})[name]))),
          el("td", {}, el("button", {class: "small", disabled: !t.online, dataset: {command: "restart_driver"},
            onclick: () => command(t.terminal, "restart_driver", {device: name}, `重启 ${name}`)}, "重启驱动")))))));
  }) : el("div", {class: "empty"}, "尚无终端上线"));
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
  live({day_close: (d) => { notify($("#message"), `日终清场（${d.day}）：${d.tickets.length} 张号${TICKET_OUTCOMES.day_closed}，`
    + `${d.windows.length} 个窗口签退`, "ok"); refresh(); },
    open: load, call: refresh, queue: refresh, windows: refresh, alert: refresh, alert_cleared: refresh,
    rating: refresh, refused_event: refresh, terminal: refresh, help: refresh, promises: refresh}, (up) => {
    $("#link").textContent = up ? "已连接" : "连接中断";
    $("#link").classList.toggle("down", !up);
  });
});
