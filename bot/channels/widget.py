"""The web widget's files and texts: the script, a demo page, and its texts per language.

A municipality embeds `<script src="https://HOST/widget.js" data-municipality="linkoping"
defer></script>` on its own site. The widget talks to the chat API (bot/channels/web.py)
and its WebSocket twin (bot/channels/socket.py), cross-origin.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from bot.errors import ApiError
from lotsen import protocol, sentences
from lotsen.i18n import N_, t
from lotsen.languages import languages, negotiate
from lotsen.paths import ROOT
from lotsen.topics import TOPIC_TITLES

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
    "with_staff": N_("You are chatting with a staff member"),
    "rate_limited": N_("You are sending messages very quickly. Please wait a moment and try again."),
    "not_sent": N_("Not sent. Check your connection."),
    "retry": N_("Try again"),
    "delete_yes": N_("Yes, delete everything"),
    "cancel": N_("Cancel"),
    "choose_language": N_("Choose language"),
    "show_more": N_("Show more"),
}
GREETING = N_(
    "Hello! I am Lotsen, an automatic assistant. I answer questions about getting started in Sweden, "
    "in your language. Choose a topic or write your question."
)
GREETING_TOPICS = ("ask_bankid", "ask_personnummer", "ask_healthcare", "ask_housing_queue", "ask_sfi", "ask_work")


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
            "greeting": {"text": t(language, GREETING), "buttons": greeting_buttons(language)},
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


def greeting_buttons(language: str) -> list[dict[str, str]]:
    """The first screen's topics (the questions newcomers ask first), and a person."""
    topics = [
        {"title": t(language, TOPIC_TITLES[intent]), "payload": protocol.intent_payload(intent)}
        for intent in GREETING_TOPICS
    ]
    return [*topics, sentences.human_button(language)]
