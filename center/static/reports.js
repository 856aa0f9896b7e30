// Reports: visits, waits and service times (p50/p90), no-shows and 满意率 by day, hour,
// category, window or staff; charts of the same rows and a CSV of them.
"use strict";

const GROUPS = keyed("reports.by", ["day", "hour", "category", "window", "staff"]);
const col = (key) => t(`reports.col.${key}`);
const minutesOf = (v) => t("reports.minutes", {n: num(v)});
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
  const cards = [[col("visits"), total.visits], [col("no_shows"), total.no_shows], [col("day_closed"), total.day_closed],
    [t("reports.wait_median"), minutesOf(total.wait_p50_min)], [t("reports.service_median"), minutesOf(total.service_p50_min)],
    [col("satisfaction"), pct(total.satisfaction)]];
  fill($("#cards"), cards.map(([label, value]) => el("div", {class: "card"},
    el("div", {class: "label"}, label), el("div", {class: "value"}, value))));
}

function renderCharts(rows) {
  fill($("#chart-visits"), barChart(rows, [{key: "visits", label: col("visits"), color: "#1f5fbf"},
    {key: "no_shows", label: col("no_shows"), color: "#c53030"}, {key: "day_closed", label: col("day_closed"), color: "#718096"}],
    {title: t("reports.chart.visits"), unit: t("reports.unit.people"), integer: true}));
  fill($("#chart-waits"), barChart(rows, [{key: "wait_p50_min", label: col("wait_p50_min"), color: "#2b6cb0"},
    {key: "wait_p90_min", label: col("wait_p90_min"), color: "#90cdf4"},
    {key: "service_p50_min", label: col("service_p50_min"), color: "#6b46c1"},
    {key: "service_p90_min", label: col("service_p90_min"), color: "#d6bcfa"}],
    {title: t("reports.chart.times"), unit: t("reports.unit.minutes")}));
  fill($("#chart-satisfaction"), barChart(rows.map((r) => ({...r, pct: r.satisfaction === null ? null : +(r.satisfaction * 100).toFixed(1)})),
    [{key: "pct", label: col("satisfaction"), color: "#1e8a4c"}], {title: col("satisfaction"), unit: "%"}));
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
