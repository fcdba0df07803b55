"""Live events across gateways through the local Redis: a console on gateway A hears an
event published on gateway B, staff presence is shared, a Telegram push is claimed by
exactly one gateway, and without Redis a gateway still serves its own consoles."""

from __future__ import annotations

import asyncio

from bot.events import Broker
from tests.helpers.services import require_redis


async def test_an_event_published_on_one_gateway_reaches_the_others_once() -> None:
    url = require_redis()
    a, b = Broker(url), Broker(url)
    await a.start()
    await b.start()
    try:
        on_a, on_b = a.subscribe("Sara"), b.subscribe()
        await asyncio.sleep(0.3)  # both listening
        await b.publish({"type": "message", "conversation": 7})
        assert await asyncio.wait_for(on_a.get(), 5) == {"type": "message", "conversation": 7}
        assert await asyncio.wait_for(on_b.get(), 5) == {"type": "message", "conversation": 7}
        await asyncio.sleep(0.3)
        assert on_b.empty(), "the publishing gateway must not hear its own event twice"

        await a.publish({"type": "presence"})
        assert "Sara" in await b.online()
    finally:
        await a.stop()
        await b.stop()
    assert "Sara" not in await Broker(url).online()  # a stopped gateway's staff are gone


async def test_without_redis_a_gateway_serves_its_own_consoles() -> None:
    down = Broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    await down.start()
    try:
        queue = down.subscribe("Olle")
        await down.publish({"type": "queue"})
        assert queue.get_nowait() == {"type": "queue"}
        assert await down.online() == ["Olle"]
    finally:
        await down.stop()


async def test_presence_lists_staff_only_not_channels() -> None:
    broker = Broker()
    broker.subscribe()  # the Telegram channel, a widget socket
    broker.subscribe("Sara")
    assert await broker.online() == ["Sara"]
