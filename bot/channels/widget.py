"""The web widget's side of the gateway: the script, its texts, a WebSocket twin of
`POST /api/messages`, and "delete my conversation".

A municipality embeds `<script src="https://HOST/widget.js" data-municipality="linkoping"
defer></script>`. The widget talks over `WS /api/ws?sender=…` (falling back to the HTTP
API); the socket also carries staff replies and notices live. Every message the socket
accepts goes through the same validation, rate limit and turn pipeline as HTTP.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.channels.web import CHANNEL, MAX_BODY_BYTES, MAX_SENDER_CHARS, parse_message
from bot.db import Conversation
from bot.erasure import erase_conversation
from bot.errors import ApiError
from bot.repository import find_conversation, message_json, messages_by_id
from lotsen import sentences
from lotsen.i18n import N_, t
from lotsen.languages import languages, negotiate
from lotsen.paths import ROOT

log = logging.getLogger(__name__)

STATIC = ROOT / "bot" / "static"
MAX_ACCEPTED = 12

# Every text the widget shows, translated per language (gettext, `messages` domain).
WIDGET_TEXTS = {
    "open": N_("Chat with Lotsen"),
    "close": N_("Close the chat"),
    "title": N_("Lotsen – help for newcomers"),
    "language": N_("Language"),
    "message": N_("Your message"),
    "send": N_("Send"),
    "bot": N_("Lotsen (automatic assistant)"),
    "staff": N_("Staff member"),
    "you": N_("You"),
    "typing": N_("Lotsen is writing…"),
    "delete": N_("Delete my conversation"),
    "delete_confirm": N_("Delete this whole conversation? This cannot be undone."),
    "deleted": N_("Your conversation has been deleted."),
    "offline": N_("Connection lost. Trying again…"),
    "error": N_("The assistant cannot be reached. Check your connection and try again."),
    "waiting": N_("Waiting for a staff member"),
}


def _sender(raw: str | None) -> str:
    sender = (raw or "").strip()
    if not sender or len(sender) > MAX_SENDER_CHARS:
        raise ApiError(400, f"'sender' is required and at most {MAX_SENDER_CHARS} characters")
    return sender


async def widget_script(request: Request) -> Response:
    return FileResponse(STATIC / "widget.js", media_type="text/javascript; charset=utf-8")


async def widget_demo(request: Request) -> Response:
    return FileResponse(STATIC / "demo.html", media_type="text/html; charset=utf-8")


async def widget_texts(request: Request) -> JSONResponse:
    """`GET /api/widget/texts?language=xx` (a chosen language) or `?accept=ar-SY,en`
    (the user's stored choice, browser and page languages, best first): the widget's texts,
    direction and language list. The gateway negotiates, so the widget decides nothing."""
    language = request.query_params.get("language", "")
    if not language:
        accepted = request.query_params.get("accept", "").split(",")[:MAX_ACCEPTED]
        language = negotiate(accepted) or request.app.state.settings.default_language
    if language not in languages():
        raise ApiError(400, f"unknown language; expected one of: {', '.join(languages())}")
    return JSONResponse(
        {
            "language": language,
            "direction": languages()[language].direction,
            "texts": {key: t(language, text) for key, text in WIDGET_TEXTS.items()},
            "languages": [
                {"code": button_code, "name": button["title"], "payload": button["payload"]}
                for button_code, button in zip(languages(), sentences.language_buttons(), strict=True)
            ],
        }
    )


async def delete_conversation(request: Request) -> JSONResponse:
    """`DELETE /api/messages?sender=…`: erase this web user's conversation everywhere."""
    sender = _sender(request.query_params.get("sender"))
    async with request.app.state.db.sessions() as session:
        conversation = await find_conversation(session, CHANNEL, sender)
    if conversation is None:
        return JSONResponse({"deleted": False, "reason": "no conversation"})
    erased = await erase_conversation(request.app.state.db, conversation, request.app.state.settings.rasa_tracker_url)
    return JSONResponse({"deleted": True, "everywhere": erased})


async def chat_socket(websocket: WebSocket) -> None:
    """`WS /api/ws?sender=…`: JSON messages in (`{"text", "metadata"}`), replies and live
    staff messages out. Bad input gets `{"type": "error", "error": reason}`, never a close."""
    try:
        sender = _sender(websocket.query_params.get("sender"))
    except ApiError as exc:
        await websocket.close(code=4400, reason=exc.message)
        return
    await websocket.accept()
    broker = websocket.app.state.broker
    events = broker.subscribe()
    try:
        await asyncio.gather(_receive(websocket, sender), _push(websocket, sender, events))
    except WebSocketDisconnect:
        pass
    finally:
        broker.unsubscribe(events)


async def _receive(websocket: WebSocket, sender: str) -> None:
    while True:
        raw = await websocket.receive_text()
        try:
            if len(raw.encode("utf-8")) > MAX_BODY_BYTES:
                raise ApiError(413, f"message is larger than {MAX_BODY_BYTES} bytes")
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                raise ApiError(400, "message must be valid JSON") from None
            if not isinstance(body, dict):
                raise ApiError(400, "message must be a JSON object")
            incoming = parse_message(json.dumps({**body, "sender": sender}).encode("utf-8"))
            wait = websocket.app.state.rate_limiter.retry_after(f"{CHANNEL}:{sender}")
            if wait:
                raise ApiError(429, f"too many messages; try again in {max(1, round(wait))} s")
        except ApiError as exc:
            await websocket.send_json({"type": "error", "status": exc.status, "error": exc.message})
            continue
        reply = await websocket.app.state.pipeline.handle(incoming)
        await websocket.send_json({"type": "reply", **reply.to_json()})


async def _push(websocket: WebSocket, sender: str, events: asyncio.Queue[dict[str, Any]]) -> None:
    """Staff replies and notices for this user, as soon as the outbox announces them."""
    db = websocket.app.state.db
    conversation_id: int | None = None
    while True:
        event = await events.get()
        if event.get("type") != "deliver":
            continue
        if conversation_id is None:  # the conversation may start after the socket opened
            async with db.sessions() as session:
                found = await find_conversation(session, CHANNEL, sender)
            conversation_id = found.id if found else None
        if conversation_id is None or event.get("conversation") != conversation_id:
            continue
        async with db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            conversation_id = None
            continue
        for message in await messages_by_id(db, conversation_id, [int(i) for i in event["messages"]]):
            await websocket.send_json({"type": "message", "mode": conversation.mode, **message_json(message)})
