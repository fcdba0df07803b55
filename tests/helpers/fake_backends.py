"""Fake Rasa and action servers at the gateway's HTTP edge (an httpx transport).

Each fake records what it received and answers as the real server would, so gateway
tests exercise the real client code, status handling and error mapping.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class FakeBackends:
    rasa_replies: list[dict[str, Any]] = field(default_factory=lambda: [{"recipient_id": "x", "text": "hello"}])
    rasa_mode: str = "up"  # up | refused | loading | timeout | error
    actions_up: bool = True
    received: list[dict[str, Any]] = field(default_factory=list)

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
            self.received.append(json.loads(request.content))
            return httpx.Response(200, json=self.rasa_replies)
        return httpx.Response(404)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
