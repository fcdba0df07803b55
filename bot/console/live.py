"""Live updates for open consoles: an in-process publish/subscribe of small events.

Events say what changed (`queue`, `message` of a conversation, `presence`), never the
content; a console that hears one fetches the part of the page that changed, rendered
(and escaped) by the server. One gateway process for now; several gateways need a shared
channel (Redis or PostgreSQL LISTEN/NOTIFY, issue 9).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

MAX_PENDING = 100


class Broker:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._online: Counter[str] = Counter()

    def subscribe(self, who: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(MAX_PENDING)
        self._subscribers.add(queue)
        self._online[who] += 1
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]], who: str) -> None:
        self._subscribers.discard(queue)
        self._online[who] -= 1
        if self._online[who] <= 0:
            del self._online[who]

    def online(self) -> list[str]:
        """Display names of staff with a console open."""
        return sorted(self._online)

    async def publish(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            if queue.full():  # a stalled console: it reloads on reconnect anyway
                continue
            queue.put_nowait(event)
