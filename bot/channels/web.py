"""The web channel's chat API (DESIGN.md contract): `POST /api/messages` to chat, `GET`
for what was said since a message, `DELETE` to erase the conversation.

Validation happens here, at the edge, so the rest of the gateway only sees a
well-formed `IncomingMessage`. Every rejection says what to fix. A conversation is
proven by its bearer token (bot/channels/tokens.py), never by its id in a URL.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.channels.admission import address_of, admit, count_first_message
from bot.channels.base import AccessDeniedError, IncomingMessage, storable
from bot.channels.tokens import bearer
from bot.db import Conversation, Message
from bot.erasure import erase_conversation
from bot.errors import ApiError
from bot.events import Broker
from bot.repository import find_by_token, history, message_json
from lotsen.municipalities import municipality_ids

CHANNEL = "web"
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 2000
MAX_SENDER_CHARS = 128


def _string_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        raise ApiError(400, f"'{name}' is required")
    if not isinstance(value, str):
        raise ApiError(400, f"'{name}' must be a string")
    if not storable(value):
        raise ApiError(400, f"'{name}' must be text without NUL characters or lone surrogates")
    return value


def parse_message(raw: bytes, token: str | None = None, address: str | None = None) -> IncomingMessage:
    """Validate a request body into an IncomingMessage, or raise ApiError (400/413)."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise ApiError(400, "body must be valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "body must be a JSON object")

    sender = _string_field(body, "sender").strip()
    if not sender:
        raise ApiError(400, "'sender' must not be empty")
    if len(sender) > MAX_SENDER_CHARS:
        raise ApiError(400, f"'sender' must be at most {MAX_SENDER_CHARS} characters")
    text = _string_field(body, "text").strip()
    if not text:
        raise ApiError(400, "'text' must not be empty")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(413, f"'text' must be at most {MAX_TEXT_CHARS} characters (got {len(text)})")

    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ApiError(400, "'metadata' must be an object")
    language = metadata.get("language")
    if language is not None and not (isinstance(language, str) and storable(language)):
        raise ApiError(400, "'metadata.language' must be a language code string")
    municipality = metadata.get("municipality")
    if municipality is not None and (not isinstance(municipality, str) or municipality not in municipality_ids()):
        raise ApiError(400, f"unknown 'metadata.municipality'; expected one of: {', '.join(municipality_ids())}")
    hints = metadata.get("browser_languages") or []
    if not isinstance(hints, list) or not all(isinstance(h, str) and storable(h) for h in hints):
        raise ApiError(400, "'metadata.browser_languages' must be a list of language tags")
    return IncomingMessage(
        channel=CHANNEL,
        sender=sender,
        text=text,
        language=language or None,
        municipality=municipality,
        hints=tuple(hints[:10]),
        needs_token=True,
        token=token,
        address=address,
    )


NO_STORE = {"Cache-Control": "no-store"}  # a conversation is nobody's to cache


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "this conversation needs its token: send 'Authorization: Bearer <token>' from the first reply",
        {"WWW-Authenticate": "Bearer"},
    )


async def post_message(request: Request) -> JSONResponse:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    state = request.app.state
    address = address_of(request.client.host if request.client else None, request.headers, state.settings)
    incoming = parse_message(await request.body(), bearer(request.headers), address)
    await admit(state.flood, incoming)
    try:
        reply = await state.pipeline.handle(incoming)
    except AccessDeniedError:
        raise unauthorized() from None
    await count_first_message(state.flood, reply)
    return JSONResponse(reply.to_json(), headers=NO_STORE)


async def get_messages(request: Request) -> JSONResponse:
    """`GET /api/messages?after=<id>` with the bearer token: what was said to this user
    since message `after` (staff replies, notices), so a client that is not connected
    live gets them. `&history=1` includes the user's own messages (restoring a reload)."""
    try:
        after = int(request.query_params.get("after", "0"))
    except ValueError:
        raise ApiError(400, "'after' must be a message id (an integer)") from None
    include_user = request.query_params.get("history") == "1"
    token = bearer(request.headers)
    conversation, messages = await history(request.app.state.db, CHANNEL, token, after, include_user)
    if conversation is None:
        raise unauthorized()
    body = {
        "mode": conversation.mode,
        "language": conversation.language,
        "messages": [message_json(m) for m in messages],
    }
    return JSONResponse(body, headers=NO_STORE)


async def delete_conversation(request: Request) -> JSONResponse:
    """`DELETE /api/messages` with the bearer token: erase this conversation everywhere."""
    async with request.app.state.db.sessions() as session:
        conversation = await find_by_token(session, CHANNEL, bearer(request.headers))
    if conversation is None:
        raise unauthorized()
    erased = await erase_conversation(request.app.state.db, conversation, request.app.state.settings.rasa_tracker_url)
    # `everywhere` false: the chat is gone and the rest is queued (finished shortly).
    return JSONResponse({"deleted": True, "everywhere": erased}, headers=NO_STORE)


class WebOutput:
    """The web channel's output side: a stored message is announced on the event bus, and
    the user's widget socket (on whichever gateway it is connected to) pushes it. A widget
    that is not connected finds it with `GET /api/messages?after=…` when it is back."""

    name = CHANNEL
    replies_in_response = True

    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    async def deliver(self, conversation: Conversation, messages: list[Message]) -> None:
        await self.broker.publish(
            {"type": "deliver", "conversation": conversation.id, "messages": [m.id for m in messages]}
        )
