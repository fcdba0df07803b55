"""The widget where it really lives: on a municipality's own website, another origin than
the gateway, embedded with exactly the README's one line.

A static host page is served from `http://127.0.0.1:<port>/` (and once from
`http://localhost:<port>/`, a different origin again); the widget talks to the gateway
cross-origin. Checked here: an Arabic answer laid out right to left even when it starts
with a Latin word; a reload restores the history with the same token, and no token or
sender id ever appears in a URL; a staff reply arrives live over the WebSocket, and
within 5 s by polling when the WebSocket is blocked; "delete my conversation" confirms in
the panel and a new conversation gets a new token; the language picker never switches on
arrow keys; a hostile host stylesheet does not reach the widget; the JS bidi split equals
lotsen.bidi.isolate_runs; axe-core finds no serious or critical problem (desktop Arabic
and Persian, phone English and Tigrinya).

Screenshots go to reports/screenshots/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from lotsen.bidi import isolate_runs
from lotsen.stack import Stack
from tests.helpers.cross_origin import HostSite, host_page, serve_host_site
from tests.helpers.stack import create_staff
from tests.integration.test_widget_browser import (
    ANSWER_TIMEOUT,
    DESKTOP,
    PHONE,
    SCREENSHOTS,
    ask,
    chromium,
    open_widget,
    serious_violations,
    staff_reply,
    widget,
    widget_texts,
)

pytestmark = pytest.mark.integration

HOSTILE = """<style>
* { letter-spacing: 5px !important; word-spacing: 9px !important; font-size: 30px; line-height: 3;
    text-transform: uppercase; color: red; font-family: serif; font-style: italic; text-align: center; }
html { direction: rtl; }
button { all: unset; background: yellow !important; }
div { display: block; visibility: visible; }
</style>"""

# Text samples for the bidi rule: Arabic and Persian with Latin words, URLs, brackets and
# numbers; English with an Arabic word; Tigrinya; a phone link.
BIDI_SAMPLES = [
    ("BankID هو هوية إلكترونية. تحصل عليه من بنكك.", "rtl"),
    ("سجّل في Skatteverket (مصلحة الضرائب السويدية) واحصل على personnummer.", "rtl"),
    ("اقرأ المزيد على https://www.linkoping.se/ أو اتصل بـ tel:+46 13 20 60 00.", "rtl"),
    ("اختر رمز أمان من 6 أرقام على الأقل، ليس 123456 (مثلاً e-legitimation).", "rtl"),
    ("مرکز تماس kommun (شهرداری) اغلب می‌تواند کمک کند؛ Försäkringskassan یا CSN.", "rtl"),
    ("اسم المعلمة O'Brien-Åström 2.0 في الصف 3.", "rtl"),
    ("Ask for an interpreter (مترجم) when you book; it is free.", "ltr"),
    ("Say «شكراً جزيلاً» to say thank you — see https://example.se/a?b=1).", "ltr"),
    ("BankID ኤሌክትሮኒካዊ መንነት እዩ። ኣብ Skatteverket ተመዝገቡ (id-kort)።", "ltr"),
    ("Call 112 or tel:112 00; ring 1177 at night. No Arabic here.", "ltr"),
    ("", "rtl"),
    ("a", "rtl"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium()


@pytest.fixture(scope="module")
def site(stack: Stack) -> Iterator[HostSite]:
    gateway = stack.config.gateway_url
    pages = {
        "/": host_page(gateway),
        "/hostile": host_page(gateway, head=HOSTILE),
        "/hooks": host_page(
            gateway,
            script=f'<script src="{gateway}/widget.js" data-municipality="linkoping" data-test-hooks defer></script>',
        ),
    }
    with serve_host_site(pages) as running:
        yield running


def ensure_staff(stack: Stack, username: str, name: str) -> None:
    """The staff account, created once per session (another test may have made it)."""
    try:
        create_staff(stack, username, name)
    except AssertionError as exc:
        if "is taken" not in str(exc):
            raise


class Requests:
    """Every request a page makes (URL and headers), and its WebSockets' URLs."""

    def __init__(self, page: Any) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.sockets: list[str] = []
        page.on("request", lambda r: self.seen.append((r.method, r.url, r.headers)))
        page.on("websocket", lambda ws: self.sockets.append(ws.url))

    def urls(self) -> list[str]:
        return [url for _, url, _ in self.seen] + self.sockets

    def api(self, method: str, path: str) -> list[dict[str, str]]:
        return [h for m, url, h in self.seen if m == method and urlsplit(url).path == path]


