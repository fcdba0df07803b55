"""Fake Rasa and action servers at the gateway's HTTP edge (an httpx transport).

Each fake records what it received and answers as the real server would, so gateway
tests exercise the real client code, status handling and error mapping. Rasa can answer
one message differently (`replies_for`) or slowly (`delays`, an async sleep: httpx's
MockTransport awaits an async answer, so the gateway's event loop keeps running).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class FakeBackends:
    rasa_replies: list[dict[str, Any]] = field(default_factory=lambda: [{"recipient_id": "x", "text": "hello"}])
    rasa_mode: str = "up"  # up | refused | loading | timeout | error
    actions_up: bool = True
    received: list[dict[str, Any]] = field(default_factory=list)
    replies_for: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # message text → Rasa's answer
    delays: dict[str, float] = field(default_factory=dict)  # message text → seconds Rasa takes

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.port == 5055:
            if not self.actions_up:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(200, json={"status": "ok"})
        if self.rasa_mode == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if self.rasa_mode == "timeout":
            raise httpx.ReadTimeout("read timeout", request=request)
        if self.rasa_mode == "loading":
            return httpx.Response(409, json={"message": "No agent loaded"})
        if self.rasa_mode == "error":
            return httpx.Response(500, json={"message": "boom"})
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz"})
        if request.url.path == "/webhooks/rest/webhook":
            body = json.loads(request.content)
            self.received.append(body)
            return httpx.Response(200, json=self.replies_for.get(str(body.get("message")), self.rasa_replies))
        return httpx.Response(404)

    def _delay(self, request: httpx.Request) -> float:
        if not self.delays or request.url.port == 5055 or request.url.path != "/webhooks/rest/webhook":
            return 0.0
        return self.delays.get(str(json.loads(request.content).get("message")), 0.0)

    async def _slowly(self, request: httpx.Request, seconds: float) -> httpx.Response:
        await asyncio.sleep(seconds)
        return self.handler(request)

    def dispatch(self, request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        """The answer, or (for a delayed message) an awaitable one; only async clients
        (the gateway's) may meet a delay."""
        seconds = self._delay(request)
        return self._slowly(request, seconds) if seconds else self.handler(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.dispatch)
