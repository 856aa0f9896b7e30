// The audit trail for auditors: the newest rows, and whether the hash chain holds.
"use strict";

startClock($("#clock"));

async function load() {
  try {
    const data = await api("/api/audit?limit=300");
    const chain = $("#chain");
    chain.textContent = data.verified ? `完整（已校验 ${data.checked} 条）` : `已被篡改：第 ${data.broken_at} 条起校验失败`;
    chain.className = data.verified ? "chain-ok" : "chain-broken";
    fill($("#rows"), data.rows.map((r) => el("tr", {},
      el("td", {}, `${ymd(r.at)} ${hhmm(r.at)}`), el("td", {}, r.staff_no || "—"), el("td", {}, r.roles || "—"),
      el("td", {}, r.window || ""), el("td", {}, r.action), el("td", {}, r.target || ""),
      el("td", {class: r.result === "ok" ? "" : "bad"}, r.result), el("td", {}, r.client || ""))));
  } catch (err) {
    notify($("#message"), err.message, "error", err.detail || "");
  }
}

hallReady.then(load);
