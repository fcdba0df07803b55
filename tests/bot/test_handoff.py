"""Handoff to staff through the chat API: open office → queue, closed → next opening and
a message left as a ticket, unclaimed → told and offered a message, two failures → staff."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.db import Conversation, Handoff, Ticket
from tests.helpers.chat import auth, tokens_of
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, SATURDAY, STOCKHOLM, Clock, handoff_client, rows, say


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, clock: Clock) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, clock)


def test_open_office_puts_the_user_in_the_queue_and_messages_wait_for_staff(
    client: TestClient, backends: FakeBackends
) -> None:
    # Nobody at Kontakt Linköping speaks Arabic (tests/bot/test_callbacks.py): Amal chose to wait anyway.
    say(client, "amal", "/human", language="ar", municipality="linkoping")
    first = say(client, "amal", '/human{"anyway":"yes"}')
    assert first["mode"] == "waiting"
    assert "Kontakt Linköping" in first["messages"][0]["text"]
    assert "1" in first["messages"][0]["text"]
    second = say(client, "bashir", "/human", language="en", municipality="linkoping")
    assert " 2 " in second["messages"][0]["text"]

    backends.received.clear()
    waiting = say(client, "amal", "هل ما زلت هنا؟")
    assert waiting == {"sender": "amal", "language": "ar", "mode": "waiting", "messages": []}
    assert backends.received == []  # never reaches Rasa while waiting
    assert [h.status for h in rows(client, Handoff)] == ["waiting", "waiting"]


def test_unknown_municipality_is_asked_first(client: TestClient) -> None:
    reply = say(client, "cai", "/human", language="en")
    payloads = [b["payload"] for b in reply["messages"][0]["buttons"]]
    assert '/human{"municipality":"bastad"}' in payloads
    chosen = say(client, "cai", '/human{"municipality":"bastad"}')
    assert chosen["mode"] == "waiting"
    assert [c.municipality for c in rows(client, Conversation)] == ["bastad"]


def test_closed_office_tells_the_next_opening_and_takes_a_message(client: TestClient, clock: Clock) -> None:
    clock.now = SATURDAY
    reply = say(client, "dawit", "/human", language="sv", municipality="upplands-vasby")
    assert reply["mode"] == "bot"
    assert "måndag 23 november 2026 08:00" in reply["messages"][0]["text"].replace("\u202f", " ")
    assert [b["payload"] for b in reply["messages"][0]["buttons"]] == ["/leave_message", "/callback"]

    say(client, "dawit", "/leave_message")
    thanks = say(client, "dawit", "Jag behöver hjälp med en blankett från Försäkringskassan.")
    assert thanks["mode"] == "bot"
    tickets = rows(client, Ticket)
    assert [(tk.text, tk.municipality, tk.status) for tk in tickets] == [
        ("Jag behöver hjälp med en blankett från Försäkringskassan.", "upplands-vasby", "open")
    ]
    assert rows(client, Handoff) == []


def test_midsommarafton_is_closed(client: TestClient, clock: Clock) -> None:
    clock.now = datetime(2026, 6, 19, 10, 0, tzinfo=STOCKHOLM)
    reply = say(client, "eyob", "/human", language="en", municipality="linkoping")
    assert reply["mode"] == "bot" and reply["messages"][0]["buttons"][0]["payload"] == "/leave_message"


def test_unclaimed_wait_expires_with_an_offer_to_leave_a_message(client: TestClient, clock: Clock) -> None:
    say(client, "farah", "/human", language="en", municipality="stockholm")
    clock.now = MONDAY_MORNING + timedelta(minutes=11)
    reply = say(client, "farah", "hello?")
    assert reply["mode"] == "bot"
    assert reply["messages"][0]["buttons"][0]["payload"] == "/leave_message"
    assert [h.status for h in rows(client, Handoff)] == ["expired"]


def test_request_human_intent_hands_over(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"custom": {"handoff": "request"}}, {"text": "interim text"}]
    reply = say(client, "gul", "I want to talk to a real person", language="en", municipality="linkoping")
    assert reply["mode"] == "waiting"
    assert [m["text"] for m in reply["messages"]] != ["interim text"]


def test_two_failed_attempts_hand_over(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"custom": {"unanswered": "not_understood"}}, {"text": "Sorry?"}]
    first = say(client, "hana", "blorf", language="en", municipality="linkoping")
    assert first["mode"] == "bot"
    second = say(client, "hana", "snarkle", language="en", municipality="linkoping")
    assert second["mode"] == "waiting"
    assert second["messages"][0]["text"] == "Sorry?"
    assert [h.reason for h in rows(client, Handoff)] == ["not_understood"]


def test_sweep_ends_waits_nobody_claimed_and_the_user_finds_the_notice(client: TestClient, clock: Clock) -> None:
    say(client, "ivan", "/human", language="uk", municipality="linkoping")
    say(client, "ivan", '/human{"anyway":"yes"}')
    handoff = client.app.state.handoff  # type: ignore[attr-defined]
    assert client.portal.call(handoff.expire_due) == []  # type: ignore[union-attr]
    clock.now = MONDAY_MORNING + timedelta(minutes=11)
    assert len(client.portal.call(handoff.expire_due)) == 1  # type: ignore[union-attr]
    polled = client.get("/api/messages", headers=auth(client, "ivan")).json()
    assert polled["mode"] == "bot"
    assert polled["messages"][-1]["author"] == "system"
    assert [b["payload"] for b in polled["messages"][-1]["buttons"]] == ["/leave_message"]


def test_queue_and_tickets_survive_a_gateway_restart(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, clock: Clock
) -> None:
    tokens: dict[str, str] = {}
    for attempt in range(2):
        restarted = handoff_client(tmp_path, knowledge_dir, backends, clock)
        app_client = next(restarted)
        tokens_of(app_client).update(tokens)  # the user's widget keeps its token across the restart
        if attempt == 0:
            say(app_client, "jon", "/human", language="en", municipality="linkoping")
            say(app_client, "jon", "still here")
            tokens = dict(tokens_of(app_client))
        else:
            assert [h.status for h in rows(app_client, Handoff)] == ["waiting"]
            assert say(app_client, "jon", "hello again")["mode"] == "waiting"
        with contextlib.suppress(StopIteration):
            next(restarted)  # leaves the TestClient: the app shuts down


def test_user_can_leave_the_queue(client: TestClient) -> None:
    first = say(client, "kim", "/human", language="en", municipality="linkoping")
    assert first["messages"][0]["buttons"] == [{"title": "Stop waiting", "payload": "/stop_waiting"}]
    left = say(client, "kim", "/stop_waiting")
    assert left["mode"] == "bot"
    assert [h.status for h in rows(client, Handoff)] == ["cancelled"]
