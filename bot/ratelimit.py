"""Per-sender sliding-window rate limit, so one client cannot flood the bot.

In memory, per gateway process: enough to stop a runaway client or script; a shared
limit across several gateways belongs with Redis (issue 9).
"""

from __future__ import annotations

import time
from collections import deque


class RateLimiter:
    def __init__(self, max_messages: int, window_seconds: float) -> None:
        self.max_messages = max_messages
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}

    def retry_after(self, key: str, now: float | None = None) -> float:
        """Record a hit and return 0, or return the seconds to wait if over the limit."""
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.max_messages:
            return self.window - (now - hits[0])
        hits.append(now)
        if len(self._hits) > 10_000:
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, hits in self._hits.items() if not hits or now - hits[-1] >= self.window]:
            del self._hits[key]
