"""Staff profiles and what the queue does with them: the name and languages a staff member
sets (codes checked with Babel), the queue marking a language the viewer speaks and naming
colleagues who speak it, admins seeing everyone's languages; and the live count of who
waits that the page title and notifications use."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.db import AuditEntry, Handoff, Staff
from tests.helpers.console import WAIT_ANYWAY, handoff_page, rows
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock, handoff_client, say
from tests.helpers.staff import add_account, csrf_of, post_form, staff_client

LINKOPING = ("linkoping",)


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, Clock(MONDAY_MORNING))


def account(client: TestClient, username: str) -> Staff:
    (found,) = rows(client, Staff, Staff.username == username)
    return found  # type: ignore[no-any-return]


def save(staff: TestClient, name: str, languages: list[str], other: str = "") -> object:
    return post_form(staff, "/console/profile", "/console/profile", display_name=name, languages=languages, other=other)


def test_staff_set_their_name_and_languages(client: TestClient) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    form = sara.get("/console/profile").text
    assert len(re.findall(r'<input type="checkbox" name="languages"', form)) == 8

    saved = save(sara, "  Sara   Svensson ", ["sv", "ti"], other="prs, kmr ps")
    assert saved.status_code == 303  # type: ignore[attr-defined]
    stored = account(client, "sara")
    assert stored.display_name == "Sara Svensson"
    assert stored.languages == ["sv", "ti", "fa", "ku", "ps"]  # Dari as Persian, Kurmanji as Kurdish
    assert ("sara", "profile", "sara") in [(e.actor, e.action, e.target) for e in rows(client, AuditEntry)]
    page = html.unescape(sara.get("/console/profile").text)
    assert "Sara Svensson" in page and "kurdiska" in page  # the header, and codes named
    assert re.search(r'value="ti" checked', page) and not re.search(r'value="ar" checked', page)


@pytest.mark.parametrize(
    ("name", "other", "reason"),
    [
        ("Sara", "xx", "Okänd språkkod: xx."),
        ("Sara", "de <script>", "Okänd språkkod: <script>."),
        ("   ", "", "Namnet måste vara 1–120 tecken."),
        ("S" * 121, "", "Namnet måste vara 1–120 tecken."),
    ],
)
def test_a_profile_with_a_bad_value_is_refused_and_nothing_changes(
    client: TestClient, name: str, other: str, reason: str
) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    refused = save(sara, name, ["sv"], other=other)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert reason in html.unescape(refused.text)  # type: ignore[attr-defined]
    assert "<script>." not in refused.text  # type: ignore[attr-defined]
    stored = account(client, "sara")
    assert (stored.display_name, stored.languages) == ("Sara", [])
    assert "profile" not in [e.action for e in rows(client, AuditEntry)]


def test_profile_needs_a_console_account_and_the_forms_token(client: TestClient) -> None:
    add_account(client, "eva", "editor")
    add_account(client, "sara", "staff", LINKOPING)
    assert staff_client(client, "eva").get("/console/profile").status_code == 403
    sara = staff_client(client, "sara")
    forged = sara.post("/console/profile", data={"display_name": "Mallory", "languages": ["ti"]})
    assert forged.status_code == 400 and account(client, "sara").display_name == "Sara"
    assert csrf_of(sara.get("/console/profile").text)


def test_queue_marks_a_language_the_viewer_speaks_and_names_colleagues_who_do(client: TestClient) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "olle", "staff", LINKOPING)
    add_account(client, "nils", "staff", LINKOPING)
    add_account(client, "bengt", "staff", ("bastad",))
    sara, olle, nils, bengt = (staff_client(client, name) for name in ("sara", "olle", "nils", "bengt"))
    save(sara, "Sara", ["sv", "ti"])
    save(olle, "Olle", [], other="ti")
    save(nils, "Nils", ["ar"])
    save(bengt, "Bengt", ["ti"])  # speaks it, but works for Båstad
    say(client, "tesfay", WAIT_ANYWAY, language="ti", municipality="linkoping")
    say(client, "amal", WAIT_ANYWAY, language="ar", municipality="linkoping")

    queue = sara.get("/console").text
    entries = re.findall(r"<tr(?: class=\"you-speak\")?>\s*<td>\d+ min.*?</tr>", queue, re.DOTALL)
    (tesfay,) = [row for row in entries if "Tigrinja" in row]
    (amal,) = [row for row in entries if "Arabiska" in row]
    assert 'class="you-speak"' in tesfay and "du talar tigrinja" in tesfay
    assert "Talar tigrinja: Olle" in tesfay and "Bengt" not in tesfay and "Sara" not in tesfay.split("Talar")[1]
    assert "du talar" not in amal and "Talar arabiska: Nils" in amal
    assert "Tolk: tigrinja" in tesfay  # no one at Kontakt Linköping speaks it
    assert queue.count("du talar") == 1
    assert "Talar tigrinja: Sara" in olle.get("/console").text


def test_admins_see_everyones_languages(client: TestClient) -> None:
    add_account(client, "ada", "admin")
    add_account(client, "sara", "staff", LINKOPING)
    save(staff_client(client, "sara"), "Sara", ["sv", "ti"])
    accounts = staff_client(client, "ada").get("/console/admin").text
    row = next(r for r in re.findall(r"<tr.*?</tr>", accounts, re.DOTALL) if "<td>sara</td>" in r)
    assert '<td class="languages">svenska, tigrinja</td>' in row


def test_waiting_lists_unclaimed_handoffs_of_the_viewers_municipalities(client: TestClient) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "bengt", "staff", ("bastad",))
    sara, bengt = staff_client(client, "sara"), staff_client(client, "bengt")
    assert sara.get("/console/waiting").json() == {"waiting": []}
    say(client, "lina", "/human", language="sv", municipality="linkoping")
    say(client, "bo", "/human", language="sv", municipality="linkoping")
    say(client, "bosse", "/human", language="sv", municipality="bastad")
    linkoping = [h.id for h in rows(client, Handoff) if h.municipality == "linkoping"]
    assert sara.get("/console/waiting").json() == {"waiting": linkoping}
    assert len(bengt.get("/console/waiting").json()["waiting"]) == 1

    page = handoff_page(sara)
    post_form(sara, f"{page}/claim", page)  # taken: nobody waits for it any more
    assert len(sara.get("/console/waiting").json()["waiting"]) == 1
    assert "<title>Kö – Lotsen</title>" in sara.get("/console").text  # console.js adds "(1) "

    post_form(sara, "/console/logout", "/console")
    assert sara.get("/console/waiting", follow_redirects=False).status_code == 401
