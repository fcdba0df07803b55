""" "Did this help?": one tap records 👍/👎 per topic, a 👎 asks what was missing once, the
reason reaches the editors' feedback page masked, and nothing is asked of someone who
may be in an emergency."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.db import Conversation, Feedback
from lotsen import protocol
from lotsen.i18n import t
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock, handoff_client, rows, say
from tests.helpers.staff import add_account, sign_in


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, Clock(MONDAY_MORNING))


def test_thumbs_up_is_counted_and_thanked(client: TestClient, backends: FakeBackends) -> None:
    backends.received.clear()
    reply = say(client, "u", protocol.feedback("ask_bankid", "up"), language="sv")
    assert reply["messages"][0]["text"] == t("sv", "Thank you for telling us!")
    assert backends.received == []  # the gateway answers it; Rasa never sees it
    assert [(f.topic, f.value, f.language, f.reason) for f in rows(client, Feedback)] == [("ask_bankid", 1, "sv", None)]


def test_thumbs_down_asks_once_what_was_missing(client: TestClient, backends: FakeBackends) -> None:
    asked = say(client, "u", protocol.feedback("ask_tax", "down"), language="en", municipality="linkoping")
    assert asked["messages"][0]["buttons"][0]["payload"] == protocol.request_human_intent()
    backends.received.clear()
    say(client, "u", "It did not say how to fill in the form for 2025, call me on 070-123 45 67")
    assert backends.received == []  # the reason is not a question for the bot
    [row] = rows(client, Feedback)
    assert (row.value, row.municipality) == (-1, "linkoping")
    assert row.reason is not None and row.reason.startswith("It did not say")
    [conversation] = rows(client, Conversation)
    assert conversation.feedback_pending is None
    say(client, "u", "and how do I get BankID?")
    assert [r["message"] for r in backends.received] == ["and how do I get BankID?"]  # back to the bot


def test_a_second_tap_changes_the_vote_instead_of_counting_twice(client: TestClient) -> None:
    say(client, "u", protocol.feedback("ask_sfi", "down"), language="sv")
    say(client, "u", protocol.feedback("ask_sfi", "up"))
    assert [(f.topic, f.value) for f in rows(client, Feedback)] == [("ask_sfi", 1)]


def test_an_emergency_instead_of_a_reason_goes_to_the_bot(client: TestClient, backends: FakeBackends) -> None:
    say(client, "u", protocol.feedback("ask_healthcare", "down"), language="en")
    backends.received.clear()
    say(client, "u", "my father collapsed and is not breathing")
    assert len(backends.received) == 1
    assert rows(client, Feedback)[0].reason is None


@pytest.mark.parametrize(
    "text", ['/feedback{"topic":"ask_nothing","value":"up"}', '/feedback{"topic":"ask_sfi","value":"meh"}']
)
def test_a_forged_vote_is_not_recorded(client: TestClient, text: str) -> None:
    say(client, "u", text, language="sv")
    assert rows(client, Feedback) == []


def test_editors_read_the_reasons_masked_per_topic(client: TestClient) -> None:
    say(client, "u", protocol.feedback("ask_tax", "down"), language="en")
    say(client, "u", "Nothing about deductions. My number is 070-123 45 67")
    say(client, "w", protocol.feedback("ask_tax", "up"), language="en")
    add_account(client, "erik", "editor")
    assert sign_in(client, "erik", area="/editor") == 303
    page = client.get("/editor/feedback?language=en").text
    assert "Nothing about deductions" in page
    assert "070-123 45 67" not in page
    assert "/editor/topics/tax/en" in page
    anonymous = TestClient(client.app)  # type: ignore[arg-type]
    assert anonymous.get("/editor/feedback", follow_redirects=False).status_code == 303
