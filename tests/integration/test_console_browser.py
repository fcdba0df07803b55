"""A real browser (Playwright driving Debian's Chromium) against the running stack: a
user asks for a person, a staff member signs in, claims, replies, the user sees it, the
staff member hands back; markup typed by the user stays inert in the console.

Screenshots are saved as test artifacts in var/test-artifacts/ (the README shows copies
from reports/screenshots/).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lotsen.paths import ROOT
from lotsen.stack import Stack
from tests.helpers.stack import PASSWORD, create_staff

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "var" / "test-artifacts"
XSS = '<img src=x onerror="window.__xss = 1">'


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
            staff.goto(base + "/console")
            staff.fill("input[name=username]", "it-sara")
            staff.fill("input[name=password]", PASSWORD)
            staff.click("button[type=submit]")
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
