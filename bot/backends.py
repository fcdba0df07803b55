"""HTTP clients for the two servers behind the gateway: Rasa and the action server.

Failures become one exception with a reason the gateway can explain to a person:
`starting` (Rasa has not answered yet since the gateway started, or is loading its
model), `down` (it answered before and now does not) or `timeout`.

At most `LOTSEN_RASA_CONCURRENCY` messages are at one Rasa server at a time; the rest wait
here, first come first served. A Rasa process works on one message at a time anyway, and
fifty requests at once made it and httpx's connection pool (which scans every connection
for every request) spend more CPU per message, while some waited far longer than others.

Several Rasa servers (`LOTSEN_RASA_URL` with commas) share one tracker store and a Redis
lock store, so any of them can answer any conversation. Each conversation prefers one
server (a stable hash of its id, which spreads the load and keeps its turns in order on
one process), and moves to the next when that one cannot be reached.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.datastructures import Secret

log = logging.getLogger(__name__)

State = Literal["ok", "starting", "down"]
PROBE_TIMEOUT = 2.0
# The request never reached a Rasa process, or the process died while answering: another
# server may take the message. (A read timeout is not one: the first may still answer.)
FAILOVER_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.RemoteProtocolError, httpx.ReadError)


class BackendUnavailableError(Exception):
    def __init__(self, reason: Literal["starting", "down", "timeout"], detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class RasaClient:
    """Talks to Rasa's REST channel and its HTTP API (token as a query parameter).

    `base_url` is one URL or several separated by commas.
    """

    base_url: str
    token: Secret
    http: httpx.AsyncClient
    timeout: float = 20.0
    startup_grace: float = 120.0
    concurrency: int = 8
    started_at: float = field(default_factory=time.monotonic)
    seen_up: bool = False
    _slots: dict[str, asyncio.Semaphore] = field(default_factory=dict, repr=False)

    def _not_answering(self) -> Literal["starting", "down"]:
        """Never seen since we started, and still within the grace period: it is loading."""
        if not self.seen_up and time.monotonic() - self.started_at < self.startup_grace:
            return "starting"
        return "down"

    @functools.cached_property
    def servers(self) -> list[str]:
        """Parsed once: it is read for every message."""
        return [url.strip().rstrip("/") for url in self.base_url.split(",") if url.strip()]

    def servers_for(self, sender_id: str) -> list[str]:
        """All servers, starting with this conversation's own."""
        servers = self.servers
        first = zlib.crc32(sender_id.encode()) % len(servers)
        return servers[first:] + servers[:first]

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Post one user message; return Rasa's bot messages (possibly empty)."""
        failure: BackendUnavailableError | None = None
        for server in self.servers_for(sender_id):
            try:
                return await self._send_to(server, sender_id, text, metadata)
            except BackendUnavailableError as exc:
                if not isinstance(exc.__cause__, FAILOVER_ERRORS) and exc.reason != "starting":
                    raise
                log.warning("rasa %s cannot take the message (%s); trying the next server", server, exc)
                failure = exc
        assert failure is not None
        raise failure

    async def _send_to(self, server: str, sender_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        slots = self._slots.setdefault(server, asyncio.Semaphore(self.concurrency))
        try:
            async with slots:
                response = await self.http.post(
                    f"{server}/webhooks/rest/webhook",
                    json={"sender": sender_id, "message": text, "metadata": metadata},
                    timeout=self.timeout,
                )
        except httpx.TimeoutException as exc:
            if isinstance(exc, httpx.ConnectTimeout):
                raise BackendUnavailableError(self._not_answering(), "connect timeout") from exc
            raise BackendUnavailableError("timeout", f"no reply within {self.timeout:.0f} s") from exc
        except httpx.TransportError as exc:
            raise BackendUnavailableError(self._not_answering(), type(exc).__name__) from exc
        if response.status_code in (409, 503):
            raise BackendUnavailableError("starting", f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise BackendUnavailableError("down", f"HTTP {response.status_code}: {response.text[:200]}")
        self.seen_up = True
        body = response.json()
        return body if isinstance(body, list) else []

    async def state(self) -> State:
        """`ok` when at least one server answers: the gateway can still serve everyone."""
        states = [await self._state_of(server) for server in self.servers]
        if "ok" in states:
            return "ok"
        return "starting" if "starting" in states else "down"

    async def _state_of(self, server: str) -> State:
        try:
            response = await self.http.get(f"{server}/status", params={"token": str(self.token)}, timeout=PROBE_TIMEOUT)
        except httpx.HTTPError:
            return self._not_answering()
        if response.status_code == 200:
            self.seen_up = True
            return "ok"
        if response.status_code in (409, 503):
            return "starting"
        log.warning("rasa %s /status answered HTTP %s", server, response.status_code)
        return "down"


@dataclass
class ActionServerClient:
    """Only a health probe: Rasa, not the gateway, calls the actions."""

    base_url: str
    http: httpx.AsyncClient

    async def state(self) -> State:
        try:
            response = await self.http.get(f"{self.base_url}/health", timeout=PROBE_TIMEOUT)
        except httpx.HTTPError:
            return "down"
        return "ok" if response.status_code == 200 else "down"
