/*
 * Lotsen chat widget. Embed with:
 *   <script src="https://HOST/widget.js" data-municipality="linkoping" defer></script>
 *
 * No build step and no external files: everything lives in a shadow root, so the host
 * page's CSS cannot break the widget and the widget's CSS cannot break the page.
 * Every text (user, bot, staff) is inserted with textContent; only http(s): and tel:
 * links become links. Talks WebSocket (/api/ws) with reconnect and back-off, and falls
 * back to POST /api/messages while the socket is down.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__lotsenWidget) return;
  window.__lotsenWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var municipality = script.getAttribute("data-municipality") || "";
  var STORE = "lotsen-widget:" + origin;

  function load(key, fallback) {
    try { return localStorage.getItem(STORE + ":" + key) || fallback; } catch (e) { return fallback; }
  }
  function save(key, value) {
    try { if (value === null) localStorage.removeItem(STORE + ":" + key); else localStorage.setItem(STORE + ":" + key, value); } catch (e) { /* private mode */ }
  }
  function newSender() {
    var random = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
    return "w-" + random;
  }
  function preferred() {
    // The user's own choice, then their browser's languages, then the page's language: a
    // newcomer's browser says more about them than the municipality's Swedish page does.
    // The gateway negotiates among them (GET /api/widget/texts?accept=…).
    var browser = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    return [load("language", "")].concat(browser, [document.documentElement.lang || ""]).filter(Boolean);
  }

  var sender = load("sender", "") || newSender();
  save("sender", sender);
  var language = "";
  var languagePayloads = {};
  var texts = {};
  var lastId = 0;
  var socket = null;
  var retryDelay = 1000;
  var open = false;

  var host = document.createElement("div");
  host.id = "lotsen-widget";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML = [
    "<style>",
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    ".wrap{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans Arabic','Noto Naskh Arabic','Geeza Pro','Noto Sans Ethiopic','Abyssinica SIL','Nyala','Kefa',sans-serif;font-size:16px;line-height:1.45;color:#1a1a1a}",
    ".launcher{position:fixed;inset-block-end:20px;inset-inline-end:20px;z-index:2147483000;background:#12355b;color:#fff;border:0;border-radius:28px;padding:14px 20px;font:inherit;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".panel{position:fixed;inset-block-end:20px;inset-inline-end:20px;z-index:2147483001;width:380px;max-width:calc(100vw - 24px);height:600px;max-height:calc(100vh - 40px);background:#fff;border:1px solid #8a8a8a;border-radius:14px;display:flex;flex-direction:column;box-shadow:0 8px 28px rgba(0,0,0,.3);overflow:hidden}",
    ".panel[hidden],.launcher[hidden]{display:none}",
    "header{background:#12355b;color:#fff;padding:10px 12px;display:flex;gap:8px;align-items:center;flex-wrap:wrap}",
    "header h2{font-size:17px;margin:0;flex:1 1 auto}",
    "header select,header button{font:inherit;font-size:14px;border-radius:6px;border:1px solid #fff;background:#fff;color:#12355b;padding:4px 8px;cursor:pointer}",
    ".log{flex:1 1 auto;overflow-y:auto;padding:12px;background:#f7f7f7}",
    ".msg{margin:8px 0;max-width:85%;display:flex;flex-direction:column}",
    ".who{font-size:12px;color:#3d3d3d;margin-block-end:2px}",
    ".bubble{padding:8px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #c8c8c8}",
    ".user{margin-inline-start:auto}.user .bubble{background:#dbeafe;border-color:#93b4e0}",
    ".staff .bubble{background:#e3f4e1;border-color:#86b881}",
    ".system .bubble{font-style:italic}",
    ".bubble a{color:#0b4f9c}",
    ".buttons{display:flex;flex-wrap:wrap;gap:6px;margin-block-start:6px}",
    ".buttons button{font:inherit;font-size:14px;background:#fff;color:#12355b;border:1px solid #12355b;border-radius:16px;padding:4px 10px;cursor:pointer}",
    ".status{font-size:13px;color:#3d3d3d;padding:0 12px;min-height:1.2em}",
    "form{display:flex;gap:8px;padding:10px;border-block-start:1px solid #ccc;background:#fff}",
    "form input{flex:1 1 auto;font:inherit;padding:8px;border:1px solid #6b6b6b;border-radius:8px;min-width:0}",
    "form button{font:inherit;background:#12355b;color:#fff;border:0;border-radius:8px;padding:8px 14px;cursor:pointer}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "button:focus-visible,select:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f5b301;outline-offset:2px}",
    "@media (max-width:480px){.panel{inset:0;width:100vw;max-width:100vw;height:100vh;max-height:100vh;border-radius:0}}",
    "</style>",
    "<div class='wrap'>",
    "<button class='launcher' type='button' aria-haspopup='dialog' aria-expanded='false'></button>",
    "<section class='panel' role='dialog' aria-modal='false' aria-labelledby='lotsen-title' hidden>",
    "<header><h2 id='lotsen-title'></h2>",
    "<label class='sr' for='lotsen-language'></label><select id='lotsen-language'></select>",
    "<button type='button' class='delete'></button>",
    "<button type='button' class='close'></button></header>",
    "<div class='log' role='log' aria-live='polite' aria-relevant='additions' tabindex='0'></div>",
    "<div class='status' role='status' aria-live='polite'></div>",
    "<form><label class='sr' for='lotsen-input'></label><input id='lotsen-input' autocomplete='off' maxlength='2000' required>",
    "<button type='submit' class='send'></button></form>",
    "</section></div>"
  ].join("");
  var $ = function (selector) { return root.querySelector(selector); };
  var launcher = $(".launcher"), panel = $(".panel"), log = $(".log"), status = $(".status");
  var picker = $("#lotsen-language"), input = $("#lotsen-input"), form = $("form");

  function setStatus(text) { status.textContent = text || ""; }

  function linkify(container, text) {
    // Only http(s) and tel links become links; everything else stays plain text.
    var pattern = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]|tel:\+?[0-9][0-9 -]{3,}[0-9])/g;
    var index = 0, match;
    while ((match = pattern.exec(text)) !== null) {
      if (match.index > index) container.appendChild(document.createTextNode(text.slice(index, match.index)));
      var link = document.createElement("a");
      link.href = match[0].replace(/ /g, "");
      link.textContent = match[0];
      link.rel = "noopener noreferrer";
      link.target = "_blank";
      link.setAttribute("dir", "ltr");  // a URL reads left to right, also inside Arabic text
      container.appendChild(link);
      index = match.index + match[0].length;
    }
    if (index < text.length) container.appendChild(document.createTextNode(text.slice(index)));
  }

  function who(author, name) {
    if (author === "user") return texts.you || "You";
    if (author === "staff") return name ? name + " · " + (texts.staff || "Staff member") : (texts.staff || "Staff member");
    return texts.bot || "Lotsen";
  }

  function show(message) {
    if (message.id) {
      if (message.id <= lastId) return;
      lastId = message.id;
    }
    var box = document.createElement("div");
    box.className = "msg " + (message.author || "bot");
    var label = document.createElement("span");
    label.className = "who";
    label.textContent = who(message.author, message.name);
    var bubble = document.createElement("div");
    bubble.className = "bubble";
    bubble.setAttribute("dir", "auto");
    linkify(bubble, message.text || "");
    box.appendChild(label);
    box.appendChild(bubble);
    if (message.buttons && message.buttons.length) {
      var row = document.createElement("div");
      row.className = "buttons";
      message.buttons.forEach(function (b) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = b.title;
        button.addEventListener("click", function () { show({ author: "user", text: b.title }); send(b.payload); });
        row.appendChild(button);
      });
      box.appendChild(row);
    }
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  function applyTexts(data) {
    texts = data.texts;
    language = data.language;
    var wrap = $(".wrap");
    wrap.setAttribute("lang", language);
    wrap.setAttribute("dir", data.direction === "rtl" ? "rtl" : "ltr");
    launcher.textContent = texts.open;
    $("#lotsen-title").textContent = texts.title;
    $("label[for=lotsen-language]").textContent = texts.language;
    $("label[for=lotsen-input]").textContent = texts.message;
    $(".send").textContent = texts.send;
    $(".delete").textContent = texts.delete;
    $(".close").textContent = "×";
    $(".close").setAttribute("aria-label", texts.close);
    picker.innerHTML = "";
    data.languages.forEach(function (l) {
      languagePayloads[l.code] = l.payload;
      var option = document.createElement("option");
      option.value = l.code;
      option.textContent = l.name;
      option.selected = l.code === language;
      picker.appendChild(option);
    });
  }

  function loadTexts(code) {
    var query = code ? "language=" + encodeURIComponent(code) : "accept=" + encodeURIComponent(preferred().join(","));
    return fetch(origin + "/api/widget/texts?" + query)
      .then(function (r) { return r.json(); }).then(applyTexts);
  }

  // withOwn: also the user's own messages (restoring the history after a reload).
  function history(withOwn) {
    var own = withOwn ? "history=1&" : "";
    return fetch(origin + "/api/messages?" + own + "sender=" + encodeURIComponent(sender) + "&after=" + lastId)
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (body) { body.messages.forEach(show); });
  }

  function metadata(explicit) {
    var data = { browser_languages: (navigator.languages || []).slice(0, 5) };
    if (explicit) data.language = language;
    if (municipality) data.municipality = municipality;
    return data;
  }

  var chooseLanguage = false;
  function handleReply(body) {
    setStatus(body.mode === "bot" ? "" : texts.waiting);
    if (body.language && body.language !== language) { language = body.language; save("language", language); loadTexts(language); }
    // The reply's messages are stored; fetching them by id shows each exactly once.
    history(false);
  }

  function send(text) {
    setStatus(texts.typing);
    var payload = { text: text, metadata: metadata(chooseLanguage) };
    chooseLanguage = false;
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(payload));
      return;
    }
    fetch(origin + "/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, text: text, metadata: payload.metadata })
    }).then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (result) {
        if (!result.ok) { setStatus(result.body.error || texts.error); return; }
        handleReply(result.body);
      })
      .catch(function () { setStatus(texts.error); });
  }

  function connect() {
    var url = origin.replace(/^http/, "ws") + "/api/ws?sender=" + encodeURIComponent(sender);
    try { socket = new WebSocket(url); } catch (e) { socket = null; return; }
    socket.onopen = function () { retryDelay = 1000; if (status.textContent === texts.offline) setStatus(""); history(false); };
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "reply") handleReply(data);
      else if (data.type === "message") { show(data); setStatus(data.mode === "bot" ? "" : texts.waiting); }
      else if (data.type === "error") setStatus(data.error);
    };
    socket.onclose = function () {
      socket = null;
      if (!open) return;
      setStatus(texts.offline);
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }

  function openPanel() {
    open = true;
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    history(lastId === 0).then(function () { if (!socket) connect(); });
    input.focus();
  }
  function closePanel() {
    open = false;
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    if (socket) socket.close();
    launcher.focus();
  }

  launcher.addEventListener("click", openPanel);
  $(".close").addEventListener("click", closePanel);
  root.addEventListener("keydown", function (event) { if (event.key === "Escape" && open) closePanel(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    show({ author: "user", text: text });
    send(text);
  });
  picker.addEventListener("change", function () {
    language = picker.value;
    save("language", language);
    chooseLanguage = true;
    loadTexts(language).then(function () {
      send(languagePayloads[language]);
    });
  });
  $(".delete").addEventListener("click", function () {
    if (!window.confirm(texts.delete_confirm)) return;
    fetch(origin + "/api/messages?sender=" + encodeURIComponent(sender), { method: "DELETE" })
      .then(function () {
        if (socket) socket.close();
        log.innerHTML = "";
        lastId = 0;
        sender = newSender();
        save("sender", sender);
        setStatus(texts.deleted);
        if (open) connect();
      })
      .catch(function () { setStatus(texts.error); });
  });

  function start() {
    document.body.appendChild(host);
    loadTexts(language).then(function () {
      if (load("open", "") === "1") openPanel();
    });
    window.addEventListener("beforeunload", function () { save("open", open ? "1" : null); });
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