def stored(page: Any, gateway: str, key: str) -> str | None:
    value: str | None = page.evaluate(f"localStorage.getItem({json.dumps('lotsen-widget:' + gateway + ':' + key)})")
    return value


SCROLL = """e => {
  const log = e.closest('.log');
  return [e.getBoundingClientRect().top - log.getBoundingClientRect().top, log.scrollTop,
          log.scrollHeight - log.clientHeight];
}"""


def assert_scrolled_to(bubble: Any) -> None:
    """The bubble's top is at the top of the log, or as near as the log can scroll."""
    offset, scrolled, most = bubble.evaluate(SCROLL)
    assert offset >= 0, (offset, scrolled, most)
    assert offset < 60 or scrolled >= most - 1, (offset, scrolled, most)


def first_answer(page: Any, after: int = 1) -> Any:
    """The first bubble of the bot's answer (the greeting is the first bot bubble)."""
    bubble = page.locator(".msg.bot .bubble").nth(after)
    bubble.wait_for(timeout=ANSWER_TIMEOUT)
    return bubble


def test_arabic_answer_right_to_left_collapsed_then_a_reload_keeps_history_and_token(
    stack: Stack, browser: Any, site: HostSite
) -> None:
    gateway = stack.config.gateway_url
    arabic = widget_texts(stack, "ar")
    context = browser.new_context(viewport=DESKTOP, locale="ar")
    try:
        page = context.new_page()
        requests = Requests(page)
        page.goto(site.url("/"))
        assert urlsplit(site.url("/")).netloc != urlsplit(gateway).netloc
        open_widget(page)
        assert page.locator(".launcher").get_attribute("aria-expanded") == "true"
        # The first screen: the greeting and its topics, local (nothing sent yet).
        page.get_by_text(arabic["greeting"]["text"]).wait_for()
        assert requests.api("POST", "/api/messages") == []

        question = "كيف أحصل على BankID؟"
        ask(page, question)
        answer = first_answer(page)
        text = answer.inner_text()
        assert text.startswith("للحصول") and "BankID" in text  # an Arabic answer with Latin runs inside
        assert answer.get_attribute("dir") == "rtl" and answer.get_attribute("lang") == "ar"
        assert answer.evaluate("e => getComputedStyle(e).direction") == "rtl"
        assert answer.locator("bdi").first.inner_text() == "BankID"
        assert page.locator(".msg.bot .who").nth(1).inner_text() == arabic["texts"]["bot"]
        assert page.locator(".msg.user .who").first.inner_text() == arabic["texts"]["you"]

        # A long answer: its start at the top of the log, the rest behind "show more".
        more = page.locator(".more-button").last
        assert more.inner_text() == arabic["texts"]["show_more"]
        assert_scrolled_to(answer)
        page.screenshot(path=str(SCREENSHOTS / "widget-cross-origin-desktop-ar.png"))
        assert serious_violations(page) == []
        more.focus()
        page.keyboard.press("Enter")
        assert page.locator(".answer").nth(2).locator(".msg.bot .bubble").count() >= 3
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "bubble"

        token = stored(page, gateway, "token")
        sender = stored(page, gateway, "sender")
        assert token and sender

        page.reload()
        page.get_by_text(question).wait_for(timeout=ANSWER_TIMEOUT)  # history restored, panel still open
        assert page.get_by_text(text[:30]).count() >= 1
        assert stored(page, gateway, "token") == token  # the same conversation
        restored = [h for h in requests.api("GET", "/api/messages") if h.get("authorization")]
        assert restored and all(h["authorization"] == f"Bearer {token}" for h in restored)
        for url in requests.urls():
            assert token not in url and sender not in url, url
        api = [url for url in requests.urls() if "/api/" in url]
        assert api and all(url.startswith((gateway, gateway.replace("http", "ws", 1))) for url in api)
        assert all("?" not in url for url in requests.sockets)
    finally:
        context.close()


