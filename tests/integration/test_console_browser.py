"""A real browser (Playwright driving Debian's Chromium) against the running stack: a
user asks for a person, a staff member signs in, claims, replies, the user sees it, the
staff member hands back; markup typed by the user stays inert in the console.

Screenshots are saved as test artifacts in var/test-artifacts/ (the README shows copies
from reports/screenshots/).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from lotsen.paths import ROOT
from lotsen.stack import Stack
from tests.helpers.stack import PASSWORD, create_staff

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "var" / "test-artifacts"
XSS = '<img src=x onerror="window.__xss = 1">'


def sign_in(page: Any, base: str, username: str) -> None:
    """Sign in to the console on `page` as a staff member made by `create_staff`."""
    page.goto(base + "/console")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


@pytest.mark.usefixtures("office_open_now")
def test_staff_claims_replies_and_hands_back_in_a_real_browser(stack: Stack) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing; `make install` installs it")
    create_staff(stack, "it-sara", "Sara")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = stack.config.gateway_url

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            user = browser.new_context().new_page()
            user.goto(base + "/")
            user.select_option("#language", "en")
            user.select_option("#municipality", "linkoping")
            user.fill("#text", "/human")
            user.press("#text", "Enter")
            user.get_by_text("You are number").wait_for()
            user.fill("#text", XSS)
            user.press("#text", "Enter")

            staff = browser.new_context().new_page()
            sign_in(staff, base, "it-sara")
            staff.get_by_role("link", name="Öppna").first.click()
            staff.get_by_text(XSS).wait_for()  # shown as text …
            assert staff.evaluate("window.__xss") is None  # … and never run
            staff.screenshot(path=str(SCREENSHOTS / "console-brief.png"), full_page=True)

            staff.click("#claim")
            staff.fill("#reply-text", "Hej! I am Sara from Kontakt Linköping. How can I help?")
            staff.click("#send")
            staff.get_by_text("How can I help?").wait_for()

            user.get_by_text("How can I help?").wait_for(timeout=15_000)  # delivered to the user
            user.screenshot(path=str(SCREENSHOTS / "console-user-sees-staff.png"), full_page=True)

            staff.click("#handback")
            staff.get_by_text("Ingen väntar.").wait_for()
            user.get_by_text("You are back with Lotsen").wait_for(timeout=15_000)
            staff.screenshot(path=str(SCREENSHOTS / "console-queue.png"), full_page=True)
            assert user.evaluate("window.__xss") is None
        finally:
            browser.close()


# A stand-in for the browser's Notification API that records what the console asked it to
# show (headless Chromium shows none); installed before the page's own script runs.
RECORD_NOTIFICATIONS = """
window.__notes = [];
window.Notification = function (title, options) { window.__notes.push([title, options.body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


@pytest.mark.usefixtures("office_open_now")
def test_console_notices_a_new_wait_and_answers_with_a_phrase(stack: Stack) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing; `make install` installs it")
    create_staff(stack, "it-olle", "Olle")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = stack.config.gateway_url

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            staff_context = browser.new_context()
            staff_context.add_init_script(RECORD_NOTIFICATIONS)
            staff = staff_context.new_page()
            sign_in(staff, base, "it-olle")
            staff.wait_for_function("!document.title.startsWith('(')")  # nobody waits yet
            assert staff.title() == "Kö – Lotsen"
            staff.click("#notify")  # opt in: remembered in this browser
            assert staff.get_attribute("#notify", "aria-pressed") == "true"
            assert staff.evaluate("localStorage.getItem('lotsen.console.notify')") == "on"
            staff.reload()  # still on after a reload, and the reload itself does not ring
            assert staff.get_attribute("#notify", "aria-pressed") == "true"

            user = browser.new_context().new_page()
            user.goto(base + "/")
            user.select_option("#language", "en")
            user.select_option("#municipality", "linkoping")
            user.fill("#text", "/human")
            user.press("#text", "Enter")
            user.get_by_text("You are number").wait_for()

            staff.wait_for_function("document.title === '(1) Kö – Lotsen'", timeout=15_000)
            staff.wait_for_function("window.__lotsenChimes === 1")  # the sound, made by Web Audio
            assert staff.evaluate("window.__notes") == [["Någon väntar på en människa", "1 väntar i kön"]]

            staff.get_by_role("link", name="Öppna").first.click()
            staff.click("#claim")
            staff.select_option("#phrase", "looking_into_it")
            staff.get_by_text("I'm looking into it. One moment, please.").wait_for()  # the preview, in English
            staff.screenshot(path=str(SCREENSHOTS / "console-phrasebook.png"), full_page=True)
            staff.click("#send-phrase")
            staff.get_by_text("(skickat på engelska)").wait_for()
            user.get_by_text("I'm looking into it. One moment, please.").wait_for(timeout=15_000)
            staff.wait_for_function("!document.title.startsWith('(')")  # taken: nobody waits any more
            staff.click("#handback")
        finally:
            browser.close()


@pytest.mark.usefixtures("office_open_now")
def test_a_tigrinya_callback_with_an_interpreter_from_request_to_done(stack: Stack) -> None:
    """Issue 18's path: nobody at Kontakt Linköping speaks Tigrinya; the user is told so in
    Tigrinya and asks to be called back; staff see "Tolk: tigrinja", answer from the
    phrasebook (the user reads it in Tigrinya) and mark the callback done."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing; `make install` installs it")
    from lotsen.i18n import t
    from lotsen.phrasebook import PhraseContext, render

    create_staff(stack, "it-hanna", "Hanna")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = stack.config.gateway_url
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            user = browser.new_context().new_page()
            user.goto(base + "/")
            user.select_option("#language", "ti")
            user.select_option("#municipality", "linkoping")
            user.fill("#text", "/human")
            user.press("#text", "Enter")
            user.get_by_role("button", name=t("ti", "Call me with an interpreter")).click()
            user.get_by_role("button", name=t("ti", "Cancel")).wait_for()  # the number is asked for
            user.fill("#text", "070-123 45 67")
            user.press("#text", "Enter")
            user.get_by_role("button", name=t("ti", "Any time")).click()
            user.get_by_text("+46 70 123 45 67").last.wait_for()
            user.screenshot(path=str(SCREENSHOTS / "callback-user-tigrinya.png"), full_page=True)

            staff = browser.new_context().new_page()
            sign_in(staff, base, "it-hanna")
            row = staff.locator("tr.ticket.callback")
            row.get_by_text("Tolk: tigrinja").wait_for()
            assert "+46 70 123 45 67" in row.inner_text()
            row.get_by_role("link", name="Öppna").click()
            staff.get_by_text("Tolk behövs: tigrinja").wait_for()
            ticket_page = staff.url
            staff.select_option("#phrase", "call_interpreter_soon")
            staff.screenshot(path=str(SCREENSHOTS / "callback-console.png"), full_page=True)
            staff.click("#send-phrase")
            in_tigrinya = render("call_interpreter_soon", "ti", PhraseContext())
            user.get_by_text(in_tigrinya).wait_for(timeout=15_000)  # delivered, in the user's language
            staff.click("#done")
            staff.wait_for_url(base + "/console")
            assert staff.locator("tr.ticket.callback").count() == 0  # done: off the list
            staff.goto(ticket_page)
            staff.get_by_text("Klar ").first.wait_for()
        finally:
            browser.close()
