"""Left messages and callback requests, answered in the console (`/console/tickets/{id}`).

A ticket's page shows what the user left (the message, or the number to call and when,
and the interpreter's language), the conversation's recent messages around it — scoped
like a handoff's transcript, and opening it is audited the same way — a reply box (free
text, or a phrasebook phrase in the user's language) delivered through the outbox like a
handoff reply, and "Mark as done". Another municipality's ticket is "not found".
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.console import phrases, replying
from bot.console.brief import who
from bot.console.lines import lines
from bot.console.queue import ticket_row
from bot.console.service import ConsoleError, ConsoleService
from bot.console.times import Times
from bot.db import Staff, utcnow
from bot.handoff.staff import StaffActions
from bot.staff.pages import STAFF, error_page, render, signed_in_session, ui_language
from bot.staff.session import SignedIn, csrf_ok
from lotsen.knowledge import KnowledgeBank

log = logging.getLogger(__name__)


async def _context(
    request: Request, account: Staff, audit_since: datetime | None = None, error: str | None = None
) -> dict[str, Any]:
    """`audit_since` as for a handoff: None when the page is opened (always audited)."""
    service: ConsoleService = request.app.state.console
    found = await service.ticket(int(request.path_params["ticket_id"]), account, audit_since)
    ticket, conversation = found.ticket, found.conversation
    lang = ui_language(request)
    bank: KnowledgeBank = request.app.state.store.get()
    office = bank.handoff_office(ticket.municipality)
    times = Times(lang, utcnow())
    is_open = ticket.status == "open"
    return {
        "account": account,
        "ticket": ticket,
        "row": ticket_row(ticket, conversation, bank, lang),
        "who": who(conversation, ticket.municipality, office, lang),
        "conversation": conversation,
        "lines": lines(found.messages, conversation.language, office, lang, times.now),
        "times": times,
        "error": error,
        "picker": phrases.picker(phrases.context(account.display_name, office), lang) if is_open else None,
        "reply_to": {"ticket": ticket.id},
    }


async def ticket_page(request: Request) -> Response:
    signed = await signed_in_session(request, STAFF)
    if not isinstance(signed, SignedIn):
        return signed
    try:
        context = await _context(request, signed.account)
    except ConsoleError as exc:
        return error_page(request, str(exc), exc.status, signed.account)
    return render(request, "console/ticket.html", context)


async def act(request: Request) -> Response:
    """POST /console/tickets/{id}/{reply|done}."""
    signed = await signed_in_session(request, STAFF)
    if not isinstance(signed, SignedIn):
        return signed
    account = signed.account
    form = await request.form()
    ticket_id, action = int(request.path_params["ticket_id"]), request.path_params["action"]
    actions: StaffActions = request.app.state.staff_actions
    try:
        if not csrf_ok(request, form):
            raise ConsoleError(400, "the form had expired; reload the page")
        if action == "reply":
            reply = await replying.reply_of(request, account, form, ticket_id=ticket_id)
            await actions.ticket_reply(ticket_id, account, reply.text, phrase=reply.phrase)
        elif action == "done":
            await actions.ticket_done(ticket_id, account)
        else:
            raise ConsoleError(404, "no such action")
    except ConsoleError as exc:
        log.info("console ticket %s by %s on ticket %s refused: %s", action, account.username, ticket_id, exc)
        try:
            context = await _context(request, account, signed.created_at, error=str(exc))
        except ConsoleError as missing:  # not there, or another municipality's
            return error_page(request, str(missing), missing.status, account)
        return render(request, "console/ticket.html", context, exc.status)
    log.info("console ticket %s by %s on ticket %s", action, account.username, ticket_id)
    return RedirectResponse("/console" if action == "done" else f"/console/tickets/{ticket_id}", status_code=303)


ROUTES = [
    Route("/console/tickets/{ticket_id:int}", ticket_page),
    Route("/console/tickets/{ticket_id:int}/{action:str}", act, methods=["POST"]),
]
