// Fever alerts on the dashboard and on every open console page: a red banner that shows the count and
// the latest alert (the others fold away under "show all"), a beep for each new alert once sound is
// enabled (browsers block audio until a click), and an acknowledge button for those who may.
// Each alert names the gate, the person, the household, the incident's state and the one-hour
// deadline of the report to the prevention office. Words: window.ALERT_CODES and window.WORDS (static/words.js),
// rendered by the page from the console's one catalogue (templates/console/_alert_words.html).
// The dashboard feeds render() from its event stream; console pages call poll(). Times: clock.js, in
// the alert's campus's zone (a.tz, named after the alert's time), else its gate's, else the page's.
"use strict";
window.beeps = window.beeps || 0;
const FeverAlerts = (() => {
  const seen = new Set();
  let audio = null, soundOn = false, expanded = false, last = [];
  function beep() {
    window.beeps += 1;
    if (!soundOn) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.6);
    } catch (e) { /* no audio device: the red banner still shows */ }
  }
  function enableSound() {
    soundOn = true;
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); audio.resume(); } catch (e) { /* none */ }
  }
  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function acknowledge(id) {
    return fetch(`/api/v1/fever-alerts/${id}/ack`, {method: "POST", credentials: "same-origin", headers: {"X-CSRF-Token": csrf()}});
  }
  function clock(iso, a) { return Clock.time(iso, a.gate_id, {hour: "2-digit", minute: "2-digit"}, a.tz); }
  function zone(a) { return a.tz || Clock.zoneOf(a.gate_id); }
  function code(group, value) {  // a code in both languages (an unknown one as itself)
    const words = ((window.ALERT_CODES || {})[group] || {})[value];
    return words ? `${words[0]} ${words[1]}` : value;
  }
  function state(a) { return a.incident_state ? code("incident", a.incident_state) : ""; }
  function text(a) {
    const who = [a.person || say("unregistered"), a.household].filter(Boolean).join(" · ");
    const due = a.report_by ? (a.reported ? say("reported") : say("report_by", {at: clock(a.report_by, a)})) : "";
    const reading = a.celsius === null || a.celsius === undefined ? "" : `${a.celsius.toFixed(1)}℃`;
    const marks = (a.symptoms || []).map(s => code("symptom", s));  // what a guard can mark
    const at = `${clock(a.at || a.created_at, a)} (${zone(a)})`;
    return [a.gate || a.gate_id, reading, ...marks, at, who, state(a), due].filter(Boolean).join(" · ");
  }
  function item(a, box, list) {
    const li = document.createElement("li");
    li.dataset.alert = a.id;
    li.textContent = text(a) + " ";
    if (box.dataset.canAck === "yes") {
      const b = document.createElement("button");
      b.type = "button"; b.className = "ack";
      b.textContent = say("acknowledge");
      b.addEventListener("click", () => acknowledge(a.id).then(r => {
        if (!r.ok) { b.textContent = `${say("ack_failed")} (${r.status})`; return; }
        render(last.filter(x => x.id !== a.id));
      }));
      li.appendChild(b);
    }
    list.appendChild(li);
  }
  function controls(box) {
    if (box.querySelector(".alert-controls")) return;
    const bar = document.createElement("div");
    bar.className = "alert-controls";
    const count = document.createElement("span"); count.id = "alert-count"; bar.appendChild(count);
    const sound = document.createElement("button");
    sound.type = "button"; sound.id = "alert-sound"; sound.textContent = say("enable_sound");
    sound.addEventListener("click", () => { enableSound(); sound.textContent = say("sound_on"); sound.disabled = true; });
    const more = document.createElement("button");
    more.type = "button"; more.id = "alert-more";
    more.addEventListener("click", () => { expanded = !expanded; render(last); });
    bar.append(" ", sound, " ", more);
    box.insertBefore(bar, box.querySelector("ul"));
  }
  function render(alerts) {
    const box = document.getElementById("alerts"), list = document.getElementById("alert-list");
    if (!box || !list) return;
    last = alerts;
    controls(box);
    let fresh = false;
    for (const a of alerts) if (!seen.has(a.id)) { seen.add(a.id); fresh = true; }
    document.getElementById("alert-count").textContent = say("unacknowledged", {n: alerts.length});
    const more = document.getElementById("alert-more");
    more.hidden = alerts.length < 2;
    more.textContent = expanded ? say("fold") : say("show_all", {n: alerts.length});
    list.replaceChildren();
    for (const a of (expanded ? alerts : alerts.slice(0, 1))) item(a, box, list);  // newest first
    box.classList.toggle("on", alerts.length > 0);
    if (fresh) beep();
  }
  function poll(everyMs) {
    const once = () => fetch("/console/fever-alerts", {credentials: "same-origin", cache: "no-store"})
      .then(r => (r.ok ? r.json().then(render) : null))
      .catch(() => null)  // central unreachable for a moment: the next poll tries again
      .finally(() => setTimeout(once, everyMs));
    once();
  }
  return {render, poll, beep, enableSound, acknowledge};  // the alerts page acknowledges through it too
})();