WATCH_STAFF = """() => {
  const root = document.querySelector('#lotsen-widget').shadowRoot;
  window.__staffSeen = {};
  const note = () => root.querySelectorAll('.msg.staff .bubble').forEach(b => {
    if (!(b.textContent in window.__staffSeen)) window.__staffSeen[b.textContent] = Date.now();
  });
  new MutationObserver(note).observe(root, {subtree: true, childList: true});
}"""

NO_WEBSOCKET = "window.WebSocket = function () { throw new Error('WebSocket blocked by the test'); };"


@pytest.mark.usefixtures("office_open_now")
def test_staff_reply_arrives_live_and_by_polling_when_the_socket_is_blocked(
    stack: Stack, browser: Any, site: HostSite
) -> None:
    ensure_staff(stack, "it-widget-staff", "Sara")
    english = widget_texts(stack, "en")
    delays = {}
    for name, blocked, host in (("websocket", False, "127.0.0.1"), ("polling", True, "localhost")):
        context = browser.new_context(viewport=DESKTOP, locale="en")
        try:
            if blocked:
                context.add_init_script(NO_WEBSOCKET)
            page = context.new_page()
            requests = Requests(page)
            page.goto(site.url("/", host=host))
            open_widget(page)
            ask(page, "/human")
            page.locator(".status .mode", has_text=english["texts"]["waiting"]).wait_for(timeout=ANSWER_TIMEOUT)
            page.evaluate(WATCH_STAFF)
            reply = f"Hello from Sara ({name}): https://www.linkoping.se/ javascript:alert(3)"
            sent = staff_reply(stack, reply)
            live = page.locator(".msg.staff", has_text=f"({name})")
            live.wait_for(timeout=10_000)
            seen = page.evaluate("window.__staffSeen")
            delays[name] = max(0.0, next(v for k, v in seen.items() if f"({name})" in k) / 1000 - sent)
            assert "Sara" in live.locator(".who").inner_text()
            assert english["texts"]["staff"] in live.locator(".who").inner_text()
            links = live.locator("a")
            assert links.count() == 1 and links.first.get_attribute("href") == "https://www.linkoping.se/"
            page.locator(".status .mode", has_text=english["texts"]["with_staff"]).wait_for(timeout=5_000)
            if blocked:
                assert requests.sockets == []
                assert any("/api/messages?after=" in url for url in requests.urls())
            else:
                assert requests.sockets and all("?" not in url for url in requests.sockets)
        finally:
            context.close()
    print(f"staff reply delay: over the WebSocket {delays['websocket']:.2f} s, by polling {delays['polling']:.2f} s")
    assert delays["polling"] < 5.0, delays


def test_a_message_that_cannot_be_sent_stays_visible_with_a_retry_button(
    stack: Stack, browser: Any, site: HostSite
) -> None:
    english = widget_texts(stack, "en")["texts"]
    context = browser.new_context(viewport=DESKTOP, locale="en")
    try:
        context.add_init_script(NO_WEBSOCKET)
        page = context.new_page()
        page.goto(site.url("/"))
        open_widget(page)
        page.route("**/api/messages", lambda route: route.abort("internetdisconnected"))  # POST only (no query)
        ask(page, "How do I get an ID card?")
        failed = page.locator(".msg.user.failed")
        failed.wait_for(timeout=10_000)
        assert "How do I get an ID card?" in failed.inner_text() and english["not_sent"] in failed.inner_text()
        page.locator(".status .alert", has_text=english["error"]).wait_for()
        page.unroute("**/api/messages")
        failed.get_by_role("button", name=english["retry"]).click()
        first_answer(page)
        assert page.locator(".msg.user.failed").count() == 0 and page.locator(".msg.user").count() == 1
        assert page.locator(".status .alert").inner_text() == ""
    finally:
        context.close()


