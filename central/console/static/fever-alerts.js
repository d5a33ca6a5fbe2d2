// Fever alerts on the dashboard and on every open console page: a blinking red banner, a beep for
// each new alert, and an acknowledge button; the banner stays until someone acknowledges.
// The dashboard feeds render() from its event stream; console pages call poll().
"use strict";
window.beeps = window.beeps || 0;
const FeverAlerts = (() => {
  const seen = new Set();
  const SYMPTOMS = {cough: "咳嗽 cough", other: "其他症状 other symptoms"};  // what a guard can mark
  let audio = null;
  function beep() {
    window.beeps += 1;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.6);
    } catch (e) { /* no audio device: the red banner still shows */ }
  }
  document.addEventListener("click", () => { if (audio) audio.resume(); });
  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function acknowledge(id) {
    return fetch(`/api/v1/fever-alerts/${id}/ack`, {method: "POST", credentials: "same-origin", headers: {"X-CSRF-Token": csrf()}});
  }
  function render(alerts) {
    const box = document.getElementById("alerts"), list = document.getElementById("alert-list");
    if (!box || !list) return;
    list.replaceChildren();
    let fresh = false;
    for (const a of alerts) {
      if (!seen.has(a.id)) { seen.add(a.id); fresh = true; }
      const when = new Date(a.at || a.created_at).toLocaleTimeString("zh-CN", {timeZone: "Asia/Shanghai"});
      const li = document.createElement("li");
      li.dataset.alert = a.id;
      const marks = (a.symptoms || []).map(s => SYMPTOMS[s] || s);
      const reading = a.celsius === null || a.celsius === undefined ? [] : [`${a.celsius.toFixed(1)}℃`];
      li.textContent = [a.gate_id, ...reading, ...marks, when].join(" · ") + " ";
      if (box.dataset.canAck !== "no") {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = "确认 Acknowledge";
        b.addEventListener("click", () => acknowledge(a.id).then(r => {
          if (!r.ok) { b.textContent = `确认失败 Not acknowledged (${r.status})`; return; }
          li.remove();
          box.classList.toggle("on", list.children.length > 0);
        }));
        li.appendChild(b);
      }
      list.appendChild(li);
    }
    box.classList.toggle("on", alerts.length > 0);
    if (fresh) beep();
  }
  function poll(everyMs) {
    const once = () => fetch("/api/v1/fever-alerts?unacknowledged=true", {credentials: "same-origin", cache: "no-store"})
      .then(r => (r.ok ? r.json().then(render) : null))
      .catch(() => null)  // central unreachable for a moment: the next poll tries again
      .finally(() => setTimeout(once, everyMs));
    once();
  }
  return {render, poll, beep};
})();
