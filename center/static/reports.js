// Reports: visits, waits and service times (p50/p90), no-shows and 满意率 by day, hour,
// category, window or staff; charts of the same rows and a CSV of them.
"use strict";

const GROUPS = {day: "按日", hour: "按小时", category: "按类别", window: "按窗口", staff: "按人员"};
const params = new URLSearchParams(location.search);
let by = params.get("by") || "category";

const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const num = (v) => (v === null || v === undefined ? "—" : v);

// Without dates the center answers for its own today (the hall's clock, not the browser's).
function query() {
  const q = new URLSearchParams({by});
  if ($("#from").value) q.set("from", $("#from").value);
  if ($("#to").value) q.set("to", $("#to").value);
  return q.toString();
}

function renderGroups() {
  fill($("#groups"), Object.entries(GROUPS).map(([key, label]) => el("button", {type: "button",
    class: key === by ? "active" : "", dataset: {by: key}, onclick: () => { by = key; renderGroups(); load(); }}, label)));
}

function renderCards(total) {
  const cards = [["办结", total.visits], ["过号", total.no_shows], ["闭馆未办结", total.day_closed], ["等候中位数", `${num(total.wait_p50_min)} 分`],
    ["办理中位数", `${num(total.service_p50_min)} 分`], ["满意率", pct(total.satisfaction)]];
  fill($("#cards"), cards.map(([label, value]) => el("div", {class: "card"},
    el("div", {class: "label"}, label), el("div", {class: "value"}, value))));
}

function renderCharts(rows) {
  fill($("#chart-visits"), barChart(rows, [{key: "visits", label: "办结", color: "#1f5fbf"},
    {key: "no_shows", label: "过号", color: "#c53030"}, {key: "day_closed", label: "闭馆未办结", color: "#718096"}],
    {title: "办结、过号与闭馆未办结", unit: "人次", integer: true}));
  fill($("#chart-waits"), barChart(rows, [{key: "wait_p50_min", label: "等候 P50", color: "#2b6cb0"},
    {key: "wait_p90_min", label: "等候 P90", color: "#90cdf4"}, {key: "service_p50_min", label: "办理 P50", color: "#6b46c1"},
    {key: "service_p90_min", label: "办理 P90", color: "#d6bcfa"}], {title: "等候与办理时间", unit: "分钟"}));
  fill($("#chart-satisfaction"), barChart(rows.map((r) => ({...r, pct: r.satisfaction === null ? null : +(r.satisfaction * 100).toFixed(1)})),
    [{key: "pct", label: "满意率", color: "#1e8a4c"}], {title: "满意率", unit: "%"}));
}

function renderTable(rows) {
  fill($("#table tbody"), rows.map((r) => el("tr", {class: r.key === "total" ? "total" : ""},
    el("td", {}, r.label), ...[r.calls, r.visits, r.no_shows, r.day_closed, r.wait_p50_min, r.wait_p90_min, r.service_p50_min,
      r.service_p90_min, r.ratings].map((v) => el("td", {class: "num"}, num(v))),
    el("td", {class: "num"}, pct(r.satisfaction)))));
}

async function load() {
  try {
    const data = await api(`/api/reports?${query()}`);
    $("#from").value = data.from;
    $("#to").value = data.to;
    history.replaceState(null, "", `/reports?${query()}`);
    $("#csv").href = `/reports.csv?${query()}`;
    const rows = data.rows.filter((r) => r.key !== "total");
    renderCards(data.rows[data.rows.length - 1]);
    renderCharts(rows);
    renderTable(data.rows);
  } catch (err) {
    notify($("#message"), err.message, "error", err.detail || "");
  }
}

function init() {
  $("#from").value = params.get("from") || params.get("day") || "";
  $("#to").value = params.get("to") || params.get("day") || $("#from").value;
  $("#query").addEventListener("submit", (event) => { event.preventDefault(); load(); });
  renderGroups();
  load();
}

startClock($("#clock"));
hallReady.then(init);
