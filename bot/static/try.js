// The try-it page at `/` (bot/templates/index.html), kept out of the HTML so the Content
// Security Policy can forbid inline script.
// Every text goes through textContent, never innerHTML: user and bot text stay inert.
const log = document.getElementById("log");
// A new conversation per page load (this is the developer's page; the widget keeps its own).
const sender = "try-" + crypto.randomUUID();

function show(text, who, buttons) {
  const box = document.createElement("div");
  box.className = "msg " + who;
  box.textContent = text;
  if (buttons && buttons.length) {
    const row = document.createElement("div");
    row.className = "buttons";
    for (const b of buttons) {
      const btn = document.createElement("button");
      btn.type = "button";
      btn.textContent = b.title;
      btn.addEventListener("click", () => send(b.payload, b.title));
      row.appendChild(btn);
    }
    box.appendChild(row);
  }
  log.appendChild(box);
  log.scrollTop = log.scrollHeight;
}

async function send(text, shown) {
  show(shown || text, "user");
  const metadata = {};
  const language = document.getElementById("language").value;
  const municipality = document.getElementById("municipality").value;
  if (language) metadata.language = language;
  if (municipality) metadata.municipality = municipality;
  try {
    const response = await fetch("/api/messages", {
      method: "POST",
      headers: {"Content-Type": "application/json", ...auth()},
      body: JSON.stringify({sender, text, metadata}),
    });
    const body = await response.json();
    if (body.token) token = body.token;  // the first reply proves the conversation is ours
    if (!response.ok) { show(body.error || ("HTTP " + response.status), "system"); return; }
    document.documentElement.lang = body.language;
    for (const m of body.messages) show(m.text, "bot", m.buttons);
    // This turn's replies are stored too: step over them so polling does not repeat them.
    await poll(body.messages.length > 0);
  } catch (err) {
    show("The assistant cannot be reached. Check your connection and try again.", "system");
  }
}

// The conversation's token: sent as a bearer header, never in a URL (kept for this page only).
let token = null;
const auth = () => (token ? {Authorization: "Bearer " + token} : {});

// Staff replies and notices arrive while the user is not sending: poll for them.
let lastSeen = 0;
let polling = false;
async function poll(skip) {
  if (polling) return;
  polling = true;
  try {
    if (!token) return;
    const response = await fetch("/api/messages?after=" + lastSeen, {headers: auth()});
    if (!response.ok) return;
    const body = await response.json();
    for (const m of body.messages) {
      lastSeen = Math.max(lastSeen, m.id);
      if (!skip && (m.author === "staff" || m.author === "system")) show(m.text, m.author, m.buttons);
    }
  } catch (err) {
    // offline for a moment: the next poll catches up
  } finally {
    polling = false;
  }
}
poll(true);
setInterval(() => poll(false), 2000);

document.getElementById("form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("text");
  const text = input.value.trim();
  if (text) { input.value = ""; send(text); }
});
