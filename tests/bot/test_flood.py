"""Flood control beyond one conversation: per client address (behind a trusted proxy
too), per office, per Telegram user, shared through Redis when it is there."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.app import create_app
from bot.db import Handoff, Message, Ticket
from bot.flood import HANDOFF_REQUEST, Budget, FloodGuard, client_address
from bot.handoff import notices
from lotsen.settings import Settings
from tests.helpers.chat import post_chat
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, SATURDAY, Clock
from tests.helpers.services import REDIS_URL, require_redis
from tests.helpers.trackers import tracker_store


def gateway(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, **extra: str) -> Iterator[TestClient]:
    settings = Settings.from_env(
        {
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
            "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "LOTSEN_RASA_URL": "http://rasa.test:5005",
            "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
            "LOTSEN_RASA_TRACKER_URL": tracker_store(tmp_path),
            **extra,
        }
    )
    with TestClient(create_app(settings, transport=backends.transport())) as client:
        client.app.state.handoff.clock = Clock(MONDAY_MORNING)  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    yield from gateway(tmp_path, knowledge_dir, backends)


def count(client: TestClient, model: Any) -> int:
    async def query() -> int:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)

    return client.portal.call(query)  # type: ignore[union-attr, no-any-return]


def stored_texts(client: TestClient) -> list[str]:
    async def query() -> list[str]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list(await session.scalars(select(Message.text)))

    return client.portal.call(query)  # type: ignore[union-attr, no-any-return]


def human(client: TestClient, sender: str, **headers: str) -> Any:
    body = {"sender": sender, "text": '/human{"municipality":"linkoping"}', "metadata": {"language": "en"}}
    return post_chat(client, body, headers=headers)


def test_forty_rotating_sender_ids_reach_the_queue_at_most_ten_times(client: TestClient) -> None:
    replies = [human(client, f"bot-{i}") for i in range(40)]
    assert count(client, Handoff) == 10  # the target: at most 10
    refused = [r.json()["messages"][0]["text"] for r in replies[10:] if r.status_code == 200]
    assert refused and set(refused) == {notices.asked_too_often("en").text}


def test_a_trusted_proxy_passes_on_the_real_address_and_a_client_cannot_fake_it(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends
) -> None:
    # The test client's peer is "testclient": as a trusted proxy, X-Forwarded-For names the user.
    for client in gateway(tmp_path, knowledge_dir, backends, LOTSEN_TRUSTED_PROXIES="testclient"):
        for i in range(12):
            human(client, f"a-{i}", **{"X-Forwarded-For": f"10.0.0.{i}"})
        assert count(client, Handoff) == 12  # twelve different people behind the proxy
    assert client_address("203.0.113.9", "10.0.0.1", trusted=["198.51.100.1"]) == "203.0.113.9"  # untrusted peer
    assert client_address("198.51.100.1", "6.6.6.6, 10.0.0.1", ["198.51.100.1"]) == "10.0.0.1"  # right-most wins
    assert client_address("198.51.100.1", "10.0.0.1, 198.51.100.2", ["198.51.100.1", "198.51.100.2"]) == "10.0.0.1"
    assert client_address(None, None, []) == "unknown"


def test_new_conversations_per_address_are_limited_with_a_reason(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends
) -> None:
    for client in gateway(tmp_path, knowledge_dir, backends, LOTSEN_ADDRESS_NEW_CONVERSATIONS_PER_HOUR="3"):
        statuses = [post_chat(client, {"sender": f"n-{i}", "text": "hej"}).status_code for i in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = post_chat(client, {"sender": "n-9", "text": "hej"})
        assert "new conversations" in refused.json()["error"] and int(refused.headers["retry-after"]) > 0
        assert post_chat(client, {"sender": "n-0", "text": "fortsätter"}).status_code == 200  # an existing one goes on


def test_a_full_office_queue_gets_a_polite_answer_with_the_phone(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends
) -> None:
    for client in gateway(tmp_path, knowledge_dir, backends, LOTSEN_OFFICE_QUEUE_CAP="2"):
        for i in range(2):
            assert human(client, f"q-{i}", **{"X-Forwarded-For": "x"}).json()["mode"] == "waiting"
        third = human(client, "q-3").json()
        assert third["mode"] == "bot"
        office = client.app.state.store.get().handoff_office("linkoping")  # type: ignore[attr-defined]
        assert third["messages"][0]["text"] == notices.queue_full("en", office.name, office.phone).text
        assert third["messages"][0]["buttons"][0]["payload"] == "/leave_message"
        assert count(client, Handoff) == 2


def test_messages_left_per_office_are_capped_and_the_text_is_kept(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends
) -> None:
    for client in gateway(tmp_path, knowledge_dir, backends, LOTSEN_OFFICE_MESSAGES_PER_HOUR="2"):
        client.app.state.handoff.clock = Clock(SATURDAY)  # type: ignore[attr-defined]
        answers = []
        for i in range(3):
            sender = f"left-{i}"
            human(client, sender)
            post_chat(client, {"sender": sender, "text": "/leave_message"})
            answers.append(post_chat(client, {"sender": sender, "text": f"Ring mig, {i}"}).json())
        assert count(client, Ticket) == 2
        office = client.app.state.store.get().handoff_office("linkoping")  # type: ignore[attr-defined]
        assert answers[2]["messages"][0]["text"] == notices.messages_full("en", office.name, office.phone).text
        assert answers[2]["mode"] == "bot"
        assert "Ring mig, 2" in stored_texts(client)  # not passed on, but not lost either


async def test_budgets_are_shared_through_redis_by_several_gateways() -> None:
    require_redis()
    key = f"test-{uuid.uuid4().hex}"
    budgets = {HANDOFF_REQUEST: Budget(3, 60)}
    a, b = FloodGuard(budgets, REDIS_URL), FloodGuard(budgets, REDIS_URL)
    try:
        spent = [await (a if i % 2 else b).spend(HANDOFF_REQUEST, key) for i in range(4)]
        assert spent[:3] == [0.0, 0.0, 0.0] and spent[3] > 0
    finally:
        await a.close()
        await b.close()


async def test_without_redis_each_gateway_still_counts() -> None:
    guard = FloodGuard({HANDOFF_REQUEST: Budget(2, 60)}, "redis://127.0.0.1:1/0")
    try:
        spent = [await guard.spend(HANDOFF_REQUEST, "k") for _ in range(3)]
        assert spent[:2] == [0.0, 0.0] and spent[2] > 0
    finally:
        await guard.close()


def test_concurrent_spending_is_counted_exactly() -> None:
    async def burst() -> list[float]:
        guard = FloodGuard({HANDOFF_REQUEST: Budget(5, 60)})
        return await asyncio.gather(*(guard.spend(HANDOFF_REQUEST, "same") for _ in range(20)))

    assert sum(1 for wait in asyncio.run(burst()) if wait == 0) == 5
