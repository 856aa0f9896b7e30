// The hall display: the call now, the last calls, waiting per category; the voice, one call at a time.
"use strict";

const RECENT = 6;  // two columns of three under the call now
const state = {calls: [], voice: false};

function renderCalls() {
  const [current, ...rest] = state.calls;
  const now = $("#now");
  if (current) {
    now.classList.remove("idle");
    $("#now-number").textContent = current.number;
    $("#now-window").textContent = `请到 ${current.window_name} 办理`;
  }
  fill($("#recent"), rest.slice(0, RECENT).map((c) =>
    el("li", {class: c.kind === "recall" ? "recall" : ""},
      el("span", {class: "number"}, c.number), el("span", {class: "to"}, c.window_name))));
}

function renderCategories(categories) {
  fill($("#categories"), categories.map((c) => el("div", {class: "cat", dataset: {category: c.category}},
    el("div", {class: "letter"}, c.category),
    el("div", {class: "name"}, c.name),
    el("div", {class: "figures"},
      el("span", {class: "count"}, "等候 ", el("b", {}, c.waiting), " 人"),
      el("span", {class: "last"}, "已叫 ", el("b", {}, c.last_called || "—"))))));
}

// One call at a time: each call's WAV (chime + sentence) plays to its end before the next.
const voice = {queue: [], playing: false, blocked: false};

function speak(call) {
  if (!state.voice) return;
  voice.queue.push(call);
  pump();
}

function pump() {
  if (voice.playing || voice.blocked || voice.queue.length === 0) return;
  const call = voice.queue.shift();
  voice.playing = true;
  document.body.dataset.voiceLast = call.announcement_id;
  const audio = new Audio(`/voice/${call.announcement_id}.wav`);
  const next = () => { voice.playing = false; setTimeout(pump, 400); };
  audio.addEventListener("ended", next);
  audio.addEventListener("error", next);
  audio.play().catch((err) => {
    if (err.name !== "NotAllowedError") return;  // other failures end in the "error" event
    voice.playing = false;                       // the browser wants a click before sound
    voice.blocked = true;
    voice.queue.unshift(call);
    $("#sound").hidden = false;
  });
}

$("#sound-on").addEventListener("click", () => {
  $("#sound").hidden = true;
  voice.blocked = false;
  pump();
});

function onCall(call) {
  state.calls = [call, ...state.calls.filter((c) => c.announcement_id !== call.announcement_id)].slice(0, RECENT + 1);
  renderCalls();
  const now = $("#now");
  now.classList.remove("flash");
  void now.offsetWidth;  // restart the animation
  now.classList.add("flash");
  speak(call);
}

async function load() {
  const data = await api("/api/display");
  $("#hall").textContent = data.hall;
  state.voice = data.voice;
  state.calls = data.calls;
  renderCalls();
  renderCategories(data.categories);
}

startClock($("#clock"));
hallReady.then(() => live({open: load, call: onCall, queue: (q) => renderCategories(q.categories)}, (up) => {
  $("#link").textContent = up ? "已连接" : "连接中断，正在重连";
  $("#link").classList.toggle("down", !up);
}));
