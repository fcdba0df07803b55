"""Conversation tokens and cross-origin rules: a web conversation answers only to its
token; the chat API works from other sites, the staff pages never do."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.app import create_app
from bot.db import Conversation, Message
from lotsen.settings import Settings
from tests.helpers.chat import auth, post_chat
from tests.helpers.fake_backends import FakeBackends

SITE = "https://www.linkoping.se"


def settings_for(tmp_path: Path, knowledge_dir: Path, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
            "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "LOTSEN_RASA_URL": "http://rasa.test:5005",
            "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
            **extra,
        }
    )


@pytest.fixture
def restricted(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    settings = settings_for(tmp_path, knowledge_dir, LOTSEN_WIDGET_ORIGINS=f"{SITE}, https://linkoping.se/")
    with TestClient(create_app(settings, transport=backends.transport())) as test_client:
        yield test_client


def count(client: TestClient, model: type[Message] | type[Conversation]) -> int:
    async def query() -> int:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    return client.portal.call(query)  # type: ignore[union-attr, no-any-return]


def test_no_request_for_a_conversation_is_answered_without_its_token(client: TestClient) -> None:
    first = post_chat(client, {"sender": "demo-1", "text": "hej"})
    token = first.json()["token"]
    stored = count(client, Message)
    for headers in ({}, {"Authorization": "Bearer not-it"}, {"Authorization": f"Basic {token}"}):
        assert (
            client.post("/api/messages", json={"sender": "demo-1", "text": "läs"}, headers=headers).status_code == 401
        )
        assert client.get("/api/messages", params={"history": "1"}, headers=headers).status_code == 401
        assert client.delete("/api/messages", headers=headers).status_code == 401
    refused = client.post("/api/messages", json={"sender": "demo-1", "text": "läs"})
    assert refused.json() == {"error": refused.json()["error"]} and "token" in refused.json()["error"]
    assert refused.headers["www-authenticate"] == "Bearer"
    assert count(client, Message) == stored  # nothing written in someone else's name
    with client.websocket_connect("/api/ws") as ws:
        ws.send_json({"type": "message", "sender": "demo-1", "text": "läs"})
        assert ws.receive_json()["status"] == 401
    assert (
        client.get("/api/messages", params={"history": "1"}, headers={"Authorization": f"Bearer {token}"}).json()[
            "messages"
        ][0]["text"]
        == "hej"
    )


def test_a_token_reads_only_its_own_conversation(client: TestClient) -> None:
    post_chat(client, {"sender": "a", "text": "hej från a"})
    post_chat(client, {"sender": "b", "text": "hej från b"})
    texts = [
        m["text"]
        for m in client.get("/api/messages", params={"history": "1"}, headers=auth(client, "b")).json()["messages"]
    ]
    assert "hej från b" in texts and "hej från a" not in texts


def test_only_a_hash_of_the_token_is_stored(client: TestClient, tmp_path: Path) -> None:
    token = post_chat(client, {"sender": "h", "text": "hej"}).json()["token"]
    assert token.encode() not in (tmp_path / "gateway.db").read_bytes()
    wal = tmp_path / "gateway.db-wal"
    assert not wal.exists() or token.encode() not in wal.read_bytes()


def test_a_conversation_from_before_tokens_cannot_be_taken_over(client: TestClient) -> None:
    post_chat(client, {"sender": "old", "text": "hej"})

    async def forget_hash() -> None:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            await session.execute(update(Conversation).values(token_hash=None))
            await session.commit()

    client.portal.call(forget_hash)  # type: ignore[union-attr]
    assert client.post("/api/messages", json={"sender": "old", "text": "läs"}).status_code == 401
    assert (
        client.post("/api/messages", json={"sender": "old", "text": "läs"}, headers=auth(client, "old")).status_code
        == 401
    )


def test_api_responses_are_not_cached(client: TestClient) -> None:
    posted = post_chat(client, {"sender": "c", "text": "hej"})
    assert posted.headers["cache-control"] == "no-store"
    assert client.get("/api/messages", headers=auth(client, "c")).headers["cache-control"] == "no-store"


def test_the_chat_api_answers_any_site_by_default_and_staff_pages_none(client: TestClient) -> None:
    preflight = client.options(
        "/api/messages",
        headers={
            "Origin": "http://127.0.0.1:9300",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    texts = client.get("/api/widget/texts", params={"language": "ar"}, headers={"Origin": "http://localhost:9300"})
    assert texts.headers["access-control-allow-origin"] == "*"
    for path in ("/console/login", "/editor/login", "/console", "/healthz"):
        response = client.get(path, headers={"Origin": "http://localhost:9300"}, follow_redirects=False)
        assert "access-control-allow-origin" not in response.headers, path
    staff_preflight = client.options(
        "/console/login", headers={"Origin": "http://localhost:9300", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in staff_preflight.headers


def test_widget_origins_restrict_the_api_and_the_socket(restricted: TestClient) -> None:
    allowed = restricted.options("/api/messages", headers={"Origin": SITE, "Access-Control-Request-Method": "POST"})
    assert allowed.headers["access-control-allow-origin"] == SITE
    other = restricted.options(
        "/api/messages", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in other.headers
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        restricted.websocket_connect("/api/ws", headers={"Origin": "https://evil.example"}) as ws,
    ):
        ws.receive_json()
    assert refused.value.code == 4403
    with restricted.websocket_connect("/api/ws", headers={"Origin": "https://linkoping.se"}) as ws:
        ws.send_json({"type": "message", "sender": "ok", "text": "hej"})
        assert ws.receive_json()["type"] == "reply"


def test_neither_sender_nor_token_reaches_the_log(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)  # the level the gateway runs at
    token = post_chat(client, {"sender": "private-sender-id-77", "text": "hej"}).json()["token"]
    client.post("/api/messages", json={"sender": "private-sender-id-77", "text": "utan token"})
    client.get("/api/messages", headers=auth(client, "private-sender-id-77"))
    client.delete("/api/messages", headers=auth(client, "private-sender-id-77"))
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "private-sender-id-77" not in logged and token not in logged


def test_a_bad_origin_setting_stops_the_start(tmp_path: Path, knowledge_dir: Path) -> None:
    from lotsen.settings import SettingsError

    with pytest.raises(SettingsError, match="LOTSEN_WIDGET_ORIGINS"):
        settings_for(tmp_path, knowledge_dir, LOTSEN_WIDGET_ORIGINS="www.linkoping.se/chat")
