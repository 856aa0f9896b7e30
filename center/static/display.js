// The hall display: the call being announced, the last calls (the newest marked), waiting per
// category; every call heard whole, in call order.
"use strict";

const RECENT = 6;  // two columns of three under the call now
const state = {calls: []};

function showNow(call) {
  $("#now").classList.remove("idle");
  $("#now-number").textContent = call.number;
  $("#now-window").textContent = t("display.go_to", {window: call.window_name});
}

function renderRecent() {
  fill($("#recent"), state.calls.slice(0, RECENT).map((c, i) =>
    el("li", {class: i === 0 ? "newest" : "", dataset: {announcement: c.announcement_id}},
      el("span", {class: "number"}, c.number,
        c.kind === "recall" ? el("span", {class: "tag recall"}, t("display.recall")) : null,
        i === 0 ? el("span", {class: "tag newest"}, t("display.newest")) : null),
      el("span", {class: "to"}, c.window_name))));
}

function renderCategories(categories) {
  fill($("#categories"), categories.map((c) => el("div", {class: "cat", dataset: {category: c.category}},
    el("div", {class: "letter"}, c.category),
    el("div", {class: "name"}, c.name),
    el("div", {class: "figures"},
      el("span", {class: "count"}, ...parts("display.waiting_n", {n: c.waiting})),
      el("span", {class: "last"}, ...parts("display.last_called", {number: c.last_called || "—"}))))));
}

// The announcement queue. Each call (a recall too: it is a call of its own) is announced to its
// end before the next begins: the screen shows it, a chime, then its sentence `repeat` times.
// When the sentence cannot be played the chime and the screen have still gone. Every clip's
// end is logged in `playbackLog` (what a test, or a maintainer in the console, reads).
const GAP_MS = 400;  // between the chime and the sentence, and between repeats
const STALL_MS = 30000;  // a clip that neither ends nor fails by then is given up
const announcer = {queue: [], busy: false, blocked: false, settings: null};
const playbackLog = [];

function inQuietHours(settings) {
  const p = timeParts(hallNowMs());
  const minute = Number(p.hour) * 60 + Number(p.minute);
  return settings.quiet_hours.some(([start, end]) => start <= minute && minute < end);
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// "ended", "error", "stalled" or "blocked" (the browser wants a click before sound).
function playClip(url, volume) {
  return new Promise((resolve) => {
    const audio = new Audio(url);
    audio.volume = volume;
    const stall = setTimeout(() => { audio.pause(); resolve("stalled"); }, STALL_MS);
    const done = (outcome) => { clearTimeout(stall); resolve(outcome); };
    audio.addEventListener("ended", () => done("ended"));
    audio.addEventListener("error", () => done("error"));
    audio.play().catch((err) => { if (err.name === "NotAllowedError") done("blocked"); else done("error"); });
  });
}

function logged(call, part, round, outcome) {
  playbackLog.push({announcement: call.announcement_id, number: call.number, kind: call.kind, part, round, outcome});
  return outcome;
}

async function announce(call) {
  showNow(call);
  const now = $("#now");
  now.classList.remove("flash");
  void now.offsetWidth;  // restart the animation
  now.classList.add("flash");
  const settings = announcer.settings;
  const volume = settings && (inQuietHours(settings) ? settings.quiet_volume : settings.volume);
  if (!settings || !volume || announcer.blocked) {
    logged(call, "silent", 0, !settings ? "voice off" : announcer.blocked ? "blocked" : "quiet hours");
    return;
  }
  if (logged(call, "chime", 1, await playClip("/voice/chime.wav", volume)) === "blocked") {
    announcer.blocked = true;
    $("#sound").hidden = false;
    return;
  }
  for (let round = 1; round <= settings.repeat; round++) {
    await pause(GAP_MS);
    document.body.dataset.voiceLast = call.announcement_id;
    if (logged(call, "sentence", round, await playClip(`/voice/${call.announcement_id}.wav`, volume)) !== "ended") {
      break;
    }
  }
}

async function pump() {
  if (announcer.busy) return;
  announcer.busy = true;
  while (announcer.queue.length) {
    const call = announcer.queue.shift();
    await announce(call);
    logged(call, "announcement", 0, "done");
    await pause(GAP_MS);
  }
  announcer.busy = false;
}

$("#sound-on").addEventListener("click", () => {
  $("#sound").hidden = true;
  announcer.blocked = false;
});

function onCall(call) {
  state.calls = [call, ...state.calls.filter((c) => c.announcement_id !== call.announcement_id)].slice(0, RECENT);
  renderRecent();
  announcer.queue.push(call);
  pump();
}

async function load() {
  const data = await api("/api/display");
  $("#hall").textContent = data.hall;
  announcer.settings = data.voice;
  state.calls = data.calls;
  if (state.calls.length && !announcer.busy) showNow(state.calls[0]);
  renderRecent();
  renderCategories(data.categories);
}

startClock($("#clock"));
hallReady.then(() => live({open: load, call: onCall, queue: (q) => renderCategories(q.categories)}, (up) => {
  $("#link").textContent = t(up ? "common.connected" : "common.reconnecting");
  $("#link").classList.toggle("down", !up);
}));