def test_a_stored_token_the_server_no_longer_knows_starts_a_new_conversation_quietly(
    stack: Stack, browser: Any, site: HostSite
) -> None:
    gateway = stack.config.gateway_url
    key = "lotsen-widget:" + gateway + ":"
    context = browser.new_context(viewport=DESKTOP, locale="en")
    try:
        # As if retention had deleted the conversation since the last visit (panel left open).
        context.add_init_script(
            f"localStorage.setItem({json.dumps(key + 'token')}, 'token-of-a-deleted-conversation');"
            f"localStorage.setItem({json.dumps(key + 'sender')}, 'w-deleted');"
            f"localStorage.setItem({json.dumps(key + 'open')}, '1');"
        )
        page = context.new_page()
        page.goto(site.url("/"))
        page.locator(".msg.bot .bubble").first.wait_for()  # the greeting: a fresh start
        page.wait_for_timeout(500)
        assert page.locator(".status").inner_text().strip() == ""  # nothing alarming
        assert stored(page, gateway, "token") is None
        ask(page, "How do I get an ID card?")
        first_answer(page)
        token = stored(page, gateway, "token")
        assert token and token != "token-of-a-deleted-conversation"
        assert stored(page, gateway, "sender") != "w-deleted"
    finally:
        context.close()


def test_delete_confirms_in_the_panel_and_a_new_conversation_gets_a_new_token(
    stack: Stack, browser: Any, site: HostSite
) -> None:
    gateway = stack.config.gateway_url
    english = widget_texts(stack, "en")["texts"]
    context = browser.new_context(viewport=DESKTOP, locale="en")
    try:
        page = context.new_page()
        requests = Requests(page)
        page.goto(site.url("/"))
        open_widget(page)
        ask(page, "How do I get an ID card?")
        first_answer(page)
        token = stored(page, gateway, "token")
        assert token

        page.locator(".delete").click()
        confirm = page.locator(".confirm")
        assert confirm.is_visible() and english["delete_confirm"] in confirm.inner_text()
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "cancel"
        page.keyboard.press("Escape")  # cancels, back on the delete button
        assert confirm.is_hidden() and page.locator(".panel").is_visible()
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "delete"
        page.keyboard.press("Enter")
        assert confirm.is_visible()
        page.screenshot(path=str(SCREENSHOTS / "widget-delete-confirm.png"))
        page.get_by_role("button", name=english["delete_yes"]).click()

        page.get_by_text(english["deleted"]).wait_for()
        assert page.get_by_text(english["deleted"]).is_visible()
        assert page.locator(".msg.user").count() == 0
        assert stored(page, gateway, "token") is None and stored(page, gateway, "sender") is None
        deletes = requests.api("DELETE", "/api/messages")
        assert deletes and deletes[0].get("authorization") == f"Bearer {token}"

        ask(page, "How do I get a personnummer?")
        first_answer(page)
        new_token = stored(page, gateway, "token")
        assert new_token and new_token != token
        for url in requests.urls():
            assert token not in url and new_token not in url, url
    finally:
        context.close()


def test_language_picker_changes_language_only_on_an_explicit_choice(
    stack: Stack, browser: Any, site: HostSite
) -> None:
    swedish, english = widget_texts(stack, "sv"), widget_texts(stack, "en")
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE")
    try:
        page = context.new_page()
        requests = Requests(page)
        page.goto(site.url("/"))
        open_widget(page)
        title = page.locator("#lotsen-title")
        assert title.inner_text() == swedish["texts"]["title"]
        toggle = page.locator(".toggle")
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        choices = page.locator(".languages button")
        assert choices.count() == len(swedish["languages"])
        for i, language in enumerate(swedish["languages"]):
            assert choices.nth(i).get_attribute("lang") == language["code"]
        for key in ("ArrowDown", "ArrowDown", "ArrowUp", "ArrowRight", "End", "Home", "ArrowDown"):
            page.keyboard.press(key)
        page.wait_for_timeout(300)
        assert title.inner_text() == swedish["texts"]["title"]  # moving is not choosing
        assert widget(page).locator(".wrap").get_attribute("lang") == "sv"
        assert requests.api("POST", "/api/messages") == []
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.lang") == "en"
        page.keyboard.press("Escape")  # closes the list, focus back on its button
        assert page.locator(".languages").is_hidden() and page.locator(".panel").is_visible()
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "toggle"

        page.keyboard.press("Enter")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")  # the explicit choice
        page.get_by_text("OK, I will write in English from now on.").wait_for(timeout=ANSWER_TIMEOUT)
        assert title.inner_text() == english["texts"]["title"]
        assert widget(page).locator(".wrap").get_attribute("lang") == "en"
    finally:
        context.close()


