"""The gateway's command table through the chat API: commands that work while a person
owns the conversation, one-time confirmation buttons, and commands the bot keeps for later."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import Conversation
from bot.pipeline.commands import CONFIRMATION_LIFETIME
from lotsen import protocol, sentences
from lotsen.i18n import t
from tests.helpers.chat import history
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock, handoff_client, say


class MovableClock(Clock):
    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(MONDAY_MORNING)


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, clock: MovableClock) -> Iterator[TestClient]:
    for test_client in handoff_client(tmp_path, knowledge_dir, backends, clock):
        test_client.app.state.commands.clock = clock  # type: ignore[attr-defined]
        yield test_client


def forget_payload(reply: dict[str, object]) -> str:
    messages = reply["messages"]
    assert isinstance(messages, list)
    payload = messages[0]["buttons"][0]["payload"]
    parsed = protocol.parse_payload(payload)
    assert parsed is not None and parsed.name == protocol.FORGET_CONFIRM
    assert len(parsed.get(protocol.KEY_NONCE) or "") == 16
    return str(payload)


def test_forget_and_language_are_answered_while_waiting_for_staff(client: TestClient, backends: FakeBackends) -> None:
    assert say(client, "w", "/human", language="en", municipality="linkoping")["mode"] == "waiting"
    backends.received.clear()
    question = say(client, "w", "/language")
    assert question["mode"] == "waiting"
    assert question["messages"][0]["text"] == sentences.language_question("en")[0]
    chosen = say(client, "w", protocol.language_choice("uk"))
    assert chosen["language"] == "uk" and chosen["mode"] == "waiting"
    assert chosen["messages"][0]["text"] == sentences.language_confirmation("uk")
    confirm = forget_payload(say(client, "w", "/forget"))
    done = say(client, "w", confirm)
    assert done["mode"] == "bot"
    assert done["messages"][0]["text"] == t(
        "uk", "Done. I have deleted this conversation and everything Lotsen kept about it."
    )
    assert backends.received == []  # none of it went to Rasa
    assert history(client, "w") == []


def test_commands_for_the_bot_wait_while_staff_own_the_conversation(client: TestClient, backends: FakeBackends) -> None:
    say(client, "m", "/human", language="sv", municipality="linkoping")
    assert say(client, "m", "/municipality") == {"sender": "m", "language": "sv", "mode": "waiting", "messages": []}


def test_an_old_confirmation_button_deletes_nothing(client: TestClient) -> None:
    old = forget_payload(say(client, "o", "/forget", language="sv"))
    say(client, "o", old)  # the first conversation is deleted
    say(client, "o", "hej igen")  # a new conversation under the same id
    refused = say(client, "o", old)
    assert refused["messages"][0]["text"] == t(
        "sv", "This button has expired. Write /forget again if you want to delete this conversation."
    )
    messages = history(client, "o")
    assert [m["text"] for m in messages][:1] == ["hej igen"]


def test_pressing_an_old_button_leaves_the_newest_one_working(client: TestClient) -> None:
    old = forget_payload(say(client, "n", "/forget", language="en"))
    new = forget_payload(say(client, "n", "/forget"))
    say(client, "n", old)
    assert say(client, "n", new)["messages"][0]["text"] == t(
        "en", "Done. I have deleted this conversation and everything Lotsen kept about it."
    )


def test_a_confirmation_expires(client: TestClient, clock: MovableClock) -> None:
    payload = forget_payload(say(client, "e", "/forget", language="en"))
    clock.advance(CONFIRMATION_LIFETIME + timedelta(seconds=1))
    expired = say(client, "e", payload)
    assert expired["messages"][0]["text"] == t(
        "en", "This button has expired. Write /forget again if you want to delete this conversation."
    )
    assert history(client, "e")


def test_a_forged_nonce_and_a_payload_without_one_are_refused(client: TestClient) -> None:
    forget_payload(say(client, "f", "/forget", language="en"))
    for attempt in ('/forget_confirm{"nonce":"0000000000000000"}', "/forget_confirm"):
        reply = say(client, "f", attempt)
        assert reply["messages"][0]["text"].startswith(t("en", "This button has expired.").split(".")[0])
    assert history(client, "f")


def municipality_of(client: TestClient, sender: str) -> str | None:
    async def query() -> str | None:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            found = await session.scalar(select(Conversation.municipality).where(Conversation.sender == sender))
            return str(found) if found else None

    return client.portal.call(query)  # type: ignore[union-attr, no-any-return]


def test_a_deep_link_start_sets_the_municipality_and_an_unknown_one_is_ignored(client: TestClient) -> None:
    welcome = say(client, "d", '/start{"municipality":"skelleftea"}', language="sv")
    assert len(welcome["messages"]) == 1  # the municipality is known: not asked again
    assert municipality_of(client, "d") == "skelleftea"
    say(client, "d", '/start{"municipality":"atlantis"}')
    assert municipality_of(client, "d") == "skelleftea"


def test_every_payload_the_gateway_builds_fits_telegram() -> None:
    from bot.pipeline import replies

    built = [
        *(b.payload for b in replies.welcome("sv")[0].buttons),
        *(b.payload for b in replies.municipality_question("sv").buttons),
        *(b.payload for b in replies.forget_question("sv", "f" * 16).buttons),
    ]
    assert built and all(len(p.encode()) <= protocol.MAX_CALLBACK_BYTES for p in built)
