"""The widget's WebSocket, `WS /api/ws`: the chat API's live twin.

No id or token travels in the URL. The first frame proves the conversation —
`{"type": "auth", "token": …}` — or starts a new one: a message frame with a `sender`,
whose reply frame carries the new token. Then message frames (`{"type": "message",
"text", "metadata"}`) go through the same validation, rate limit and turn pipeline as
`POST /api/messages`, and staff replies and notices for this conversation are pushed as
the outbox announces them. Bad input gets `{"type": "error", "status", "error"}`, never
a close; a wrong token closes with 4401, a page from a foreign origin with 4403.

A socket the client has sent nothing on for `IDLE_SECONDS` is closed with 4408 (the
widget connects again), and one client address (an IPv6 /64) may hold at most
`MAX_SOCKETS_PER_ADDRESS` sockets on a gateway: the next is closed with 4429 at once
(the widget then polls over HTTP, which the flood limits cover).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.channels.admission import address_of, admit, count_first_message
from bot.channels.base import AccessDeniedError
from bot.channels.origins import origin_allowed
from bot.channels.web import CHANNEL, MAX_BODY_BYTES, parse_message
from bot.db import Conversation
from bot.errors import ApiError
from bot.repository import find_by_token, message_json, messages_by_id

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_IDLE = 4408
CLOSE_TOO_MANY = 4429
IDLE_SECONDS = 600.0
MAX_SOCKETS_PER_ADDRESS = 20


@dataclass
class Bound:
    """The conversation this socket has proven, once it has."""

    conversation_id: int | None = None
    sender: str | None = None
    token: str | None = None


async def chat_socket(websocket: WebSocket) -> None:
    settings = websocket.app.state.settings
    if not origin_allowed(websocket.headers.get("origin"), settings.widget_origins):
        await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN, reason="this site may not embed the chat")
        return
    await websocket.accept()
    key = _address_key(address_of(websocket.client.host if websocket.client else None, websocket.headers, settings))
    sockets = _open_sockets(websocket)
    if sockets[key] >= MAX_SOCKETS_PER_ADDRESS:
        await websocket.close(code=CLOSE_TOO_MANY, reason="too many open chats from this address")
        return
    sockets[key] += 1
    broker = websocket.app.state.broker
    events = broker.subscribe()
    bound = Bound()
    try:
        # Whichever ends first (the client left, the socket was closed) ends the other. An
        # anyio task group, so a cancellation from the server reaches both loops cleanly.
        async with anyio.create_task_group() as group:

            async def until_done(loop: Callable[[], Awaitable[None]]) -> None:
                with contextlib.suppress(WebSocketDisconnect):
                    await loop()
                group.cancel_scope.cancel()

            group.start_soon(until_done, lambda: _receive(websocket, bound))
            group.start_soon(until_done, lambda: _push(websocket, bound, events))
    finally:
        broker.unsubscribe(events)
        sockets[key] -= 1
        if sockets[key] <= 0:
            del sockets[key]


def _open_sockets(websocket: WebSocket) -> Counter[str]:
    """Open sockets per client address on this gateway."""
    state = websocket.app.state
    counts: Counter[str] | None = getattr(state, "open_sockets", None)
    if counts is None:
        counts = state.open_sockets = Counter()
    return counts


def _address_key(address: str) -> str:
    """An IPv4 address, or an IPv6 address's /64 (one household or host has a whole /64)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _frame(raw: str) -> dict[str, Any]:
    if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
        raise ApiError(413, f"message is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        raise ApiError(400, "message must be valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "message must be a JSON object")
    return body


async def _receive(websocket: WebSocket, bound: Bound) -> None:
    while True:
        try:
            message = await asyncio.wait_for(websocket.receive(), IDLE_SECONDS)
        except asyncio.TimeoutError:
            minutes = max(1, round(IDLE_SECONDS / 60))
            await websocket.close(code=CLOSE_IDLE, reason=f"nothing sent for {minutes} min")
            return
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        raw = message.get("text")
        try:
            if raw is None:
                raise ApiError(400, "send JSON in text frames")
            body = _frame(raw)
            if body.get("type") == "auth":
                if not await _authenticate(websocket, bound, body.get("token")):
                    return
                continue
            await _converse(websocket, bound, body)
        except ApiError as exc:
            await websocket.send_json({"type": "error", "status": exc.status, "error": exc.message})


async def _authenticate(websocket: WebSocket, bound: Bound, token: object) -> bool:
    async with websocket.app.state.db.sessions() as session:
        # Tokens are URL-safe ASCII: anything else (a number, a lone surrogate) is no token.
        candidate = token if isinstance(token, str) and token.isascii() else None
        conversation = await find_by_token(session, CHANNEL, candidate)
    if conversation is None:
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="unknown or missing token")
        return False
    bound.conversation_id, bound.sender, bound.token = conversation.id, conversation.sender, str(token)
    language = conversation.language or websocket.app.state.settings.default_language
    await websocket.send_json({"type": "auth", "ok": True, "mode": conversation.mode, "language": language})
    return True


async def _converse(websocket: WebSocket, bound: Bound, body: dict[str, Any]) -> None:
    fields = {key: body[key] for key in ("text", "metadata", "sender") if key in body}
    if bound.sender is not None:
        fields["sender"] = bound.sender  # a proven socket speaks for its own conversation only
    state = websocket.app.state
    address = address_of(websocket.client.host if websocket.client else None, websocket.headers, state.settings)
    incoming = parse_message(json.dumps(fields).encode("utf-8"), bound.token, address)
    await admit(state.flood, incoming)
    try:
        reply = await state.pipeline.handle(incoming)
    except AccessDeniedError:
        raise ApiError(401, "this conversation needs its token: send {'type': 'auth', 'token': …} first") from None
    await count_first_message(state.flood, reply)
    if reply.token is not None:  # a new conversation: this socket now speaks for it
        bound.conversation_id, bound.sender, bound.token = reply.conversation_id, reply.sender, reply.token
    await websocket.send_json({"type": "reply", **reply.to_json()})


async def _push(websocket: WebSocket, bound: Bound, events: asyncio.Queue[dict[str, Any]]) -> None:
    """Staff replies and notices for this conversation, as soon as the outbox announces them."""
    db = websocket.app.state.db
    while True:
        event = await events.get()
        if event.get("type") != "deliver" or bound.conversation_id is None:
            continue
        if event.get("conversation") != bound.conversation_id:
            continue
        async with db.sessions() as session:
            conversation = await session.get(Conversation, bound.conversation_id)
        if conversation is None:  # erased meanwhile
            continue
        for message in await messages_by_id(db, bound.conversation_id, [int(i) for i in event["messages"]]):
            await websocket.send_json({"type": "message", "mode": conversation.mode, **message_json(message)})
