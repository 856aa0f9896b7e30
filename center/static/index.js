// The start page: every screen, and the windows once a staff member is signed in.
"use strict";

startClock($("#clock"));
whoAmI().then((me) => me && api("/api/windows").then((data) => fill($("#windows"), data.windows.map((w) =>
  el("a", {href: `/console?window=${encodeURIComponent(w.code)}`}, t("index.window_link", {name: w.name, state: WINDOW_STATES[w.state]}))))))
  .catch(() => null);
