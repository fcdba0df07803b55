"""The gateway's event bus: publish/subscribe of small events, across gateways via Redis.

Events say what changed (`queue`, `message` of a conversation, `presence`, `deliver`
these stored messages, `outbox` has work), never the content; a console that hears one
fetches the part of the page that changed, rendered (and escaped) by the server.

One gateway: events go from publisher to subscribers in process. Several gateways
(`LOTSEN_REDIS_URL` set): every event is also published on a Redis channel and each
gateway hands the others' events to its own subscribers, so a console connected to
gateway A sees a message that arrived at gateway B. Staff presence is shared through
short-lived Redis keys. When Redis is down, each gateway keeps serving its own consoles and
catches up (a `resync` event makes consoles reload) when Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import Counter
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.tasks import stop_tasks

log = logging.getLogger(__name__)
MAX_PENDING = 100
CHANNEL = "lotsen:events"
PRESENCE_PREFIX = "lotsen:presence:"
PRESENCE_SECONDS = 30  # a gateway that stops refreshing drops out of the presence list
RECONNECT_MAX_SECONDS = 10.0


class Broker:
    def __init__(self, redis_url: str | None = None) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._online: Counter[str] = Counter()
        self.instance = secrets.token_hex(6)
        self._redis: Redis | None = Redis.from_url(redis_url, socket_timeout=5) if redis_url else None
        self._tasks: list[asyncio.Task[None]] = []

    # Local subscribers ------------------------------------------------------------------

    def subscribe(self, staff: str | None = None) -> asyncio.Queue[dict[str, Any]]:
        """A queue of events; `staff` (a display name) counts the subscriber as online."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(MAX_PENDING)
        self._subscribers.add(queue)
        if staff is not None:
            self._online[staff] += 1
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]], staff: str | None = None) -> None:
        self._subscribers.discard(queue)
        if staff is not None:
            self._online[staff] -= 1
            if self._online[staff] <= 0:
                del self._online[staff]

    def _fan_out(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            if queue.full():  # a stalled console: it reloads on reconnect anyway
                continue
            queue.put_nowait(event)

    async def publish(self, event: dict[str, Any]) -> None:
        self._fan_out(event)
        if self._redis is None:
            return
        if event.get("type") == "presence":
            await self._refresh_presence()
        try:
            await self._redis.publish(CHANNEL, json.dumps({"origin": self.instance, "event": event}))
        except RedisError as exc:  # this gateway's own consoles already have it
            log.warning("live event not shared with other gateways (Redis: %s)", exc)

    # Across gateways ---------------------------------------------------------------------

    async def online(self) -> list[str]:
        """Display names of staff with a console open, on any gateway."""
        names = set(self._online)
        if self._redis is not None:
            try:
                keys = [key async for key in self._redis.scan_iter(f"{PRESENCE_PREFIX}*")]
                for raw in await self._redis.mget(keys) if keys else []:
                    if raw:
                        names.update(json.loads(raw))
            except RedisError as exc:
                log.warning("staff presence from other gateways unknown (Redis: %s)", exc)
        return sorted(names)

    async def _refresh_presence(self) -> None:
        assert self._redis is not None
        try:
            await self._redis.set(
                f"{PRESENCE_PREFIX}{self.instance}", json.dumps(sorted(self._online)), ex=PRESENCE_SECONDS
            )
        except RedisError as exc:
            log.warning("staff presence not shared (Redis: %s)", exc)

    async def _presence_forever(self) -> None:
        while True:
            await self._refresh_presence()
            await asyncio.sleep(PRESENCE_SECONDS / 3)

    async def _listen_forever(self) -> None:
        """Other gateways' events to local subscribers; reconnects with back-off."""
        assert self._redis is not None
        delay, lost = 0.5, False
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    if lost:  # events were missed meanwhile: consoles reload what they show
                        log.info("live events from other gateways again")
                        self._fan_out({"type": "resync"})
                    delay, lost = 0.5, False
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        data = json.loads(message["data"])
                        if data.get("origin") != self.instance:
                            self._fan_out(data["event"])
            except (RedisError, OSError) as exc:
                if not lost:
                    log.warning("live events from other gateways interrupted (Redis: %s); retrying", exc)
                lost = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def start(self) -> None:
        if self._redis is not None:
            self._tasks = [
                asyncio.create_task(self._listen_forever()),
                asyncio.create_task(self._presence_forever()),
            ]

    async def stop(self) -> None:
        await stop_tasks(self._tasks)
        if self._redis is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._redis.delete(f"{PRESENCE_PREFIX}{self.instance}")
            await self._redis.aclose()
