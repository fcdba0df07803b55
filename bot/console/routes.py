"""The staff console (`/console`): queue, handoff brief and transcript, claim, reply (free
text or a phrasebook phrase), hand back, close; live over a WebSocket. Tickets are
`tickets.py`, the staff profile `profile.py`, accounts `admin.py`. Each staff member sees
and acts on the handoffs and tickets of their own municipalities only (admins: all;
editors: no console). `/console/waiting` lists who waits unclaimed, for the count in the
page title and the opt-in notifications; `/console/phrases/preview` shows a phrase as
the user will get it (`replying.py`).

Pages are rendered by the server with autoescaping, so a user's `<script>` is shown as
text, and carry no inline script (`/static/console.js` does the live part; the Content
Security Policy allows scripts from the gateway only). Forms carry the CSRF token; the
WebSocket only says *what* changed, and the page then fetches the changed fragment.

Opening a conversation's page writes an `open` row to the audit log. The live refresh of
its transcript does not (it would write one row per message), unless this browser session
has not opened that page — a fragment fetched on its own is audited like a page.

Automatic refreshes and the WebSocket do not count as use of the session (`touch=False`):
a console nobody touches for `LOTSEN_SESSION_IDLE_MINUTES` signs out. The WebSocket
checks its session on connect and every `RECHECK_SECONDS`, and closes with 4401 when it
has ended (signed out elsewhere, idle, past its maximum age, password changed, account
disabled); the page then reloads to the sign-in page.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.console import admin, names, phrases, profile, replying, tickets
from bot.console.brief import staff_brief
from bot.console.lines import lines
from bot.console.queue import queue_rows, ticket_row
from bot.console.service import ConsoleError, ConsoleService
from bot.console.times import Times
from bot.db import Staff, utcnow
from bot.handoff.staff import StaffActions
from bot.handoff.states import Event, Status
from bot.staff.accounts import can, list_accounts, scope_of
from bot.staff.pages import STAFF, error_page, render, signed_in_session, ui_language
from bot.staff.session import SignedIn, csrf_ok, current_session
from lotsen.knowledge import KnowledgeBank
from lotsen.municipalities import municipalities

log = logging.getLogger(__name__)
ENDINGS = {"handback": Event.HAND_BACK, "close": Event.END}
RECHECK_SECONDS = 60.0  # how often an open console WebSocket re-checks its session
CLOSE_SIGNED_OUT = 4401
# Live events a console hears; `message` only for conversations it may see.
ALWAYS_FORWARDED = frozenset({"queue", "presence", "resync"})


def _service(request: Request | WebSocket) -> ConsoleService:
    service: ConsoleService = request.app.state.console
    return service


def bank_of(request: Request) -> KnowledgeBank:
    bank: KnowledgeBank = request.app.state.store.get()
    return bank


def times_of(request: Request) -> Times:
    """The console's clock for one page: Stockholm time in the console language."""
    return Times(ui_language(request), utcnow())


async def _queue_context(request: Request, account: Staff) -> dict[str, Any]:
    service = _service(request)
    scope = scope_of(account)
    lang, bank = ui_language(request), bank_of(request)
    accounts = await list_accounts(request.app.state.db)
    return {
        "account": account,
        "rows": queue_rows(await service.queue(account), account, accounts, bank, lang),
        "tickets": [
            ticket_row(ticket, conversation, bank, lang) for ticket, conversation in await service.tickets(account)
        ],
        "online": await service.broker.online(),
        "times": times_of(request),
        "scope": None if scope is None else [municipalities().get(m, m) for m in sorted(scope)],
    }


async def queue_page(request: Request) -> Response:
    signed = await signed_in_session(request, STAFF)
    if not isinstance(signed, SignedIn):
        return signed
    return render(request, "console/queue.html", await _queue_context(request, signed.account))


async def _fragment_viewer(request: Request) -> SignedIn | Response:
    """A fragment for the live page: checked but not counted as use; 401 (the page reloads
    to the sign-in page) instead of a redirect the script would paste into the page."""
    signed = await current_session(request, touch=False)
    if signed is None:
        return Response(status_code=401)
    if not can(signed.account.role, STAFF):
        return Response(status_code=403)
    return signed


async def queue_fragment(request: Request) -> Response:
    signed = await _fragment_viewer(request)
    if not isinstance(signed, SignedIn):
        return signed
    return render(request, "console/_queue.html", await _queue_context(request, signed.account))


async def _handoff_context(
    request: Request, account: Staff, audit_since: datetime | None, error: str | None = None
) -> dict[str, Any]:
    """`audit_since`: None when the page is opened (always audited), else the session's
    start (audited only if this session has not opened the handoff)."""
    found = await _service(request).transcript(int(request.path_params["handoff_id"]), account, audit_since)
    handoff, conversation = found.handoff, found.conversation
    lang, bank = ui_language(request), bank_of(request)
    office = bank.handoff_office(handoff.municipality)
    mine = handoff.status == Status.CLAIMED.value and handoff.claimed_by == account.id
    times = times_of(request)
    return {
        "brief": staff_brief(found, bank, lang),
        "console_language_name": names.language_in_sentence(lang, lang),
        "account": account,
        "handoff": handoff,
        "conversation": conversation,
        "lines": lines(found.messages, conversation.language, office, lang, times.now),
        "mine": mine,
        "error": error,
        "times": times,
        "picker": phrases.picker(phrases.context(account.display_name, office), lang) if mine else None,
        "reply_to": {"handoff": handoff.id},
    }


