"""Several Rasa servers behind one gateway: each conversation keeps to one server and
moves to another when its own cannot be reached — but never re-sends a message that
may still be answered (a read timeout)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from starlette.datastructures import Secret

from bot.backends import BackendUnavailableError, RasaClient

SERVERS = "http://rasa-a:5005,http://rasa-b:5005"


def client(handler: httpx.MockTransport) -> RasaClient:
    return RasaClient(SERVERS, Secret("t"), httpx.AsyncClient(transport=handler), startup_grace=0)


def answering(down: set[str], seen: list[str], timeout_on: frozenset[str] = frozenset()) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        seen.append(host)
        if host in down:
            raise httpx.ConnectError("connection refused", request=request)
        if host in timeout_on:
            raise httpx.ReadTimeout("slow", request=request)
        if request.url.path == "/status":
            return httpx.Response(200, json={})
        return httpx.Response(200, json=[{"recipient_id": "x", "text": f"answered by {host}"}])

    return httpx.MockTransport(handle)


async def test_each_conversation_keeps_to_one_server_and_both_are_used() -> None:
    seen: list[str] = []
    rasa = client(answering(set(), seen))
    firsts = {rasa.servers_for(f"web:user{i}")[0] for i in range(20)}
    assert firsts == {"http://rasa-a:5005", "http://rasa-b:5005"}
    for _ in range(3):
        await rasa.send("web:amal", "hej", {})
    assert len(set(seen)) == 1


@pytest.mark.parametrize("sender", ["web:amal", "web:bo", "telegram:42"])
async def test_a_server_that_refuses_connections_is_skipped(sender: str) -> None:
    seen: list[str] = []
    rasa = client(answering({"rasa-a"}, seen))
    reply = await rasa.send(sender, "hej", {})
    assert reply[0]["text"] == "answered by rasa-b"
    assert await rasa.state() == "ok"


async def test_all_servers_down_is_reported_not_hidden() -> None:
    rasa = client(answering({"rasa-a", "rasa-b"}, []))
    with pytest.raises(BackendUnavailableError) as raised:
        await rasa.send("web:amal", "hej", {})
    assert raised.value.reason == "down"
    assert await rasa.state() == "down"


async def test_a_slow_server_is_not_asked_twice() -> None:
    seen: list[str] = []
    preferred = RasaClient(SERVERS, Secret("t"), httpx.AsyncClient()).servers_for("web:amal")[0]
    rasa = client(answering(set(), seen, timeout_on=frozenset({httpx.URL(preferred).host})))
    with pytest.raises(BackendUnavailableError) as raised:
        await rasa.send("web:amal", "hej", {})
    assert raised.value.reason == "timeout" and len(seen) == 1


async def test_at_most_concurrency_messages_are_at_one_rasa_server_first_come_first_served() -> None:
    in_flight, most, started = 0, 0, []

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        started.append(json.loads(request.content)["message"])
        await asyncio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "ok"}])

    rasa = RasaClient("http://rasa-a:5005", Secret("t"), httpx.AsyncClient(transport=httpx.MockTransport(handle)))
    rasa.concurrency = 2
    answers = await asyncio.gather(*(rasa.send(f"web:{i}", f"message {i}", {}) for i in range(7)))
    assert all(answer == [{"recipient_id": "x", "text": "ok"}] for answer in answers)
    assert most == 2
    assert started == [f"message {i}" for i in range(7)]  # in the order they came