def test_a_hostile_host_stylesheet_does_not_reach_the_widget(stack: Stack, browser: Any, site: HostSite) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="en")
    try:
        page = context.new_page()
        page.goto(site.url("/hostile"))
        launcher = page.locator(".launcher")
        launcher.wait_for()
        assert launcher.evaluate("e => getComputedStyle(e).letterSpacing") in ("normal", "0px")
        assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(18, 53, 91)"
        open_widget(page)
        bubble = page.locator(".msg.bot .bubble").first  # the greeting
        bubble.wait_for()
        for element in (widget(page).locator(".wrap"), bubble, page.locator("#lotsen-input")):
            style = element.evaluate(
                "e => { const s = getComputedStyle(e); return [s.letterSpacing, s.wordSpacing, s.fontSize,"
                " s.textTransform, s.color, s.direction, s.fontStyle]; }"
            )
            letter, word, size, transform, color, direction, font_style = style
            assert letter in ("normal", "0px") and word in ("normal", "0px"), style
            assert size == "16px" and transform == "none" and font_style == "normal", style
            assert color != "rgb(255, 0, 0)" and direction == "ltr", style
        box = page.locator(".panel").bounding_box()
        assert box is not None and box["width"] <= 400
    finally:
        context.close()


def test_the_javascript_bidi_split_equals_the_python_one(stack: Stack, browser: Any, site: HostSite) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="en")
    try:
        page = context.new_page()
        page.goto(site.url("/hooks"))
        page.wait_for_function("typeof window.__lotsenBidi === 'function'")
        for text, direction in BIDI_SAMPLES:
            in_js = page.evaluate("([t, d]) => window.__lotsenBidi(t, d)", [text, direction])
            in_python = [list(run) for run in isolate_runs(text, direction)]
            assert in_js == in_python, (text, direction)
        # Spot checks of the rule itself.
        assert ("bdi", "BankID") in isolate_runs(BIDI_SAMPLES[0][0], "rtl")
        assert ("link", "https://www.linkoping.se/") in isolate_runs(BIDI_SAMPLES[2][0], "rtl")
        assert ("text", " (مصلحة الضرائب السويدية) واحصل على ") in isolate_runs(BIDI_SAMPLES[1][0], "rtl")
        assert ("bdi", "مترجم") in isolate_runs(BIDI_SAMPLES[6][0], "ltr")
        # Without data-test-hooks (the README's line) nothing is exposed.
        page.goto(site.url("/"))
        page.locator(".launcher").wait_for()
        assert page.evaluate("typeof window.__lotsenBidi") == "undefined"
    finally:
        context.close()


@pytest.mark.parametrize(
    ("language", "viewport", "question", "screenshot"),
    [
        ("en", PHONE, "How do I get an ID card?", "widget-cross-origin-phone-en.png"),
        ("ti", PHONE, "ከመይ ገይረ BankID ክረክብ እኽእል?", "widget-phone-ti.png"),
        ("fa", DESKTOP, "چطور بانک آیدی بگیرم؟", None),
    ],
)
def test_axe_finds_no_serious_problem_on_the_host_site(
    stack: Stack,
    browser: Any,
    site: HostSite,
    language: str,
    viewport: dict[str, int],
    question: str,
    screenshot: str | None,
) -> None:
    texts = widget_texts(stack, language)
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, locale=language, is_mobile=phone, has_touch=phone)
    try:
        page = context.new_page()
        page.goto(site.url("/"))
        open_widget(page)
        assert page.locator(".launcher").get_attribute("aria-expanded") == "true"
        assert widget(page).locator(".wrap").get_attribute("lang") == language
        ask(page, question)
        answer = first_answer(page)
        assert answer.get_attribute("lang") == language and answer.get_attribute("dir") == texts["direction"]
        assert_scrolled_to(answer)
        box = page.locator(".panel").bounding_box()
        assert box is not None and box["width"] <= viewport["width"]
        if screenshot:
            page.screenshot(path=str(SCREENSHOTS / screenshot))
        assert serious_violations(page) == []
    finally:
        context.close()
