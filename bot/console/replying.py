"""What a staff reply form sends — free text as written, or a phrasebook phrase rendered in
the user's language — and the preview endpoint that shows the phrase exactly as the user
will get it before it is sent.

The same composition serves a handoff's reply box and a ticket's, so the preview and the
message sent can never differ: both are `phrases.compose` with the same context (the
staff member's display name, the office that answers the conversation's municipality, the
date and time from the picker).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.console import names, phrases
from bot.console.service import ConsoleError, ConsoleService, Target
from bot.db import Staff
from bot.staff.pages import ui_language
from lotsen.knowledge import KnowledgeBank
from lotsen.languages import languages


@dataclass(frozen=True)
class Reply:
    text: str
    phrase: str | None  # the phrasebook id, None for free text


def user_language(request: Request, target: Target) -> str:
    code = target.conversation.language or request.app.state.settings.default_language
    return str(code)


def _bank(request: Request) -> KnowledgeBank:
    bank: KnowledgeBank = request.app.state.store.get()
    return bank


def _compose(request: Request, account: Staff, target: Target, fields: FormData | QueryParams) -> Reply:
    phrase_id = str(fields.get("phrase") or "")
    office = _bank(request).handoff_office(target.municipality)
    when = phrases.parse_when(str(fields.get("when") or ""))
    ctx = phrases.context(account.display_name, office, when)
    text = phrases.compose(phrase_id, user_language(request, target), ctx, ui_language(request))
    return Reply(text, phrase_id)


async def reply_of(
    request: Request, account: Staff, form: FormData, handoff_id: int | None = None, ticket_id: int | None = None
) -> Reply:
    """The reply a form asks to send: the phrase if one was chosen, else the text."""
    if not form.get("phrase"):
        return Reply(str(form.get("text") or ""), None)
    service: ConsoleService = request.app.state.console
    target = await service.target(account, handoff_id=handoff_id, ticket_id=ticket_id)
    return _compose(request, account, target, form)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


async def preview(request: Request, account: Staff) -> Response:
    """GET /console/phrases/preview?phrase=…&handoff=…|ticket=…[&when=…] →
    `{"text", "language", "direction", "console", "error"}`: the phrase as the user will get
    it (or why it cannot be sent), and as the console language reads it."""
    params = request.query_params
    service: ConsoleService = request.app.state.console
    lang = ui_language(request)
    try:
        target = await service.target(
            account, handoff_id=_int(params.get("handoff")), ticket_id=_int(params.get("ticket"))
        )
    except ConsoleError as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    code = user_language(request, target)
    supported = languages().get(code)
    body: dict[str, str | None] = {
        "language": code,
        "language_name": names.language_in_sentence(code, lang),
        "direction": supported.direction if supported else "ltr",
        "text": None,
        "console": None,
        "error": None,
    }
    try:
        reply = _compose(request, account, target, params)
    except ConsoleError as exc:
        body["error"] = str(exc)
        return JSONResponse(body, status_code=200 if exc.status == 422 else exc.status)
    office = _bank(request).handoff_office(target.municipality)
    ctx = phrases.context(account.display_name, office, phrases.parse_when(params.get("when")))
    body["text"] = reply.text
    body["console"] = phrases.label(phrases.find(str(reply.phrase), lang), ctx, lang)
    return JSONResponse(body)
