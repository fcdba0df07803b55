"""The load generator: N simulated conversations at once (asyncio + httpx), each sending
its turns one after another and waiting for each reply, for a fixed time.

Measured per message: latency; counted: errors (HTTP or network), lost replies (a 200
with no message), and afterwards duplicated or missing stored messages (the gateway's
history for each sender must hold exactly the user messages sent)."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from lotsen.bench.workload import conversation

Send = Callable[[httpx.AsyncClient, str, str], Awaitable[dict[str, Any] | list[Any]]]


@dataclass
class LevelResult:
    target: str
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    lost: int = 0
    duplicated: int = 0
    missing: int = 0

    @property
    def messages(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "concurrency": self.concurrency,
            "messages": self.messages,
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else None,
            "errors": self.errors,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "missing": self.missing,
        }


class GatewaySender:
    """Chats through the gateway as the widget does: the first reply's token is kept per
    sender and sent as a bearer token with every later message (and the history check)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.tokens: dict[str, str] = {}

    def headers(self, sender: str) -> dict[str, str]:
        token = self.tokens.get(sender)
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def __call__(self, client: httpx.AsyncClient, sender: str, text: str) -> dict[str, Any]:
        response = await client.post(
            f"{self.base_url}/api/messages", json={"sender": sender, "text": text}, headers=self.headers(sender)
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if "token" in body:
            self.tokens[sender] = body["token"]
        return body


def gateway_sender(base_url: str) -> GatewaySender:
    return GatewaySender(base_url)


def rasa_sender(rasa_url: str, token: str) -> Send:
    async def send(client: httpx.AsyncClient, sender: str, text: str) -> list[Any]:
        response = await client.post(
            f"{rasa_url}/webhooks/rest/webhook",
            params={"token": token},
            json={"sender": sender, "message": text, "metadata": {"language": "en"}},
        )
        response.raise_for_status()
        body: list[Any] = response.json()
        return body

    return send


def _replies(body: dict[str, Any] | list[Any]) -> int:
    return len(body.get("messages", [])) if isinstance(body, dict) else len(body)


async def run_level(
    target: str, send: Send, concurrency: int, seconds: float, seed: int = 7, history_url: str | None = None
) -> LevelResult:
    """`concurrency` conversations for `seconds`; returns the measurements."""
    result = LevelResult(target, concurrency, seconds)
    attempted: dict[str, int] = {}
    answered: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency + 10)

    async def user(index: int, client: httpx.AsyncClient) -> None:
        rng = random.Random(seed * 1000 + index)
        while time.monotonic() < deadline:
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for text in conversation(rng):
                if time.monotonic() >= deadline:
                    return
                started = time.perf_counter()
                attempted[sender] = attempted.get(sender, 0) + 1
                try:
                    body = await send(client, sender, text)
                except (httpx.HTTPError, ValueError):
                    result.errors += 1
                    continue
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                answered[sender] = answered.get(sender, 0) + 1
                if _replies(body) == 0:
                    result.lost += 1

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(user(i, client) for i in range(concurrency)))
        result.seconds = time.monotonic() - started
        if history_url and isinstance(send, GatewaySender):
            await _check_history(client, send, attempted, answered, result)
    return result


async def _check_history(
    client: httpx.AsyncClient,
    gateway: GatewaySender,
    attempted: dict[str, int],
    answered: dict[str, int],
    result: LevelResult,
) -> None:
    """Every answered user message is stored, and nothing is stored twice."""
    for sender, tries in attempted.items():
        if not gateway.tokens.get(sender):  # not even the first message got through
            result.missing += answered.get(sender, 0)
            continue
        response = await client.get(
            f"{gateway.base_url}/api/messages", params={"history": "1"}, headers=gateway.headers(sender)
        )
        stored = sum(1 for m in response.json()["messages"] if m["author"] == "user")
        result.duplicated += max(0, stored - tries)
        result.missing += max(0, answered.get(sender, 0) - stored)
