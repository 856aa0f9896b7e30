// The audit trail for auditors: the newest rows, and whether the hash chain holds.
"use strict";

startClock($("#clock"));

// `key` when the table has it and it needs no values (the trail keeps only the refusal's type),
// else `fallback`.
function known(key, fallback) {
  const text = key in STRINGS ? t(key) : "";
  return text && !/\{\w+\}/.test(text) ? text : t(fallback);
}

const roleNames = (roles) => (roles ? roles.split(",").map((r) => known(`role.${r}`, "audit.role_other")).join(t("common.roles_sep")) : "—");

// "ok", "refused: BadCredentials", "status 404" as the hall says them.
function outcome(result) {
  if (result === "ok") return t("audit.result.ok");
  const refused = result.match(/^refused: (\w+)$/);
  if (refused) return t("audit.result.refused", {why: known(`err.${refused[1]}`, "err.other")});
  return t("audit.result.status", {status: result.replace(/^status /, "")});
}

// A named step ("sign_in") in the hall's words; a route ("POST /api/…") as it is, in <code>:
// the auditor needs the interface exactly.
const actionCell = (action) => (`audit.action.${action}` in STRINGS ? t(`audit.action.${action}`) : el("code", {}, action));

async function load() {
  try {
    const data = await api("/api/audit?limit=300");
    const chain = $("#chain");
    chain.textContent = data.verified ? t("audit.chain_ok", {n: data.checked}) : t("audit.chain_broken", {n: data.broken_at});
    chain.className = data.verified ? "chain-ok" : "chain-broken";
    fill($("#rows"), data.rows.map((r) => el("tr", {},
      el("td", {}, `${ymd(r.at)} ${hhmm(r.at)}`), el("td", {}, r.staff_no || "—"), el("td", {}, roleNames(r.roles)),
      el("td", {}, r.window || ""), el("td", {}, actionCell(r.action)), el("td", {}, r.target ? el("code", {}, r.target) : ""),
      el("td", {class: r.result === "ok" ? "" : "bad", title: r.result}, outcome(r.result)), el("td", {}, r.client || ""))));
  } catch (err) {
    notify($("#message"), err.message, "error", err.detail || "");
  }
}

hallReady.then(load);