async def handoff_page(request: Request) -> Response:
    signed = await signed_in_session(request, STAFF)
    if not isinstance(signed, SignedIn):
        return signed
    try:
        context = await _handoff_context(request, signed.account, audit_since=None)
    except ConsoleError as exc:
        return error_page(request, str(exc), exc.status, signed.account)
    return render(request, "console/handoff.html", context)


async def transcript_fragment(request: Request) -> Response:
    signed = await _fragment_viewer(request)
    if not isinstance(signed, SignedIn):
        return signed
    try:
        context = await _handoff_context(request, signed.account, audit_since=signed.created_at)
    except ConsoleError as exc:
        return Response(str(exc), status_code=exc.status)
    return render(request, "console/_transcript.html", context)


async def act(request: Request) -> Response:
    """POST /console/handoffs/{id}/{claim|reply|handback|close}."""
    signed = await signed_in_session(request, STAFF)
    if not isinstance(signed, SignedIn):
        return signed
    account = signed.account
    form = await request.form()
    handoff_id = int(request.path_params["handoff_id"])
    action = request.path_params["action"]
    actions: StaffActions = request.app.state.staff_actions
    try:
        if not csrf_ok(request, form):
            raise ConsoleError(400, "the form had expired; reload the page")
        if action == "claim":
            await actions.claim(handoff_id, account)
        elif action == "reply":
            reply = await replying.reply_of(request, account, form, handoff_id=handoff_id)
            await actions.reply(handoff_id, account, reply.text, phrase=reply.phrase)
        elif action in ENDINGS:
            await actions.end(handoff_id, account, ENDINGS[action])
        else:
            raise ConsoleError(404, "no such action")
    except ConsoleError as exc:
        log.info("console %s by %s on handoff %s refused: %s", action, account.username, handoff_id, exc)
        try:
            context = await _handoff_context(request, account, signed.created_at, error=str(exc))
        except ConsoleError as missing:  # not there, or another municipality's
            return error_page(request, str(missing), missing.status, account)
        return render(request, "console/handoff.html", context, exc.status)
    log.info("console %s by %s on handoff %s", action, account.username, handoff_id)
    target = "/console" if action in ("handback", "close") else f"/console/handoffs/{handoff_id}"
    return RedirectResponse(target, status_code=303)


async def waiting(request: Request) -> Response:
    """GET /console/waiting → `{"waiting": [handoff ids]}`: who waits unclaimed in the
    viewer's municipalities, for the count in the page title and new-wait notifications."""
    signed = await _fragment_viewer(request)
    if not isinstance(signed, SignedIn):
        return signed
    return JSONResponse({"waiting": await _service(request).waiting(signed.account)})


async def phrase_preview(request: Request) -> Response:
    signed = await _fragment_viewer(request)
    if not isinstance(signed, SignedIn):
        return signed
    return await replying.preview(request, signed.account)


async def _forwarded(service: ConsoleService, account: Staff, event: dict[str, Any]) -> bool:
    if event.get("type") in ALWAYS_FORWARDED:
        return True
    conversation = event.get("conversation")
    if event.get("type") != "message" or not isinstance(conversation, int):
        return False  # deliveries and outbox wake-ups are none of a console's business
    return await service.sees_conversation(account, conversation)


async def _console_account(websocket: WebSocket) -> Staff | None:
    signed = await current_session(websocket, touch=False)
    return signed.account if signed is not None and can(signed.account.role, STAFF) else None


async def live(websocket: WebSocket) -> None:
    """Tell an open console what changed; closes with 4401 when not signed in as staff,
    at once or at the next check (see the module docstring)."""
    service: ConsoleService = websocket.app.state.console
    account = await _console_account(websocket)
    if account is None:
        await websocket.close(code=CLOSE_SIGNED_OUT)
        return
    await websocket.accept()
    name = account.display_name
    events = service.broker.subscribe(name)
    await service.broker.publish({"type": "presence"})
    loop = asyncio.get_running_loop()
    next_check = loop.time() + RECHECK_SECONDS
    receive = asyncio.ensure_future(websocket.receive_text())
    event = asyncio.ensure_future(events.get())
    try:
        while True:
            timeout = max(0.0, next_check - loop.time())
            done, _ = await asyncio.wait({receive, event}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if receive in done:
                receive.result()  # raises WebSocketDisconnect when the console closes
                receive = asyncio.ensure_future(websocket.receive_text())
            if event in done:
                item = event.result()
                event = asyncio.ensure_future(events.get())
                if await _forwarded(service, account, item):
                    await websocket.send_json(item)
            if loop.time() >= next_check:
                fresh = await _console_account(websocket)
                if fresh is None:
                    log.info("console socket of %s closed: the session has ended", account.username)
                    await websocket.close(code=CLOSE_SIGNED_OUT)
                    return
                account, next_check = fresh, loop.time() + RECHECK_SECONDS  # scope changes apply
    except WebSocketDisconnect:
        pass
    finally:
        for pending in (receive, event):
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await pending
        service.broker.unsubscribe(events, name)
        await service.broker.publish({"type": "presence"})


ROUTES = [
    Route("/console", queue_page),
    Route("/console/queue", queue_fragment),
    Route("/console/handoffs/{handoff_id:int}", handoff_page),
    Route("/console/handoffs/{handoff_id:int}/transcript", transcript_fragment),
    Route("/console/handoffs/{handoff_id:int}/{action:str}", act, methods=["POST"]),
    Route("/console/waiting", waiting),
    Route("/console/phrases/preview", phrase_preview),
    *tickets.ROUTES,
    *profile.ROUTES,
    WebSocketRoute("/console/ws", live),
    *admin.ROUTES,
]
