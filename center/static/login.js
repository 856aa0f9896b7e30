// Sign-in, and the forced password change after an initial or reset password; then back to
// the page that sent the person here (only a path of this site: no open redirect).
"use strict";

startClock($("#clock"));
const params = new URLSearchParams(location.search);
const next = /^\/(?!\/)/.test(params.get("next") || "") ? params.get("next") : "/";

function showChange() {
  $("#sign-in").hidden = true;
  $("#change").hidden = false;
  $("#old-password").focus();
}

async function post(path, body) {
  const headers = {"Content-Type": "application/json"};
  if (staffSession) headers["X-CSRF-Token"] = staffSession.csrf;
  const response = await fetch(path, {method: "POST", credentials: "same-origin", headers, body: JSON.stringify(body)});
  const data = await response.json().catch(() => ({message: t("common.server_status", {status: response.status})}));
  if (!response.ok) throw new ApiError(data, response.status);
  return data;
}

$("#sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    staffSession = await post("/api/session", {staff_no: $("#staff-no").value.trim(), password: $("#password").value});
    $("#password").value = "";
    if (staffSession.must_change) showChange();
    else location.assign(next);
  } catch (err) {
    notify($("#message"), err.message, "error");
  }
});

$("#change").addEventListener("submit", async (event) => {
  event.preventDefault();
  if ($("#new-password").value !== $("#new-password-again").value) {
    notify($("#change-message"), t("login.mismatch"), "error");
    return;
  }
  try {
    staffSession = await post("/api/session/password",
      {old_password: $("#old-password").value, new_password: $("#new-password").value});
    location.assign(next);
  } catch (err) {
    notify($("#change-message"), err.message, "error");
  }
});

whoAmI().then((me) => {
  if (me && me.must_change) showChange();
  else if (params.get("change")) showChange();
});
$("#staff-no").focus();
