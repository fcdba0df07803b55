"""The widget's WebSocket, `WS /api/ws`: the chat API's live twin.

No id or token travels in the URL. The first frame proves the conversation —
`{"type": "auth", "token": …}` — or starts a new one: a message frame with a `sender`,
whose reply frame carries the new token. Then message frames (`{"type": "message",
"text", "metadata"}`) go through the same validation, rate limit and turn pipeline as
`POST /api/messages`, and staff replies and notices for this conversation are pushed as
the outbox announces them. Bad input gets `{"type": "error", "status", "error"}`, never
a close; a wrong token closes with 4401, a page from a foreign origin with 4403.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.channels.base import AccessDeniedError
from bot.channels.origins import origin_allowed
from bot.channels.web import CHANNEL, MAX_BODY_BYTES, count_first_message, parse_message, rate_key
from bot.db import Conversation
from bot.errors import ApiError
from bot.repository import find_by_token, message_json, messages_by_id

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403


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
    broker = websocket.app.state.broker
    events = broker.subscribe()
    bound = Bound()
    try:
        await asyncio.gather(_receive(websocket, bound), _push(websocket, bound, events))
    except WebSocketDisconnect:
        pass
    finally:
        broker.unsubscribe(events)


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
        raw = await websocket.receive_text()
        try:
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
        conversation = await find_by_token(session, CHANNEL, token if isinstance(token, str) else None)
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
    incoming = parse_message(json.dumps(fields).encode("utf-8"), bound.token)
    address = websocket.client.host if websocket.client else ""
    wait = websocket.app.state.rate_limiter.retry_after(rate_key(incoming, address))
    if wait:
        raise ApiError(429, f"too many messages; try again in {max(1, round(wait))} s")
    try:
        reply = await websocket.app.state.pipeline.handle(incoming)
    except AccessDeniedError:
        raise ApiError(401, "this conversation needs its token: send {'type': 'auth', 'token': …} first") from None
    count_first_message(websocket.app.state.rate_limiter, reply)
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
