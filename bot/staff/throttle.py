"""Slows down password guessing without locking out an office.

Only *failed* attempts count — a wrong password, an unknown or disabled account, a wrong
current password on the password page — per username and per client address, in a
sliding window. A successful sign-in is never counted, so a whole office behind one NAT
address signs in as often as it likes; after `PER_USERNAME` failures for one username,
or `PER_ADDRESS` failures from one address, the next attempt waits (even with the right
password) until the oldest failure leaves the window. A successful sign-in clears its
username's failures.

The address is the one the flood limits use (`bot.flood.client_address`: the TCP peer,
or behind a proxy listed in `LOTSEN_TRUSTED_PROXIES` the client it names). In memory, per
gateway process: with several gateways a guesser gets this many tries on each of them.
"""

from __future__ import annotations

import time
from collections import deque

PER_USERNAME = 5
PER_ADDRESS = 20  # a shared office address: several people may mistype in five minutes
WINDOW_SECONDS = 300.0
MAX_KEYS = 10_000


class FailedSignIns:
    def __init__(
        self, per_username: int = PER_USERNAME, per_address: int = PER_ADDRESS, window: float = WINDOW_SECONDS
    ) -> None:
        self.limits = {"user": per_username, "ip": per_address}
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    @staticmethod
    def _keys(username: str, address: str) -> dict[str, str]:
        return {"user": f"user:{username.strip().lower()[:64]}", "ip": f"ip:{address}"}

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def retry_after(self, username: str, address: str, now: float | None = None) -> float:
        """0 if an attempt may be made now, else the seconds to wait. Records nothing."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        for kind, key in self._keys(username, address).items():
            failures = self._recent(key, now)
            if len(failures) >= self.limits[kind]:
                wait = max(wait, self.window - (now - failures[-self.limits[kind]]))
        return wait

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in self._keys(username, address).values():
            failures = self._recent(key, now)
            failures.append(now)
            self._failures[key] = failures
        if len(self._failures) > MAX_KEYS:
            for key in [k for k, v in self._failures.items() if not v or now - v[-1] >= self.window]:
                del self._failures[key]

    def succeeded(self, username: str) -> None:
        self._failures.pop(self._keys(username, "")["user"], None)
