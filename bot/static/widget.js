/*
 * Lotsen chat widget. A municipality embeds it on its own site with one line:
 *   <script src="https://GATEWAY/widget.js" data-municipality="linkoping" defer></script>
 *
 * Vanilla JS, no build step, no external files; everything lives in a shadow root, so the
 * host page's CSS cannot break the widget and the widget's CSS cannot break the page.
 *
 * - Every request goes to the script's own origin (the gateway), cross-origin, no cookies.
 *   A conversation is proven by its token (from the first reply), sent as
 *   `Authorization: Bearer …` or in the socket's first frame — never in a URL.
 * - Delivery: WebSocket (/api/ws) with reconnect and doubling back-off; while it is down,
 *   POST /api/messages to send and GET /api/messages?after=<id> every 2 s to receive.
 *   Messages are de-duplicated by id; a message that could not be sent stays visible,
 *   marked "not sent", with a retry button.
 * - Every user-visible text comes from GET /api/widget/texts (the gateway negotiates the
 *   language); the language changes only by sending the server's payload for it.
 * - Bubbles take `lang` and `dir` from the conversation's language; runs of the other
 *   direction's script are isolated in <bdi>, links in <a dir="ltr"> (the same rule as
 *   lotsen/bidi.py, which the editor's preview uses).
 * - Every text (user, bot, staff) is inserted with textContent; only http(s): and tel:
 *   links become links.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__lotsenWidget) return;
  window.__lotsenWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var municipality = script.getAttribute("data-municipality") || "";
  var STORE = "lotsen-widget:" + origin;
  var POLL_MS = 2000;
  var SOCKET_REPLY_MS = 60000;
  var FETCH_MS = 15000;

  // ---- Bidi: the same rule as lotsen/bidi.py (isolate_runs) ----------------------------
  var LINK = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]|tel:\+?[0-9][0-9 -]{3,}[0-9]/g;
  var LATIN_RUN = /[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F0-9 .'’\-]*[A-Za-z\u00C0-\u024F0-9]|[A-Za-z\u00C0-\u024F]/g;
  var RTL_RUN = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF][\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF0-9 \u200c.،؛\-]*[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF0-9]|[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/g;

  /* [[kind, text], …] with kind "text", "bdi" or "link": links first, then, in the text
     between them, each run of the other direction's script. */
  function splitRuns(text, direction) {
    var out = [];
    function push(kind, piece) {
      if (!piece) return;
      var last = out[out.length - 1];
      if (kind === "text" && last && last[0] === "text") last[1] += piece;
      else out.push([kind, piece]);
    }
    function runs(piece) {
      var pattern = new RegExp((direction === "rtl" ? LATIN_RUN : RTL_RUN).source, "g");
      var index = 0, match;
      while ((match = pattern.exec(piece)) !== null) {
        push("text", piece.slice(index, match.index));
        push("bdi", match[0]);
        index = match.index + match[0].length;
      }
      push("text", piece.slice(index));
    }
    var links = new RegExp(LINK.source, "g");
    var index = 0, match;
    text = String(text || "");
    while ((match = links.exec(text)) !== null) {
      runs(text.slice(index, match.index));
      push("link", match[0]);
      index = match.index + match[0].length;
    }
    runs(text.slice(index));
    return out;
  }
  if (script.hasAttribute("data-test-hooks")) window.__lotsenBidi = splitRuns;

  // ---- Storage (the host page's localStorage, one key set per gateway) -----------------
  function load(key) {
    try { return localStorage.getItem(STORE + ":" + key) || ""; } catch (e) { return ""; }
  }
  function save(key, value) {
    try {
      if (value) localStorage.setItem(STORE + ":" + key, value);
      else localStorage.removeItem(STORE + ":" + key);
    } catch (e) { /* private mode: the conversation lasts as long as the page */ }
  }
  function newSender() {
    var random = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2) + Date.now();
    return "w-" + random;
  }

  var token = load("token");
  var sender = token ? load("sender") : "";
  if (!token || !sender) { token = ""; sender = ""; save("token", ""); save("sender", ""); }

  function preferred() {
    // The user's own choice, their browser's languages, then the page's language: a
    // newcomer's browser says more about them than the municipality's Swedish page does.
    var browser = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    return [load("language")].concat(Array.prototype.slice.call(browser), [document.documentElement.lang || ""])
      .filter(Boolean).slice(0, 12);
  }

  // ---- The shadow root -----------------------------------------------------------------
  var host = document.createElement("lotsen-widget");
  host.id = "lotsen-widget";
  var root = host.attachShadow({ mode: "open" });
  var FONT = "system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans Arabic','Noto Naskh Arabic','Geeza Pro','Noto Sans Ethiopic','Abyssinica SIL','Nyala','Kefa','DejaVu Sans',sans-serif";
  root.innerHTML = [
    "<style>",
    ":host{all:initial !important;display:block !important;position:static !important}",
    "*,*::before,*::after{box-sizing:border-box}",
    "[hidden]{display:none !important}",
    ".wrap{font-family:" + FONT + ";font-size:16px;font-weight:400;font-style:normal;font-variant:normal;font-stretch:normal;",
    "line-height:1.45;letter-spacing:normal;word-spacing:normal;text-transform:none;text-indent:0;text-align:start;",
    "text-shadow:none;white-space:normal;color:#1a1a1a;visibility:visible;cursor:auto;-webkit-text-size-adjust:100%;text-size-adjust:100%}",
    "button,input{font:inherit;letter-spacing:inherit;word-spacing:inherit;text-transform:none;margin:0}",
    ".launcher{position:fixed;bottom:20px;right:20px;z-index:2147483000;background:#12355b;color:#fff;border:0;border-radius:28px;padding:14px 20px;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".panel{position:fixed;bottom:20px;right:20px;z-index:2147483001;width:390px;max-width:calc(100vw - 24px);height:620px;max-height:calc(100vh - 40px);background:#fff;border:1px solid #767676;border-radius:14px;display:flex;flex-direction:column;box-shadow:0 8px 28px rgba(0,0,0,.3);overflow:hidden}",
    // The corner follows the host page's direction, not the chat's language.
    ".corner-left .launcher,.corner-left .panel{right:auto;left:20px}",
    ".head{background:#12355b;color:#fff;padding:8px 10px 8px 12px;display:flex;flex-direction:column;gap:6px}",
    ".row{display:flex;gap:8px;align-items:center;flex-wrap:wrap}",
    "h2{font-size:17px;font-weight:700;margin:0;flex:1 1 auto;line-height:1.3}",
    ".head button{font-size:14px;border-radius:6px;border:1px solid #fff;background:#fff;color:#12355b;padding:4px 10px;cursor:pointer;line-height:1.3}",
    ".head .close{font-size:22px;line-height:1;padding:2px 10px;background:transparent;color:#fff;border-color:transparent}",
    ".toggle .chev{display:inline-block;margin-inline-start:6px;font-size:11px}",
    ".languages,.confirm{padding:10px 12px;background:#eef2f7;border-block-end:1px solid #b9c3cf}",
    ".languages ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}",
    ".languages button,.confirm button,.buttons button,.more-button{font-size:14px;background:#fff;color:#12355b;border:1px solid #12355b;border-radius:16px;padding:5px 12px;cursor:pointer}",
    ".languages button[aria-current=true]{background:#12355b;color:#fff}",
    ".confirm p{margin:0 0 8px}",
    ".confirm .actions{display:flex;gap:8px;flex-wrap:wrap}",
    ".confirm .yes{background:#9b1c1c;border-color:#9b1c1c;color:#fff}",
    ".log{position:relative;flex:1 1 auto;overflow-y:auto;padding:12px;background:#f7f7f7;overscroll-behavior:contain}",
    ".answer{margin:10px 0}",
    ".msg{margin:6px 0;max-width:88%;display:flex;flex-direction:column;align-items:flex-start}",
    ".msg.user{margin-inline-start:auto;align-items:flex-end}",
    ".who{font-size:13px;color:#3d3d3d;margin-block-end:2px}",
    ".bubble{padding:8px 12px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;border:1px solid #b0b0b0;max-width:100%}",
    ".bubble:focus{outline:3px solid #12355b;outline-offset:2px}",
    ".user .bubble{background:#dbeafe;border-color:#7d9fd0}",
    ".staff .bubble{background:#e3f4e1;border-color:#6f9e6a}",
    ".system .bubble{font-style:italic}",
    ".bubble a{color:#0b4f9c;unicode-bidi:isolate;text-decoration:underline}",
    "bdi{unicode-bidi:isolate}",
    ".failed .bubble{border:2px solid #9b1c1c}",
    ".state{font-size:13px;color:#9b1c1c;display:flex;gap:8px;align-items:center;margin-block-start:3px}",
    ".state button{font-size:13px;background:#fff;color:#9b1c1c;border:1px solid #9b1c1c;border-radius:12px;padding:2px 10px;cursor:pointer}",
    ".buttons{display:flex;flex-wrap:wrap;gap:6px;margin-block-start:6px}",
    ".more-button{margin-block-start:2px}",
    ".notice{margin:10px 0;padding:8px 12px;border-radius:8px;background:#e8f0fa;border:1px solid #12355b;color:#12355b;font-weight:600}",
    ".status{font-size:13px;color:#3d3d3d;padding:4px 12px 0;min-height:22px;display:flex;flex-wrap:wrap;gap:4px 10px}",
    ".status .alert{color:#9b1c1c;font-weight:600}",
    "form{display:flex;gap:8px;padding:8px 10px 10px;background:#fff}",
    "form input{flex:1 1 auto;padding:8px;border:1px solid #6b6b6b;border-radius:8px;min-width:0;color:#1a1a1a;background:#fff}",
    "form button{background:#12355b;color:#fff;border:0;border-radius:8px;padding:8px 14px;cursor:pointer}",
    ".sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    "button:focus-visible,input:focus-visible,a:focus-visible,.log:focus-visible{outline:3px solid #12355b;outline-offset:2px}",
    ".head button:focus-visible,.launcher:focus-visible{outline:3px solid #f5b301;outline-offset:2px}",
    "@media (max-width:480px){.panel,.corner-left .panel{inset:0;width:100%;max-width:100%;height:100%;max-height:100%;border-radius:0;border:0}.msg{max-width:92%}}",
    "@media (prefers-reduced-motion:no-preference){.log{scroll-behavior:auto}}",
    "</style>",
    "<div class='wrap' dir='ltr'>",
    "<button class='launcher' type='button' aria-haspopup='dialog' aria-expanded='false' aria-controls='lotsen-panel' hidden></button>",
    "<section class='panel' id='lotsen-panel' role='dialog' aria-modal='false' aria-labelledby='lotsen-title' hidden>",
    "<div class='head'>",
    "<div class='row'><h2 id='lotsen-title'></h2><button type='button' class='close'><span aria-hidden='true'>×</span><span class='sr close-label'></span></button></div>",
    "<div class='row'><button type='button' class='toggle' aria-expanded='false' aria-controls='lotsen-languages'>",
    "<span class='sr toggle-label'></span><span class='toggle-name'></span><span class='chev' aria-hidden='true'>▾</span></button>",
    "<button type='button' class='delete' aria-expanded='false' aria-controls='lotsen-confirm'></button></div>",
    "</div>",
    "<div class='languages' id='lotsen-languages' hidden><ul></ul></div>",
    "<div class='confirm' id='lotsen-confirm' role='group' aria-labelledby='lotsen-confirm-text' hidden>",
    "<p id='lotsen-confirm-text'></p><div class='actions'><button type='button' class='yes'></button><button type='button' class='cancel'></button></div></div>",
    "<div class='log' role='log' aria-live='polite' aria-relevant='additions' aria-labelledby='lotsen-title' tabindex='0'></div>",
    "<div class='status'><span class='mode' role='status'></span><span class='alert' role='alert'></span></div>",
    "<form novalidate><label class='sr' for='lotsen-input'></label><input id='lotsen-input' autocomplete='off' maxlength='2000'>",
    "<button type='submit' class='send'></button></form>",
    "</section></div>"
  ].join("");

  var $ = function (selector) { return root.querySelector(selector); };
  var wrap = $(".wrap"), launcher = $(".launcher"), panel = $(".panel"), log = $(".log");
  var modeLine = $(".mode"), alertLine = $(".alert"), input = $("#lotsen-input"), form = $("form");
  var toggle = $(".toggle"), languageBox = $(".languages"), languageList = $(".languages ul");
  var deleteButton = $(".delete"), confirmBox = $(".confirm");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- Texts and languages -------------------------------------------------------------
  var texts = null;          // the current texts
  var uiLanguage = "";       // their language, which is the conversation's language
  var uiDirection = "ltr";
  var languageList_ = [];    // [{code, name, payload}] from the server
  var greeting = null;
  var directions = {};       // code → "ltr" | "rtl", as the server said
  var cache = {};            // code → texts response
  var titles = {};           // payload → button title (to show a restored payload as its title)

  function directionOf(code) {
    if (directions[code]) return directions[code];
    try {
      var locale = new Intl.Locale(code);
      var info = locale.getTextInfo ? locale.getTextInfo() : locale.textInfo;
      if (info && info.direction) return info.direction;
    } catch (e) { /* unknown: left to right */ }
    return "ltr";
  }

  function timedFetch(url, options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, FETCH_MS) : null;
    options = options || {};
    options.credentials = "omit";
    options.cache = options.cache || "no-store";
    if (controller) options.signal = controller.signal;
    return fetch(url, options).then(function (response) {
      clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    }, function (error) { clearTimeout(timer); throw error; });
  }

  function fetchTexts(code) {
    if (code && cache[code]) return Promise.resolve(cache[code]);
    var query = code ? "language=" + encodeURIComponent(code) : "accept=" + encodeURIComponent(preferred().join(","));
    return timedFetch(origin + "/api/widget/texts?" + query, { cache: "default" }).then(function (result) {
      if (!result.ok) throw new Error("texts: " + result.status);
      cache[result.body.language] = result.body;
      directions[result.body.language] = result.body.direction === "rtl" ? "rtl" : "ltr";
      return result.body;
    });
  }

  function applyTexts(data) {
    texts = data.texts;
    uiLanguage = data.language;
    uiDirection = data.direction === "rtl" ? "rtl" : "ltr";
    languageList_ = data.languages || [];
    greeting = data.greeting || null;
    wrap.setAttribute("lang", uiLanguage);
    wrap.setAttribute("dir", uiDirection);
    launcher.textContent = texts.open;
    $("#lotsen-title").textContent = texts.title;
    $(".close-label").textContent = texts.close;
    $(".toggle-label").textContent = texts.choose_language + " ";
    $("label[for=lotsen-input]").textContent = texts.message;
    $(".send").textContent = texts.send;
    deleteButton.textContent = texts.delete;
    $("#lotsen-confirm-text").textContent = texts.delete_confirm;
    $(".confirm .yes").textContent = texts.delete_yes;
    $(".confirm .cancel").textContent = texts.cancel;
    var current = null;
    languageList.textContent = "";
    languageList_.forEach(function (language) {
      titles[language.payload] = language.name;
      if (language.code === uiLanguage) current = language;
      var item = el("li");
      var button = el("button", "", language.name);
      button.type = "button";
      button.setAttribute("lang", language.code);
      button.setAttribute("dir", directionOf(language.code));
      if (language.code === uiLanguage) button.setAttribute("aria-current", "true");
      button.addEventListener("click", function () { chooseLanguage(language); });
      item.appendChild(button);
      languageList.appendChild(item);
    });
    var name = $(".toggle-name");
    name.textContent = current ? current.name : uiLanguage;
    name.setAttribute("lang", uiLanguage);
    if (greeting) (greeting.buttons || []).forEach(function (b) { titles[b.payload] = b.title; });
    renderStatus();
    if (greetingBox && !token && !outbox.length) showGreeting();
  }

  function loadTexts(code) {
    return fetchTexts(code).then(applyTexts);
  }

  // The conversation's language is the widget's: when the server says it changed, the
  // texts follow before anything new is shown.
  function adopt(language) {
    if (!language || language === uiLanguage) return Promise.resolve();
    save("language", language);
    return loadTexts(language).catch(function () { /* keep the texts we have */ });
  }

  // ---- Rendering -----------------------------------------------------------------------
  var seen = {};
  var lastId = 0;
  var greetingBox = null;
  var moreCount = 0;

  function fill(bubble, text, direction) {
    splitRuns(text, direction).forEach(function (piece) {
      if (piece[0] === "text") {
        bubble.appendChild(document.createTextNode(piece[1]));
      } else if (piece[0] === "bdi") {
        bubble.appendChild(el("bdi", "", piece[1]));
      } else {
        var link = el("a", "", piece[1]);
        link.href = piece[1].replace(/ /g, "");
        link.rel = "noopener noreferrer";
        if (/^https?:/.test(piece[1])) link.target = "_blank";
        link.setAttribute("dir", "ltr");  // a URL reads left to right, also inside Arabic
        bubble.appendChild(link);
      }
    });
  }

  function label(author, name) {
    var who = el("div", "who");
    who.setAttribute("lang", uiLanguage);
    who.setAttribute("dir", uiDirection);
    if (author === "user") who.textContent = texts.you;
    else if (author === "staff") {
      if (name) {
        who.appendChild(el("bdi", "", name));
        who.appendChild(document.createTextNode(" · "));
      }
      who.appendChild(document.createTextNode(texts.staff));
    } else who.textContent = texts.bot;
    return who;
  }

  function shownText(message) {
    if (message.author === "user" && titles[message.text]) return titles[message.text];
    return message.text || "";
  }

  function setBubbleLanguage(box) {
    var bubble = box.querySelector(".bubble");
    bubble.setAttribute("lang", uiLanguage);
    bubble.setAttribute("dir", uiDirection);
  }

  function messageBox(message, withLabel) {
    var author = message.author || "bot";
    var box = el("div", "msg " + author);
    if (withLabel) box.appendChild(label(author, message.name));
    var bubble = el("div", "bubble");
    bubble.setAttribute("lang", uiLanguage);
    bubble.setAttribute("dir", uiDirection);
    fill(bubble, shownText(message), uiDirection);
    box.appendChild(bubble);
    var buttons = message.buttons || [];
    if (buttons.length) {
      var row = el("div", "buttons");
      buttons.forEach(function (b) {
        titles[b.payload] = b.title;
        var button = el("button", "", b.title);
        button.type = "button";
        button.setAttribute("lang", uiLanguage);
        button.setAttribute("dir", uiDirection);
        button.addEventListener("click", function () { submit(b.payload, b.title); });
        row.appendChild(button);
      });
      box.appendChild(row);
    }
    return box;
  }

  // One answer: consecutive messages of one author. More than two bubbles: the first is
  // shown, the rest behind "show more".
  function renderAnswer(list) {
    var group = el("div", "answer");
    group.appendChild(messageBox(list[0], true));
    if (list.length > 2) {
      var more = el("div", "more");
      more.id = "lotsen-more-" + (++moreCount);
      more.hidden = true;
      list.slice(1).forEach(function (m) { more.appendChild(messageBox(m, false)); });
      var button = el("button", "more-button", texts.show_more);
      button.type = "button";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", more.id);
      button.addEventListener("click", function () {
        more.hidden = false;
        button.remove();
        var first = more.querySelector(".bubble");
        first.setAttribute("tabindex", "-1");
        first.focus();
      });
      group.appendChild(button);
      group.appendChild(more);
    } else {
      list.slice(1).forEach(function (m) { group.appendChild(messageBox(m, false)); });
    }
    log.appendChild(group);
    return group;
  }

  function userBox(text) {
    var group = el("div", "answer");
    var box = messageBox({ author: "user", text: text }, true);
    group.appendChild(box);
    log.appendChild(group);
    return box;
  }

  // Unseen messages (by id) in order; returns the first element of the last answer.
  function render(messages) {
    var fresh = messages.filter(function (m) {
      if (!m.id) return true;
      if (seen[m.id]) return false;
      seen[m.id] = true;
      if (m.id > lastId) lastId = m.id;
      return true;
    });
    var start = null, i = 0;
    while (i < fresh.length) {
      var message = fresh[i];
      if (message.author === "user") {
        userBox(shownText(message));
        i += 1;
        continue;
      }
      var list = [message];
      while (i + list.length < fresh.length) {
        var next = fresh[i + list.length];
        if (next.author !== message.author || (next.name || "") !== (message.name || "")) break;
        list.push(next);
      }
      start = renderAnswer(list);
      i += list.length;
    }
    return start;
  }

  function scrollToStart(element) {
    if (!element) return;
    log.scrollTop = Math.max(0, element.offsetTop - 8);
  }
  function scrollToEnd() { log.scrollTop = log.scrollHeight; }

  function showGreeting() {
    if (!greeting) return;
    var fresh = !greetingBox;
    var box = renderAnswer([{ author: "bot", text: greeting.text, buttons: greeting.buttons || [] }]);
    if (greetingBox) { log.replaceChild(box, greetingBox); }
    greetingBox = box;
    if (fresh) scrollToEnd();
  }

  function notice(text) {
    var box = el("p", "notice", text);
    box.setAttribute("lang", uiLanguage);
    box.setAttribute("dir", uiDirection);
    log.appendChild(box);
    return box;
  }

  // ---- Status line: the conversation's mode, what is going on, and errors -------------
  var mode = "bot";
  var alertKey = "";
  function renderStatus() {
    if (!texts) return;
    var text = "";
    if (mode === "waiting") text = texts.waiting;
    else if (mode === "human") text = texts.with_staff;
    if (busy && mode !== "human") text = text ? text + " · " + texts.typing : texts.typing;
    if (modeLine.textContent !== text) modeLine.textContent = text;
    var alertText = alertKey ? texts[alertKey] : "";
    if (alertLine.textContent !== alertText) alertLine.textContent = alertText;
  }
  function setMode(value) {
    if (value) mode = value;
    renderStatus();
  }
  function setAlert(key) { alertKey = key || ""; renderStatus(); }
  function clearAlert(key) { if (!key || alertKey === key) setAlert(""); }

  // Everything that renders runs in order, one step at a time.
  var chain = Promise.resolve();
  function serial(step) {
    chain = chain.then(step).catch(function (error) { if (window.console) console.error("lotsen:", error); });
    return chain;
  }

  function authHeaders(extra) {
    var headers = extra || {};
    if (token) headers.Authorization = "Bearer " + token;
    return headers;
  }

  // Drop the conversation (deleted by the user, or by retention: a stored token the
  // server no longer knows). A new one starts with the next message.
  function forget() {
    var had = !!token;
    token = "";
    sender = "";
    save("token", "");
    save("sender", "");
    lastId = 0;
    mode = "bot";
    renderStatus();
    stopPolling();
    if (!had) return;
    if (socket) { var old = socket; socket = null; socketState = "closed"; old.onclose = null; try { old.close(); } catch (e) { /* closed */ } }
    failSocketWaiter(0);
    if (open) connect();  // unbound: the next message starts a new conversation
  }

  // GET /api/messages?after=…: what was said since; history=1 for the user's own too.
  function fetchNew(history) {
    if (!token) return Promise.resolve(null);
    var query = "after=" + lastId + (history ? "&history=1" : "");
    return timedFetch(origin + "/api/messages?" + query, { headers: authHeaders() }).then(function (result) {
      if (result.status === 401) { forget(); return null; }
      if (!result.ok) return null;
      clearAlert("offline");
      return result.body;
    }, function () { setAlert("offline"); return null; });
  }

  function catchUp() {
    return serial(function () {
      return fetchNew(false).then(function (body) {
        if (!body) return;
        return adopt(body.language).then(function () {
          var start = render(body.messages || []);
          setMode(body.mode);
          scrollToStart(start);
        });
      });
    });
  }

  // ---- Sending: one message at a time, over the socket or POST --------------------------
  var outbox = [];
  var busy = false;

  function metadata(extra) {
    var data = { browser_languages: Array.prototype.slice.call(navigator.languages || []).slice(0, 5) };
    if (municipality) data.municipality = municipality;
    if (extra) for (var key in extra) data[key] = extra[key];
    return data;
  }

  function submit(text, shown, extra) {
    if (!texts) return;
    var box = userBox(shown || text);
    scrollToEnd();
    enqueue({ text: text, box: box, extra: extra || null, resets: 0 });
  }

  function enqueue(item) {
    outbox.push(item);
    pump();
  }

  function pump() {
    if (busy || !outbox.length) return;
    var item = outbox[0];
    busy = true;
    renderStatus();
    var hadToken = !!token;
    var attempt = socketState === "ready" || (socketState === "open" && !token) ? viaSocket(item) : viaPost(item);
    attempt.then(function (result) {
      busy = false;
      if (result.ok) {
        outbox.shift();
        clearAlert();
        received(result.body, item, result.via);
      } else if (result.status === 401 && hadToken && item.resets < 1) {
        item.resets += 1;  // the stored conversation is gone: start a new one, quietly
        forget();
      } else {
        outbox.shift();
        failed(item, result.status);
      }
      renderStatus();
      pump();
    });
  }

  function viaPost(item) {
    if (!sender) { sender = newSender(); save("sender", sender); }
    var body = { sender: sender, text: item.text, metadata: metadata(item.extra) };
    return timedFetch(origin + "/api/messages", {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json" }),
      body: JSON.stringify(body)
    }).then(function (result) {
      result.via = "post";
      return result;
    }, function () { return { ok: false, status: 0 }; });
  }

  var socketWaiter = null;
  function viaSocket(item) {
    return new Promise(function (resolve) {
      var frame = { type: "message", text: item.text, metadata: metadata(item.extra) };
      if (!token) {
        if (!sender) { sender = newSender(); save("sender", sender); }
        frame.sender = sender;
      }
      var waiter = { resolve: resolve, timer: null };
      waiter.timer = setTimeout(function () {
        // A socket that does not answer is broken: drop it (the message is marked not
        // sent, to retry) and reconnect.
        if (socketWaiter === waiter && socket) socket.close();
        failSocketWaiter(0);
      }, SOCKET_REPLY_MS);
      socketWaiter = waiter;
      try { socket.send(JSON.stringify(frame)); } catch (e) { failSocketWaiter(0); }
    });
  }
  function resolveSocketWaiter(result) {
    var waiter = socketWaiter;
    if (!waiter) return false;
    socketWaiter = null;
    clearTimeout(waiter.timer);
    waiter.resolve(result);
    return true;
  }
  function failSocketWaiter(status) { resolveSocketWaiter({ ok: false, status: status }); }

  function received(body, item, via) {
    if (body.token) {
      token = body.token;
      save("token", token);
      save("sender", body.sender || sender);
      if (body.sender) sender = body.sender;
      if (via === "socket") {
        socketState = "ready";
      } else if (socket) {
        restartSocket();  // an unbound socket must now prove this conversation
      }
      greetingBox = null;
    }
    if (item && item.box) {
      item.box.classList.remove("failed");
    }
    setMode(body.mode);
    serial(function () {
      return adopt(body.language).then(function () {
        if (item && item.box) setBubbleLanguage(item.box);
        // The reply's messages are stored: fetching them by id shows each exactly once.
        return fetchNew(false).then(function (fetched) {
          var start;
          if (fetched) {
            start = render(fetched.messages || []);
            setMode(fetched.mode);
          } else {
            start = render((body.messages || []).map(function (m) {
              return { author: "bot", text: m.text, buttons: m.buttons };
            }));
          }
          scrollToStart(start);
        });
      });
    });
    schedulePoll();
  }

  function failed(item, status) {
    setAlert(status === 429 ? "rate_limited" : "error");
    var box = item.box;
    box.classList.add("failed");
    var old = box.querySelector(".state");
    if (old) old.remove();
    var state = el("div", "state");
    state.setAttribute("lang", uiLanguage);
    state.setAttribute("dir", uiDirection);
    state.appendChild(el("span", "", texts.not_sent));
    var retry = el("button", "retry", texts.retry);
    retry.type = "button";
    retry.addEventListener("click", function () {
      state.remove();
      box.classList.remove("failed");
      input.focus();
      enqueue({ text: item.text, box: box, extra: item.extra, resets: 0 });
    });
    state.appendChild(retry);
    box.appendChild(state);
  }

  // ---- The socket, and polling while it is down ----------------------------------------
  var socket = null;
  var socketState = "closed";   // connecting | open (no conversation yet) | ready (bound) | closed
  var backoff = 1000;
  var reconnectTimer = null;
  var refused = false;          // this page's origin may not use the socket: HTTP only
  var idle = false;             // the gateway closed an idle socket: reopen when the user writes
  var pollTimer = null;
  var open = false;

  function connect() {
    if (!open || socket || refused) return;
    clearTimeout(reconnectTimer);
    var ws;
    try {
      ws = new WebSocket(origin.replace(/^http/, "ws") + "/api/ws");
    } catch (e) {
      scheduleReconnect();
      schedulePoll();
      return;
    }
    socket = ws;
    socketState = "connecting";
    ws.onopen = function () {
      if (ws !== socket) return;
      if (token) ws.send(JSON.stringify({ type: "auth", token: token }));
      else { socketState = "open"; backoff = 1000; pump(); }
    };
    ws.onmessage = function (event) {
      if (ws !== socket) return;
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      frame(data);
    };
    ws.onclose = function (event) {
      if (ws !== socket) return;
      socket = null;
      socketState = "closed";
      failSocketWaiter(0);
      if (event.code === 4401) { forget(); return; }  // the stored conversation is gone
      if (event.code === 4403) { refused = true; schedulePoll(); return; }
      if (event.code === 4408) { idle = true; schedulePoll(); return; }  // polling until the user writes
      schedulePoll();
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (!open || refused) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 30000);
  }

  function restartSocket() {
    if (!socket) return;
    var old = socket;
    socket = null;
    socketState = "closed";
    old.onclose = null;
    try { old.close(); } catch (e) { /* closed */ }
    failSocketWaiter(0);
    connect();
  }

  function frame(data) {
    if (data.type === "auth") {
      if (!data.ok) return;
      socketState = "ready";
      backoff = 1000;
      stopPolling();
      setMode(data.mode);
      serial(function () { return adopt(data.language); });
      catchUp();  // what was said while the socket was down
      pump();
    } else if (data.type === "reply") {
      data.via = "socket";
      if (!resolveSocketWaiter({ ok: true, body: data, via: "socket" })) received(data, null, "socket");
    } else if (data.type === "message") {
      serial(function () {
        var start = render([data]);
        setMode(data.mode);
        scrollToStart(start);
      });
    } else if (data.type === "error") {
      if (!resolveSocketWaiter({ ok: false, status: data.status || 0 })) setAlert(data.status === 429 ? "rate_limited" : "error");
    }
  }

  // Polls every POLL_MS while there is a conversation and no bound socket. Asking again
  // while a poll is pending or running changes nothing (reconnect attempts must not keep
  // pushing it back).
  var polling = false;
  function schedulePoll() {
    if (pollTimer || polling) return;
    if (!open || !token || socketState === "ready") return;
    pollTimer = setTimeout(function () {
      pollTimer = null;
      if (!open || !token || socketState === "ready") return;
      polling = true;
      catchUp().then(function () {
        polling = false;
        schedulePoll();
      });
    }, POLL_MS);
  }
  function stopPolling() { clearTimeout(pollTimer); pollTimer = null; }

  // ---- Language picker: a disclosure; only a click or Enter chooses ---------------------
  function openLanguages() {
    closeConfirm(false);
    languageBox.hidden = false;
    toggle.setAttribute("aria-expanded", "true");
    var current = languageList.querySelector("[aria-current=true]") || languageList.querySelector("button");
    if (current) current.focus();
  }
  function closeLanguages(focusToggle) {
    if (languageBox.hidden) return;
    languageBox.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    if (focusToggle) toggle.focus();
  }
  function chooseLanguage(language) {
    closeLanguages(true);
    save("language", language.code);
    serial(function () {
      return loadTexts(language.code).then(function () {
        submit(language.payload, language.name, { language: language.code });
        toggle.focus();
      }, function () { setAlert("error"); });
    });
  }
  toggle.addEventListener("click", function () {
    if (languageBox.hidden) openLanguages(); else closeLanguages(true);
  });
  languageBox.addEventListener("keydown", function (event) {
    // Arrow keys move between languages; they never choose one.
    var buttons = Array.prototype.slice.call(languageList.querySelectorAll("button"));
    var index = buttons.indexOf(root.activeElement);
    var next = -1;
    if (event.key === "ArrowDown" || event.key === "ArrowRight") next = index + 1;
    else if (event.key === "ArrowUp" || event.key === "ArrowLeft") next = index - 1;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = buttons.length - 1;
    else return;
    event.preventDefault();
    if (uiDirection === "rtl" && (event.key === "ArrowRight" || event.key === "ArrowLeft")) next = index - (next - index);
    next = (next + buttons.length) % buttons.length;
    buttons[next].focus();
  });

  // ---- Delete my conversation: an in-panel confirmation --------------------------------
  function openConfirm() {
    closeLanguages(false);
    confirmBox.hidden = false;
    deleteButton.setAttribute("aria-expanded", "true");
    $(".confirm .cancel").focus();
  }
  function closeConfirm(focusDelete) {
    if (confirmBox.hidden) return;
    confirmBox.hidden = true;
    deleteButton.setAttribute("aria-expanded", "false");
    if (focusDelete) deleteButton.focus();
  }
  deleteButton.addEventListener("click", function () {
    if (confirmBox.hidden) openConfirm(); else closeConfirm(true);
  });
  $(".confirm .cancel").addEventListener("click", function () { closeConfirm(true); });
  $(".confirm .yes").addEventListener("click", function () {
    var yes = $(".confirm .yes");
    yes.disabled = true;
    var request = token
      ? timedFetch(origin + "/api/messages", { method: "DELETE", headers: authHeaders() })
      : Promise.resolve({ ok: true, status: 200 });
    request.then(function (result) {
      yes.disabled = false;
      // 401: the conversation no longer exists, which is what the user asked for.
      if (!result.ok && result.status !== 401) { setAlert("error"); return; }
      closeConfirm(false);
      outbox = [];
      forget();
      seen = {};
      log.textContent = "";
      greetingBox = null;
      clearAlert();
      notice(texts.deleted);
      showGreeting();
      input.focus();
    }, function () {
      yes.disabled = false;
      setAlert("offline");
    });
  });

  // ---- Opening, closing, typing --------------------------------------------------------
  var restored = false;
  function restore() {
    restored = true;
    if (!token) { showGreeting(); return; }
    serial(function () {
      return fetchNew(true).then(function (body) {
        if (!body) { if (!token) showGreeting(); return; }  // 401: forgotten; shown fresh
        return adopt(body.language).then(function () {
          var messages = body.messages || [];
          if (!messages.length) { showGreeting(); return; }
          var start = render(messages);
          setMode(body.mode);
          scrollToStart(start);
        });
      });
    });
  }

  function openPanel() {
    open = true;
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    save("open", "1");
    if (!restored) restore();
    connect();
    schedulePoll();
    input.focus();
  }
  function closePanel() {
    open = false;
    closeLanguages(false);
    closeConfirm(false);
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    save("open", "");
    stopPolling();
    clearTimeout(reconnectTimer);
    launcher.focus();
  }

  launcher.addEventListener("click", openPanel);
  $(".close").addEventListener("click", closePanel);
  root.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !open) return;
    event.preventDefault();
    if (!languageBox.hidden) closeLanguages(true);
    else if (!confirmBox.hidden) closeConfirm(true);
    else closePanel();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    if (idle) { idle = false; connect(); }
    submit(text);
  });

  function start() {
    var pageDirection = document.documentElement.getAttribute("dir") || document.body.getAttribute("dir") || "";
    if (pageDirection.toLowerCase() === "rtl") wrap.classList.add("corner-left");
    document.body.appendChild(host);
    var delay = 2000;
    (function first() {
      loadTexts("").then(function () {
        launcher.hidden = false;
        if (load("open") === "1") openPanel();
      }, function () {
        // No texts, nothing to show (every text is the server's): try again later.
        setTimeout(first, delay);
        delay = Math.min(delay * 2, 60000);
      });
    })();
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
