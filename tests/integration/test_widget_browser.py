"""The embeddable widget in a real browser (Playwright + Debian's Chromium) against the
running stack: an Arabic question gets a right-to-left Arabic answer, the language
picker switches language, a reload keeps the history, a staff reply arrives live, markup
stays inert, axe-core finds no serious or critical problem, and it fits a phone.

Screenshots (desktop and phone, left-to-right and right-to-left) are saved in
var/test-artifacts/; the README shows copies from reports/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from lotsen.paths import ROOT
from lotsen.stack import Stack
from tests.helpers.stack import PASSWORD, create_staff
from tests.integration.test_console_browser import CHROMIUM, XSS

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "var" / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


def widget(page: Any) -> Any:
    """Playwright locators pierce open shadow roots, so the widget is reachable directly."""
    return page.locator("#lotsen-widget")


def ask(page: Any, text: str) -> None:
    page.locator("#lotsen-input").fill(text)
    page.locator("#lotsen-input").press("Enter")


def serious_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def staff_reply(stack: Stack, text: str) -> None:
    """Sign in as staff over HTTP, take the newest waiting conversation and answer it."""
    with httpx.Client(base_url=stack.config.gateway_url, timeout=30, follow_redirects=True) as browser:
        page = browser.get("/console/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        queue = browser.post("/console/login", data={"csrf": csrf, "username": "it-widget-staff", "password": PASSWORD})
        handoff = re.findall(r'href="/console/handoffs/(\d+)"', queue.text)[-1]
        for action, fields in (("claim", {}), ("reply", {"text": text})):
            page = browser.get(f"/console/handoffs/{handoff}")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            done = browser.post(f"/console/handoffs/{handoff}/{action}", data={"csrf": csrf, **fields})
            assert done.status_code == 200, done.text


def test_widget_in_arabic_then_english_with_history_staff_reply_and_no_xss(stack: Stack, office_open_now: None) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    create_staff(stack, "it-widget-staff", "Sara")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    demo = stack.config.gateway_url + "/widget/demo"

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport=DESKTOP, locale="ar")
            page = context.new_page()
            page.goto(demo)
            page.get_by_role("button", name=re.compile("Lotsen")).click()
            ask(page, "كيف أحصل على BankID؟")
            answer = page.locator(".msg.bot .bubble").first
            answer.wait_for(timeout=20_000)
            assert re.search(r"[\u0600-\u06FF]", answer.inner_text())  # an Arabic answer …
            assert widget(page).locator(".wrap").get_attribute("dir") == "rtl"  # … right to left
            assert page.locator(".panel").evaluate("e => getComputedStyle(e).direction") == "rtl"
            page.screenshot(path=str(ARTIFACTS / "widget-desktop-rtl.png"))
            assert serious_violations(page) == []

            page.locator("#lotsen-language").select_option("en")
            page.get_by_text("OK, I will write in English from now on.").wait_for(timeout=20_000)
            assert widget(page).locator(".wrap").get_attribute("dir") == "ltr"
            page.screenshot(path=str(ARTIFACTS / "widget-desktop-ltr.png"))

            page.reload()
            page.get_by_text("كيف أحصل على BankID؟").wait_for(timeout=20_000)  # history restored

            ask(page, XSS)
            page.get_by_text(XSS).first.wait_for(timeout=20_000)
            assert page.evaluate("window.__xss") is None

            ask(page, "/human")
            page.get_by_text("You are number").wait_for(timeout=20_000)
            staff_reply(stack, "Hello from Sara at Kontakt Linköping: https://www.linkoping.se/ javascript:alert(3)")
            live = page.locator(".msg.staff").last
            live.wait_for(timeout=20_000)  # pushed over the WebSocket, no reload
            assert "Sara" in live.locator(".who").inner_text()
            links = live.locator("a")
            assert links.count() == 1 and links.first.get_attribute("href") == "https://www.linkoping.se/"
            assert page.evaluate("window.__xss") is None

            phone = browser.new_context(viewport=PHONE, locale="fa", is_mobile=True).new_page()
            phone.goto(demo)
            phone.get_by_role("button", name=re.compile(".")).last.click()
            ask(phone, "چطور بانک آیدی بگیرم؟")
            phone.locator(".msg.bot .bubble").first.wait_for(timeout=20_000)
            box = phone.locator(".panel").bounding_box()
            assert box is not None and box["width"] <= PHONE["width"]
            phone.screenshot(path=str(ARTIFACTS / "widget-phone-rtl.png"))
            english_phone = browser.new_context(viewport=PHONE, locale="en", is_mobile=True).new_page()
            english_phone.goto(demo)
            english_phone.get_by_role("button", name="Chat with Lotsen").click()
            ask(english_phone, "How do I get an ID card?")
            english_phone.locator(".msg.bot .bubble").first.wait_for(timeout=20_000)
            english_phone.screenshot(path=str(ARTIFACTS / "widget-phone-ltr.png"))
            assert serious_violations(english_phone) == []
        finally:
            browser.close()


def test_widget_works_by_keyboard_alone(stack: Stack) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport=DESKTOP, locale="sv").new_page()
            page.goto(stack.config.gateway_url + "/widget/demo")
            launcher = page.locator(".launcher")
            launcher.focus()
            page.keyboard.press("Enter")
            focused = page.evaluate("document.activeElement.shadowRoot.activeElement.id")
            assert focused == "lotsen-input"  # focus moves into the chat
            page.keyboard.type("Hur skaffar jag BankID?")
            page.keyboard.press("Enter")
            page.locator(".msg.bot").first.wait_for(timeout=20_000)
            page.keyboard.press("Escape")
            assert page.locator(".panel").is_hidden()
            assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "launcher"
        finally:
            browser.close()
