"""The phrasebook in the console: the picker in Swedish, phrases the conversation cannot
fill disabled with the reason, a preview of exactly what the user will get, and a sent
phrase stored in the user's language with its id — shown back to staff in Swedish."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from bot.db import Message
from lotsen import phrasebook
from lotsen.knowledge import Office, load_bank
from tests.helpers.chat import history
from tests.helpers.console import WAIT_ANYWAY, add_ticket, handoff_page, rows
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock, handoff_client, say
from tests.helpers.staff import add_account, post_form, staff_client

LINKOPING = ("linkoping",)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, Clock(MONDAY_MORNING))


@pytest.fixture
def office(knowledge_dir: Path) -> Office:
    found = load_bank(knowledge_dir).handoff_office("linkoping")
    assert found is not None
    return found


def claimed(client: TestClient, language: str) -> tuple[TestClient, str]:
    """Sara has taken the chat of a user writing in `language` in Linköping."""
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "user", WAIT_ANYWAY, language=language, municipality="linkoping")
    page = handoff_page(sara)
    assert post_form(sara, f"{page}/claim", page).status_code == 303  # type: ignore[attr-defined]
    return sara, page


def ctx(office: Office, when: datetime | None = None) -> phrasebook.PhraseContext:
    return phrasebook.PhraseContext(staff_name="Sara", office=office, when=when)


def options(page: str) -> dict[str, str]:
    picker = page[page.index('<select id="phrase"') : page.index("</select>")]
    return {
        value: html.unescape(rest) for value, rest in re.findall(r'<option value="([a-z_0-9]+)"(.*?)</option>', picker)
    }


def test_picker_offers_phrases_in_swedish_and_disables_what_cannot_be_filled(
    client: TestClient, office: Office
) -> None:
    sara, page = claimed(client, "ti")
    found = options(sara.get(page).text)
    assert set(found) == {p.id for p in phrasebook.phrases()}
    assert phrasebook.render("greeting", "sv", ctx(office)) in found["greeting"]  # with her name and office
    assert "disabled" not in found["greeting"]
    # Kontakt Linköping lists no phone hours and no address in the bank:
    assert "disabled" in found["call_us"] and "saknar kontorets telefontider" in found["call_us"]
    assert "disabled" in found["visit_us"] and "kontorets adress" in found["visit_us"]
    # A time is chosen beside the picker, so phrases with one are offered.
    assert "data-needs-time" in found["call_interpreter_time"] and "disabled" not in found["call_interpreter_time"]
    assert "data-needs-time" not in found["greeting"]
    groups = re.findall(r'<optgroup label="([^"]+)"', sara.get(page).text)
    assert groups[0] == "Inleda chatten" and len(groups) == len(set(phrasebook.GROUPS))


def preview(staff: TestClient, page: str, **params: str) -> Any:
    handoff = page.rsplit("/", 1)[1]
    response = staff.get("/console/phrases/preview", params={"handoff": handoff, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_preview_is_exactly_what_the_user_will_get(client: TestClient, office: Office) -> None:
    sara, page = claimed(client, "ti")
    shown = preview(sara, page, phrase="greeting")
    assert shown["text"] == phrasebook.render("greeting", "ti", ctx(office))
    assert shown["language"] == "ti" and shown["direction"] == "ltr" and shown["error"] is None
    assert shown["console"] == phrasebook.render("greeting", "sv", ctx(office))

    untimed = preview(sara, page, phrase="call_interpreter_time")
    assert untimed["text"] is None and untimed["error"] == "Välj datum och tid först."
    at = datetime(2026, 12, 3, 14, 30, tzinfo=STOCKHOLM)
    timed = preview(sara, page, phrase="call_interpreter_time", when="2026-12-03T14:30")
    assert timed["text"] == phrasebook.render("call_interpreter_time", "ti", ctx(office, at))
    assert preview(sara, page, phrase="call_us")["error"] == "Kan inte skickas: saknar kontorets telefontider"
    assert sara.get("/console/phrases/preview", params={"handoff": "9999", "phrase": "greeting"}).status_code == 404


def test_preview_of_a_right_to_left_language(client: TestClient, office: Office) -> None:
    sara, page = claimed(client, "ar")
    shown = preview(sara, page, phrase="looking_into_it")
    assert shown["direction"] == "rtl" and shown["text"] == phrasebook.render("looking_into_it", "ar", ctx(office))


def test_preview_is_for_staff_of_the_municipality_only(client: TestClient) -> None:
    sara, page = claimed(client, "ti")
    add_account(client, "bengt", "staff", ("bastad",))
    bengt = staff_client(client, "bengt")
    handoff = page.rsplit("/", 1)[1]
    refused = bengt.get("/console/phrases/preview", params={"handoff": handoff, "phrase": "greeting"})
    assert refused.status_code == 404 and "Sara" not in refused.text
    post_form(sara, "/console/logout", "/console")
    assert sara.get("/console/phrases/preview", params={"handoff": handoff, "phrase": "greeting"}).status_code == 401


def test_a_sent_phrase_is_stored_in_the_users_language_with_its_id(client: TestClient, office: Office) -> None:
    sara, page = claimed(client, "ti")
    sent = post_form(sara, f"{page}/reply", page, phrase="call_interpreter_time", when="2026-12-03T14:30")
    assert sent.status_code == 303  # type: ignore[attr-defined]
    at = datetime(2026, 12, 3, 14, 30, tzinfo=STOCKHOLM)
    tigrinya = phrasebook.render("call_interpreter_time", "ti", ctx(office, at))
    staff = [m for m in rows(client, Message) if m.author == "staff"]
    assert [(m.text, m.phrase) for m in staff] == [(tigrinya, "call_interpreter_time")]
    assert (tigrinya, "staff") in [(m["text"], m["author"]) for m in history(client, "user")]  # delivered

    post_form(sara, f"{page}/reply", page, phrase="greeting")
    transcript = html.unescape(sara.get(page).text)
    transcript = transcript[transcript.index('<ol class="transcript">') : transcript.index("</ol>")]
    assert phrasebook.render("greeting", "sv", ctx(office)) in transcript  # staff read it in Swedish …
    assert transcript.count("(skickat på tigrinja)") == 2  # … noted as sent in Tigrinja
    assert phrasebook.render("greeting", "ti", ctx(office)) in transcript  # … with the text as sent, folded


def test_a_phrase_that_cannot_be_filled_is_refused_and_nothing_is_sent(client: TestClient) -> None:
    sara, page = claimed(client, "ti")
    for fields in ({"phrase": "call_us"}, {"phrase": "call_interpreter_time"}, {"phrase": "no_such_phrase"}):
        refused = post_form(sara, f"{page}/reply", page, **fields)
        assert refused.status_code == 422, fields  # type: ignore[attr-defined]
    assert [m for m in rows(client, Message) if m.author == "staff"] == []


def test_free_text_is_sent_as_written(client: TestClient) -> None:
    sara, page = claimed(client, "ti")
    post_form(sara, f"{page}/reply", page, text="Hej! Jag ringer dig snart.")
    staff = [m for m in rows(client, Message) if m.author == "staff"]
    assert [(m.text, m.phrase) for m in staff] == [("Hej! Jag ringer dig snart.", None)]


def test_a_ticket_is_answered_with_a_phrase_too(client: TestClient, office: Office) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "tesfay", "ሰላም", language="ti", municipality="linkoping")
    ticket = add_ticket(client, "tesfay", kind="callback", phone="+46701234567", interpreter="ti")
    page = f"/console/tickets/{ticket}"
    assert "received" in options(sara.get(page).text)
    shown = sara.get("/console/phrases/preview", params={"ticket": str(ticket), "phrase": "received"}).json()
    assert shown["text"] == phrasebook.render("received", "ti", ctx(office))
    assert post_form(sara, f"{page}/reply", page, phrase="received").status_code == 303  # type: ignore[attr-defined]
    staff = [m for m in rows(client, Message) if m.author == "staff"]
    assert [(m.text, m.phrase) for m in staff] == [(shown["text"], "received")]
