// The staff console's live part (the queue page and a conversation's page), kept out of
// the HTML so the Content Security Policy can forbid inline script.
//
// The WebSocket only says what changed; the page then fetches that fragment, rendered and
// escaped by the server. A fragment answered with 401/403 means the session has ended
// (signed out elsewhere, idle, too old): the page reloads and so shows the sign-in page.
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh]");
  if (!box) { return; }
  var url = box.getAttribute("data-refresh");
  var conversation = box.hasAttribute("data-conversation") ? Number(box.getAttribute("data-conversation")) : null;

  function refresh() {
    fetch(url, {credentials: "same-origin", redirect: "error"})
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .catch(function () { /* offline for a moment: the socket reconnects and refreshes */ });
  }

  function wanted(data) {
    if (data.type === "resync") { return true; }
    if (conversation === null) { return true; }  // the queue: anything may change it
    return data.type === "message" && data.conversation === conversation;
  }

  var delay = 1000;
  function connect() {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/ws");
    ws.onopen = function () { delay = 1000; if (conversation === null) { refresh(); } };
    ws.onmessage = function (event) { if (wanted(JSON.parse(event.data))) { refresh(); } };
    ws.onclose = function (event) {
      if (event.code === 4401) { refresh(); }  // reloads to the sign-in page if the session ended
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
  if (conversation === null) { setInterval(refresh, 30000); }  // wait times keep counting
})();
