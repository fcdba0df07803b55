// The staff console's live part, kept out of the HTML so the Content Security Policy can
// forbid inline script. Loaded on every console page of a signed-in staff member.
//
// - The WebSocket only says what changed; the page then fetches that fragment, rendered
//   and escaped by the server. A fragment answered with 401/403 means the session has
//   ended (signed out elsewhere, idle, too old): the page reloads to the sign-in page.
// - New waits: the title counts who waits ("(3) Kö – Lotsen"), and, once the staff member
//   opts in (a button, remembered in localStorage), a browser notification and a short
//   sound made with the Web Audio API (no sound file to download) when someone new waits.
// - The phrasebook: the preview of exactly what the user will get, from the server.
(function () {
  "use strict";
  var NOTIFY_KEY = "lotsen.console.notify";
  var SEEN_KEY = "lotsen.console.seen";

  // ---- fragments --------------------------------------------------------------------
  var box = document.querySelector("[data-refresh]");
  var url = box ? box.getAttribute("data-refresh") : null;
  var conversation = box && box.hasAttribute("data-conversation") ? Number(box.getAttribute("data-conversation")) : null;

  function ended(r) {
    if (r.status === 401 || r.status === 403) { location.reload(); return true; }
    return false;
  }

  function refresh() {
    if (!box) { return; }
    fetch(url, {credentials: "same-origin", redirect: "error"})
      .then(function (r) { return ended(r) ? null : (r.ok ? r.text() : null); })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* offline for a moment: the socket reconnects and refreshes */ });
  }

  function wanted(data) {
    if (!box) { return false; }
    if (data.type === "resync") { return true; }
    if (conversation === null) { return true; }  // the queue: anything may change it
    return data.type === "message" && data.conversation === conversation;
  }

  // ---- sound and notifications ------------------------------------------------------
  var button = document.getElementById("notify");
  var audio = null;

  function optedIn() {
    try { return localStorage.getItem(NOTIFY_KEY) === "on"; } catch (e) { return false; }
  }

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return null; }
    if (!audio) { audio = new Context(); }
    if (audio.state === "suspended") { audio.resume().catch(function () {}); }
    return audio;
  }

  function chime() {
    // Two soft tones, a fifth apart, about half a second in all.
    var ctx = audioContext();
    if (!ctx) { return; }
    [[880, 0], [1318.5, 0.18]].forEach(function (tone) {
      var start = ctx.currentTime + tone[1];
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = tone[0];
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.3);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.32);
    });
    window.__lotsenChimes = (window.__lotsenChimes || 0) + 1;  // for the browser test
  }

  function notify(count) {
    if (!optedIn()) { return; }
    chime();
    if (!("Notification" in window) || Notification.permission !== "granted" || !button) { return; }
    var note = new Notification(button.getAttribute("data-title"), {
      body: button.getAttribute("data-body").replace("{count}", String(count)),
      tag: "lotsen-waiting"
    });
    note.onclick = function () { window.focus(); location.href = "/console"; note.close(); };
  }

  function showButton() {
    if (!button) { return; }
    var on = optedIn();
    button.hidden = false;
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = button.getAttribute(on ? "data-on" : "data-off");
    if (on && "Notification" in window && Notification.permission === "denied") {
      button.title = button.getAttribute("data-blocked");
    }
  }

  if (button) {
    button.addEventListener("click", function () {
      var on = !optedIn();
      try { if (on) { localStorage.setItem(NOTIFY_KEY, "on"); } else { localStorage.removeItem(NOTIFY_KEY); } } catch (e) {}
      if (on) {
        audioContext();  // created on a click, so the browser lets it play later
        if ("Notification" in window && Notification.permission === "default") {
          Notification.requestPermission().then(showButton, showButton);
        }
      }
      showButton();
    });
    showButton();
  }
  // Browsers start sound only after the person touched the page: resume it on any touch.
  ["click", "keydown"].forEach(function (kind) {
    document.addEventListener(kind, function () { if (optedIn()) { audioContext(); } }, {passive: true});
  });

  // ---- who waits: the title and new waits -------------------------------------------
  var baseTitle = document.title.replace(/^\(\d+\) /, "");

  function seen() {
    try { var raw = sessionStorage.getItem(SEEN_KEY); return raw === null ? null : JSON.parse(raw); } catch (e) { return null; }
  }

  function remember(ids) {
    try { sessionStorage.setItem(SEEN_KEY, JSON.stringify(ids)); } catch (e) {}
  }

  function waiting() {
    fetch("/console/waiting", {credentials: "same-origin", redirect: "error"})
      .then(function (r) { return ended(r) ? null : (r.ok ? r.json() : null); })
      .then(function (data) {
        if (!data) { return; }
        var ids = data.waiting || [];
        document.title = ids.length ? "(" + ids.length + ") " + baseTitle : baseTitle;
        var before = seen();
        // The first look in this tab only remembers; a page reload does not ring again.
        var fresh = before === null ? [] : ids.filter(function (id) { return before.indexOf(id) < 0; });
        remember(ids);
        if (fresh.length) { notify(ids.length); }
      })
      .catch(function () {});
  }

  // ---- the live socket --------------------------------------------------------------
  var delay = 1000;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/ws");
    ws.onopen = function () { delay = 1000; waiting(); if (box && conversation === null) { refresh(); } };
    ws.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "queue" || data.type === "resync") { waiting(); }
      if (wanted(data)) { refresh(); }
    };
    ws.onclose = function (event) {
      if (event.code === 4401) { waiting(); }  // reloads to the sign-in page if the session ended
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
  waiting();
  setInterval(waiting, 30000);
  if (box && conversation === null) { setInterval(refresh, 30000); }  // wait times keep counting

  // ---- the phrasebook ---------------------------------------------------------------
  var form = document.getElementById("phrasebook");
  if (form) {
    var select = document.getElementById("phrase");
    var when = document.getElementById("phrase-when");
    var whenLabel = document.getElementById("phrase-when-label");
    var preview = document.getElementById("phrase-preview");
    var inConsole = document.getElementById("phrase-console");
    var send = document.getElementById("send-phrase");
    var asked = 0;

    var update = function () {
      var option = select.options[select.selectedIndex];
      var needsTime = !!(option && option.hasAttribute("data-needs-time"));
      whenLabel.hidden = !needsTime;
      if (!option || !option.value) { send.disabled = true; return; }
      var query = form.getAttribute("data-preview") + "&phrase=" + encodeURIComponent(option.value);
      if (needsTime && when.value) { query += "&when=" + encodeURIComponent(when.value); }
      var mine = ++asked;
      fetch(query, {credentials: "same-origin", redirect: "error"})
        .then(function (r) { return ended(r) ? null : r.json(); })
        .then(function (data) {
          if (!data || mine !== asked) { return; }
          preview.textContent = data.text || data.error || "";
          preview.setAttribute("dir", data.text ? data.direction : "auto");
          preview.setAttribute("lang", data.text ? data.language : document.documentElement.lang);
          preview.classList.toggle("error", !data.text);
          inConsole.textContent = data.console || "";
          send.disabled = !data.text;
        })
        .catch(function () {});
    };
    select.addEventListener("change", update);
    when.addEventListener("change", update);
    when.addEventListener("input", update);
    whenLabel.hidden = true;
    send.disabled = true;
  }
})();
