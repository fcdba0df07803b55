"""The handoff brief a Swedish-speaking staff member acts on: why a person, the topic,
what the user was told (read from the bank in Swedish), how the assistant read each
question, the language, municipality and whether an interpreter is needed; and the
transcript with button presses by their titles and times in Swedish time."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from lotsen import protocol
from lotsen.knowledge import load_bank
from tests.helpers.console import WAIT_ANYWAY, handoff_page
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock, handoff_client, say
from tests.helpers.staff import add_account, staff_client

LINKOPING = ("linkoping",)
QUESTION = "ከመይ ጌረ ገዛ ክረክብ ይኽእል?"  # "How can I get a flat?" (Tigrinya)
TIGRINYA_ANSWER = "ኣብ ናይ ገዛ መስርዕ ተመዝገብ።"


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, Clock(MONDAY_MORNING))


def section(page: str, start: str, end: str) -> str:
    return html.unescape(page[page.index(start) : page.index(end, page.index(start))])


def ask_in_tigrinja(client: TestClient, backends: FakeBackends) -> None:
    backends.replies_for[QUESTION] = [
        {"custom": protocol.reading("ask_housing_queue", 0.87)},
        {"custom": protocol.topic("ask_housing_queue")},
        {"text": TIGRINYA_ANSWER},
    ]
    backends.replies_for["ሰላም"] = [{"text": "ሰላም!"}]  # no reading: the assistant said nothing
    say(client, "tesfay", QUESTION, language="ti", municipality="linkoping")
    say(client, "tesfay", "ሰላም")
    say(client, "tesfay", WAIT_ANYWAY)


def test_brief_tells_swedish_staff_what_a_tigrinya_speaker_was_told(
    client: TestClient, backends: FakeBackends, knowledge_dir: Path
) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    ask_in_tigrinja(client, backends)
    brief = section(sara.get(handoff_page(sara)).text, 'class="brief"', "</section>\n<h2>")

    assert "användaren bad om en människa" in brief  # why a person
    assert "Bostadskö" in brief  # the topic, in Swedish
    swedish = load_bank(knowledge_dir).answer("ask_housing_queue", "sv", "linkoping")
    assert swedish is not None and swedish.language == "sv"
    for message in swedish.messages:  # the same answer, as the bank has it in Swedish
        assert message in brief
    assert "Tigrinja" in brief and "Linköping" in brief  # language and municipality
    assert "Tolk behövs: tigrinja" in brief  # Linköping's staff speak Swedish and English


def test_brief_shows_how_the_assistant_read_each_question(client: TestClient, backends: FakeBackends) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    ask_in_tigrinja(client, backends)
    table = section(sara.get(handoff_page(sara)).text, 'class="readings"', "</table>")
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td><td>(.*?)</td><td[^>]*>(.*?)</td></tr>", table)
    assert [(q, i, re.sub(r"\s", " ", c)) for q, i, c in rows] == [
        (QUESTION, "Bostadskö", "87 %"),
        ("ሰላም", "—", "—"),  # no reading known
    ]
    assert WAIT_ANYWAY not in table  # a button press is no question


def test_no_interpreter_when_the_office_speaks_the_language(client: TestClient, backends: FakeBackends) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    backends.rasa_replies = [{"custom": {"unanswered": "not_understood"}}, {"text": "Förlåt?"}]
    say(client, "bo", "blärg", language="sv", municipality="linkoping")
    say(client, "bo", "blärg igen")
    brief = section(sara.get(handoff_page(sara)).text, 'class="brief"', "</section>\n<h2>")
    assert "boten förstod inte två gånger" in brief
    assert "Tolk behövs" not in brief and "Svenska" in brief


def transcript(page: str) -> str:
    return page[page.index('<ol class="transcript">') : page.index("</ol>")]


def test_transcript_shows_button_presses_by_their_titles_never_raw_payloads(
    client: TestClient, backends: FakeBackends
) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    offer = [{"title": "Ja, en människa", "payload": protocol.human_request("linkoping")}]
    backends.replies_for["Jag vill prata med någon"] = [{"text": "Vill du prata med en människa?", "buttons": offer}]
    say(client, "bo", "Jag vill prata med någon", language="sv", municipality="linkoping")
    say(client, "bo", '/human{ "municipality": "linkoping" }')  # the button's payload, spaced differently
    say(client, "bo", "/language")  # typed: no button sent it
    english = protocol.language_choice("en")
    say(client, "bo", english)  # a button of the language question the bot just sent

    shown = transcript(sara.get(handoff_page(sara)).text)
    presses = re.findall(r'<div class="bubble press">(.*?)</div>', html.unescape(shown), re.DOTALL)
    texts = [re.sub(r"<[^>]+>", "", press) for press in presses]
    assert texts[0] == "Tryckte på knappen Ja, en människa — Bad om en människa"
    assert texts[1] == "Ville byta språk"
    assert texts[2].startswith("Tryckte på knappen English") and texts[2].endswith("Valde språk: Engelska")
    assert len(texts) == 3
    for raw in ('{"municipality"', "/human", "/language", english, "choose_language"):
        assert raw not in html.unescape(shown), raw


def test_transcript_times_are_stockholm_time_with_the_zone(client: TestClient, backends: FakeBackends) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "bo", "/human", language="sv", municipality="linkoping")
    page = sara.get(handoff_page(sara)).text
    stamps = re.findall(r"<time>([^<]*)</time>", transcript(page))
    assert stamps and all(re.fullmatch(r"\d{2}:\d{2} CES?T", stamp) for stamp in stamps), stamps


def test_brief_reads_only_answers_within_the_handoffs_context(client: TestClient, backends: FakeBackends) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    backends.replies_for["Hur skaffar jag BankID?"] = [
        {"custom": protocol.reading("ask_bankid", 0.9)},
        {"custom": protocol.topic("ask_bankid")},
        {"text": "OLD ANSWER about BankID"},
    ]
    say(client, "bo", "Hur skaffar jag BankID?", language="sv", municipality="linkoping")
    for filler in ("ett", "två", "tre"):  # more than the few messages before a request the brief may read
        say(client, "bo", f"Något annat {filler}")
    say(client, "bo", "/human")
    page = html.unescape(sara.get(handoff_page(sara)).text)
    assert "Hur skaffar jag BankID?" not in page and "OLD ANSWER" not in page
    assert 'class="told"' not in page  # no Swedish answer read from the bank either
    assert "90 %" not in page.replace("\xa0", " ")  # nor the reading of that question
