"""Flood control beyond one conversation: budgets per client address, per office and per
Telegram user, shared by every gateway through Redis when it is configured.

A budget is a number of events per window (`Budget`). Spending one on a key returns 0
when it is allowed, or the seconds until the window ends. With Redis, windows are fixed
(`INCR` + `EXPIRE`), so several gateways count together; without Redis — or while Redis
is unreachable — each gateway counts in memory with a sliding window (`RateLimiter`).
Counting is never a reason to refuse a person: when in doubt, the message goes through.

The client address is the TCP peer's, or — only when that peer is a trusted proxy
(`LOTSEN_TRUSTED_PROXIES`) — the right-most address in `X-Forwarded-For` that is not a
trusted proxy itself, so a client cannot choose its own address by sending the header.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.ratelimit import RateLimiter
from lotsen.settings import Settings

log = logging.getLogger(__name__)
PREFIX = "lotsen:budget:"

MESSAGE = "message"  # per conversation (its token) or Telegram chat
ADDRESS_MESSAGES = "address_messages"
NEW_CONVERSATION = "new_conversation"
HANDOFF_REQUEST = "handoff_request"
LEFT_MESSAGE = "left_message"
OFFICE_LEFT_MESSAGES = "office_left_messages"
SLOW_DOWN_NOTICE = "slow_down_notice"  # one "slow down" per window to a throttled sender


@dataclass(frozen=True)
class Budget:
    limit: int
    window: float  # seconds


def budgets_from(settings: Settings) -> dict[str, Budget]:
    return {
        MESSAGE: Budget(settings.rate_limit_messages, settings.rate_limit_window),
        ADDRESS_MESSAGES: Budget(settings.address_messages_per_minute, 60),
        NEW_CONVERSATION: Budget(settings.address_new_conversations_per_hour, 3600),
        HANDOFF_REQUEST: Budget(settings.address_handoffs_per_hour, 3600),
        LEFT_MESSAGE: Budget(settings.address_left_messages_per_hour, 3600),
        OFFICE_LEFT_MESSAGES: Budget(settings.office_messages_per_hour, 3600),
        SLOW_DOWN_NOTICE: Budget(1, settings.rate_limit_window),
    }


def client_address(peer: str | None, forwarded_for: str | None, trusted: Iterable[str]) -> str:
    """The address to count a request against (see the module docstring)."""
    trusted_set = set(trusted)
    address = peer or "unknown"
    if address not in trusted_set or not forwarded_for:
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",") if part.strip()]):
        if hop not in trusted_set:
            return hop[:64]
    return address


class FloodGuard:
    def __init__(self, budgets: Mapping[str, Budget], redis_url: str | None = None) -> None:
        self.budgets = dict(budgets)
        self._local = {name: RateLimiter(b.limit, b.window) for name, b in self.budgets.items()}
        self._redis: Redis | None = Redis.from_url(redis_url, socket_timeout=2) if redis_url else None
        self._redis_failed = False

    async def spend(self, budget: str, key: str) -> float:
        """Count one event; 0 if it is within the budget, else seconds until it is."""
        if self._redis is not None:
            try:
                wait = await self._spend_shared(budget, key)
            except (RedisError, OSError) as exc:
                if not self._redis_failed:
                    log.warning("flood limits counted per gateway while Redis is away (%s)", exc)
                self._redis_failed = True
            else:
                self._redis_failed = False
                return wait
        return self._local[budget].retry_after(f"{budget}:{key}")

    async def _spend_shared(self, budget: str, key: str) -> float:
        assert self._redis is not None
        rule = self.budgets[budget]
        now = time.time()
        window = math.floor(now / rule.window)
        name = f"{PREFIX}{budget}:{key}:{window}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, math.ceil(rule.window) + 1)
            count, _ = await pipe.execute()
        if int(count) <= rule.limit:
            return 0.0
        return max(0.5, (window + 1) * rule.window - now)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
