"""The embeddable widget in a real browser (Playwright + Debian's Chromium) on the
gateway's own demo page: an Arabic question gets a right-to-left Arabic answer, the
language picker switches language, markup stays inert, and the keyboard alone works.

The widget on a municipality's own site (another origin) is tested in
test_widget_cross_origin.py, which reuses the helpers here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lotsen.paths import ROOT
from lotsen.stack import Stack
from tests.helpers.stack import PASSWORD
from tests.integration.test_console_browser import CHROMIUM, XSS

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "var" / "test-artifacts"
SCREENSHOTS = ROOT / "reports" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
ANSWER_TIMEOUT = 20_000


def chromium() -> Iterator[Any]:
    """One Chromium for a test module; each test opens its own contexts."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from chromium()


def widget(page: Any) -> Any:
    """Playwright locators pierce open shadow roots, so the widget is reachable directly."""
    return page.locator("#lotsen-widget")


def open_widget(page: Any) -> None:
    page.locator(".launcher").click()
    page.locator("#lotsen-input").wait_for()


def ask(page: Any, text: str) -> None:
    page.locator("#lotsen-input").fill(text)
    page.locator("#lotsen-input").press("Enter")


def widget_texts(stack: Stack, language: str) -> dict[str, Any]:
    """What the gateway gives the widget for a language (its texts, greeting, languages)."""
    response = httpx.get(f"{stack.config.gateway_url}/api/widget/texts", params={"language": language}, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def serious_violations(page: Any) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations: list[dict[str, Any]] = results.response["violations"]
    lang = page.evaluate("document.querySelector('#lotsen-widget').shadowRoot.querySelector('.wrap').lang")
    found = [(v["id"], v.get("impact")) for v in violations]
    print(f"axe ({lang}, {page.viewport_size['width']}px): {found or 'none'}")
    return [v for v in violations if v.get("impact") in ("serious", "critical")]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def staff_reply(stack: Stack, text: str, username: str = "it-widget-staff") -> float:
    """Sign in as staff over HTTP, take the newest waiting conversation and answer it.
    Returns the wall-clock time (time.time()) just before the reply was posted."""
    with httpx.Client(base_url=stack.config.gateway_url, timeout=30, follow_redirects=True) as client:
        page = client.get("/console/login")
        queue = client.post(
            "/console/login", data={"csrf": _csrf(page.text), "username": username, "password": PASSWORD}
        )
        handoff = re.findall(r'href="/console/handoffs/(\d+)"', queue.text)[-1]
        sent = 0.0
        for action, fields in (("claim", {}), ("reply", {"text": text})):
            page = client.get(f"/console/handoffs/{handoff}")
            csrf = _csrf(page.text)
            sent = time.time()
            done = client.post(f"/console/handoffs/{handoff}/{action}", data={"csrf": csrf, **fields})
            assert done.status_code == 200, done.text
        return sent


def test_widget_in_arabic_then_english_by_the_picker_and_no_xss(stack: Stack, browser: Any) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    english = widget_texts(stack, "en")
    context = browser.new_context(viewport=DESKTOP, locale="ar")
    try:
        page = context.new_page()
        page.goto(stack.config.gateway_url + "/widget/demo")
        open_widget(page)
        assert widget(page).locator(".wrap").get_attribute("dir") == "rtl"  # negotiated from the browser
        ask(page, "كيف أحصل على BankID؟")
        answer = page.locator(".msg.bot .bubble").nth(1)  # after the local greeting
        answer.wait_for(timeout=ANSWER_TIMEOUT)
        assert re.search(r"[\u0600-\u06FF]", answer.inner_text())  # an Arabic answer …
        assert answer.evaluate("e => getComputedStyle(e).direction") == "rtl"  # … right to left
        assert page.locator(".panel").evaluate("e => getComputedStyle(e).direction") == "rtl"
        page.screenshot(path=str(ARTIFACTS / "widget-desktop-rtl.png"))

        page.locator(".toggle").click()
        page.locator(".languages button[lang=en]").click()
        page.get_by_text("OK, I will write in English from now on.").wait_for(timeout=ANSWER_TIMEOUT)
        assert widget(page).locator(".wrap").get_attribute("dir") == "ltr"
        assert page.locator("#lotsen-title").inner_text() == english["texts"]["title"]
        page.screenshot(path=str(ARTIFACTS / "widget-desktop-ltr.png"))

        ask(page, XSS)
        page.get_by_text(XSS).first.wait_for(timeout=ANSWER_TIMEOUT)
        page.locator(".msg.bot").last.wait_for(timeout=ANSWER_TIMEOUT)
        assert page.evaluate("window.__xss") is None
        assert page.locator(".bubble img").count() == 0
    finally:
        context.close()


def test_widget_works_by_keyboard_alone(stack: Stack, browser: Any) -> None:
    context = browser.new_context(viewport=DESKTOP, locale="sv")
    try:
        page = context.new_page()
        page.goto(stack.config.gateway_url + "/widget/demo")
        launcher = page.locator(".launcher")
        launcher.focus()
        page.keyboard.press("Enter")
        focused = page.evaluate("document.activeElement.shadowRoot.activeElement.id")
        assert focused == "lotsen-input"  # focus moves into the chat
        page.keyboard.type("Hur skaffar jag BankID?")
        page.keyboard.press("Enter")
        page.locator(".msg.bot").nth(1).wait_for(timeout=ANSWER_TIMEOUT)
        page.keyboard.press("Escape")
        assert page.locator(".panel").is_hidden()
        assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "launcher"
        # The focus ring is visible (not the browser's default, which the host page may hide).
        outline = launcher.evaluate("e => getComputedStyle(e).outlineStyle")
        assert outline == "solid"
    finally:
        context.close()
