"""One database transaction writes a turn (issue 20): the gateway reads the conversation
once, and stores the user's message, the conversation's changes and the answer together.
Turns that need the message earlier (a request for a person) store it first; a failing
turn still keeps the message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from tests.helpers.chat import history, post_chat
from tests.helpers.fake_backends import FakeBackends


@contextmanager
def statements(client: TestClient) -> Iterator[dict[str, Any]]:
    """Counts of what reaches the database while the block runs."""
    engine = client.app.state.db.engine.sync_engine  # type: ignore[attr-defined]
    seen: dict[str, Any] = {"commits": 0, "sql": []}

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen["sql"].append(statement.split()[0].upper())

    def on_commit(_conn: Any) -> None:
        seen["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)


def test_an_ordinary_turn_reads_once_and_commits_once(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"recipient_id": "x", "text": "Svar om BankID"}]
    assert post_chat(client, {"sender": "olle", "text": "Hej, hur skaffar jag BankID?"}).status_code == 200
    with statements(client) as seen:
        response = post_chat(client, {"sender": "olle", "text": "Och hur gör jag med ID-kortet?"})
    assert response.status_code == 200 and response.json()["messages"][0]["text"] == "Svar om BankID"
    assert seen["commits"] == 1, seen
    assert seen["sql"].count("SELECT") == 1, seen  # the conversation, proven by its token
    assert [m["author"] for m in history(client, "olle")] == ["user", "bot", "user", "bot"]


def test_the_users_message_is_stored_before_the_answer(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"recipient_id": "x", "text": "ett"}, {"recipient_id": "x", "text": "två"}]
    for text in ("första frågan här", "andra frågan här"):
        post_chat(client, {"sender": "lisa", "text": text})
    stored = history(client, "lisa")
    assert [(m["author"], m["text"]) for m in stored] == [
        ("user", "första frågan här"), ("bot", "ett"), ("bot", "två"),
        ("user", "andra frågan här"), ("bot", "ett"), ("bot", "två"),
    ]  # fmt: skip
    assert [m["id"] for m in stored] == sorted(m["id"] for m in stored)


def test_a_message_is_kept_when_rasa_is_down(client: TestClient, backends: FakeBackends) -> None:
    post_chat(client, {"sender": "nils", "text": "hej hej"})
    backends.rasa_mode = "refused"
    response = post_chat(client, {"sender": "nils", "text": "hur söker jag bostad?"})
    assert response.status_code == 200
    assert "hur söker jag bostad?" in [m["text"] for m in history(client, "nils") if m["author"] == "user"]


def test_a_message_is_kept_when_a_step_fails(
    client: TestClient, backends: FakeBackends, monkeypatch: pytest.MonkeyPatch
) -> None:
    post_chat(client, {"sender": "eva", "text": "hej hej"})

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug in a step")

    monkeypatch.setattr("bot.pipeline.understand.parse_rasa_reply", broken)
    with pytest.raises(RuntimeError, match="a bug in a step"):  # the test client re-raises the server's error
        post_chat(client, {"sender": "eva", "text": "vad gäller för skolan?"})
    assert "vad gäller för skolan?" in [m["text"] for m in history(client, "eva") if m["author"] == "user"]
