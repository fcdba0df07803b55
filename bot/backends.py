"""HTTP clients for the two servers behind the gateway: Rasa and the action server.

Failures become one exception with a reason the gateway can explain to a person:
`starting` (Rasa has not answered yet since the gateway started, or is loading its
model), `down` (it answered before and now does not) or `timeout`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from starlette.datastructures import Secret

log = logging.getLogger(__name__)

State = Literal["ok", "starting", "down"]
PROBE_TIMEOUT = 2.0


class BackendUnavailableError(Exception):
    def __init__(self, reason: Literal["starting", "down", "timeout"], detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass
class RasaClient:
    """Talks to Rasa's REST channel and its HTTP API (token as a query parameter)."""

    base_url: str
    token: Secret
    http: httpx.AsyncClient
    timeout: float = 20.0
    startup_grace: float = 120.0
    started_at: float = field(default_factory=time.monotonic)
    seen_up: bool = False

    def _not_answering(self) -> Literal["starting", "down"]:
        """Never seen since we started, and still within the grace period: it is loading."""
        if not self.seen_up and time.monotonic() - self.started_at < self.startup_grace:
            return "starting"
        return "down"

    async def send(self, sender_id: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        """Post one user message; return Rasa's bot messages (possibly empty)."""
        try:
            response = await self.http.post(
                f"{self.base_url}/webhooks/rest/webhook",
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
        try:
            response = await self.http.get(
                f"{self.base_url}/status", params={"token": str(self.token)}, timeout=PROBE_TIMEOUT
            )
        except httpx.HTTPError:
            return self._not_answering()
        if response.status_code == 200:
            self.seen_up = True
            return "ok"
        if response.status_code in (409, 503):
            return "starting"
        log.warning("rasa /status answered HTTP %s", response.status_code)
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
