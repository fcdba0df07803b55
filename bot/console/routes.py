"""The staff console (`/console`): queue, handoff brief and transcript, claim, reply,
hand back, close, tickets; live over a WebSocket.

Pages are rendered by the server with autoescaping, so a user's `<script>` is shown as
text. Forms carry the CSRF token; the WebSocket only says *what* changed, and the page
then fetches the changed fragment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.console.service import ConsoleError, ConsoleService, brief_of
from bot.db import Staff
from bot.handoff.staff import StaffActions
from bot.handoff.states import Event, Status
from bot.staff.accounts import can
from bot.staff.pages import STAFF, error_page, render, signed_in
from bot.staff.session import csrf_ok
from lotsen.i18n import t
from lotsen.languages import languages
from lotsen.municipalities import municipalities
from lotsen.topics import TOPIC_TITLES

log = logging.getLogger(__name__)
ENDINGS = {"handback": Event.HAND_BACK, "close": Event.END}


def _service(request: Request | WebSocket) -> ConsoleService:
    service: ConsoleService = request.app.state.console
    return service


def topic_titles(request: Request) -> dict[str, str]:
    """Topic names in the staff's language (from the users' catalog, which has Swedish)."""
    language = request.app.state.settings.console_language
    return {intent: t(language, title) for intent, title in TOPIC_TITLES.items()}


async def _queue_context(request: Request, account: Staff) -> dict[str, Any]:
    service = _service(request)
    return {
        "topics": topic_titles(request),
        "account": account,
        "entries": await service.queue(),
        "tickets": await service.tickets(),
        "online": await service.broker.online(),
        "languages": languages(),
        "municipalities": municipalities(),
    }


async def queue_page(request: Request) -> Response:
    account = await signed_in(request, STAFF)
    if isinstance(account, Response):
        return account
    return render(request, "console/queue.html", await _queue_context(request, account))


async def queue_fragment(request: Request) -> Response:
    account = await signed_in(request, STAFF)
    if isinstance(account, Response):
        return account
    return render(request, "console/_queue.html", await _queue_context(request, account))


async def _handoff_context(
    request: Request, account: Staff, error: str | None = None, opening: bool = False
) -> dict[str, Any]:
    """`opening`: the staff member opened the conversation's page (audited; refreshes are not)."""
    handoff, conversation, messages = await _service(request).transcript(
        int(request.path_params["handoff_id"]), account if opening else None
    )
    return {
        "brief": brief_of(handoff, conversation, messages),
        "topics": topic_titles(request),
        "account": account,
        "handoff": handoff,
        "conversation": conversation,
        "messages": messages,
        "mine": handoff.status == Status.CLAIMED.value and handoff.claimed_by == account.id,
        "error": error,
        "languages": languages(),
        "municipalities": municipalities(),
    }


async def handoff_page(request: Request) -> Response:
    account = await signed_in(request, STAFF)
    if isinstance(account, Response):
        return account
    try:
        context = await _handoff_context(request, account, opening=True)
    except ConsoleError as exc:
        return error_page(request, str(exc), exc.status, account)
    return render(request, "console/handoff.html", context)


async def transcript_fragment(request: Request) -> Response:
    account = await signed_in(request, STAFF)
    if isinstance(account, Response):
        return account
    try:
        context = await _handoff_context(request, account)
    except ConsoleError as exc:
        return Response(str(exc), status_code=exc.status)
    return render(request, "console/_transcript.html", context)


async def act(request: Request) -> Response:
    """POST /console/handoffs/{id}/{claim|reply|handback|close}."""
    account = await signed_in(request, STAFF)
    if isinstance(account, Response):
        return account
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
            await actions.reply(handoff_id, account, str(form.get("text") or ""))
        elif action in ENDINGS:
            await actions.end(handoff_id, account, ENDINGS[action])
        else:
            raise ConsoleError(404, "no such action")
    except ConsoleError as exc:
        log.info("console %s by %s on handoff %s refused: %s", action, account.username, handoff_id, exc)
        context = await _handoff_context(request, account, error=str(exc))
        return render(request, "console/handoff.html", context, exc.status)
    log.info("console %s by %s on handoff %s", action, account.username, handoff_id)
    target = "/console" if action in ("handback", "close") else f"/console/handoffs/{handoff_id}"
    return RedirectResponse(target, status_code=303)


async def ticket_done(request: Request) -> Response:
    account = await signed_in(request, STAFF)
    if isinstance(account, Response):
        return account
    form = await request.form()
    if csrf_ok(request, form):
        with contextlib.suppress(ConsoleError):
            await request.app.state.staff_actions.ticket_done(int(request.path_params["ticket_id"]), account)
    return RedirectResponse("/console", status_code=303)


async def live(websocket: WebSocket) -> None:
    """Tell an open console what changed; closes with 4401 when not signed in as staff."""
    service: ConsoleService = websocket.app.state.console
    account_id = websocket.session.get("staff_id") if "session" in websocket.scope else None
    account = None
    if isinstance(account_id, int):
        async with websocket.app.state.db.sessions() as session:
            account = await session.get(Staff, account_id)
    if account is None or not can(account.role, STAFF):
        await websocket.close(code=4401)
        return
    await websocket.accept()
    events = service.broker.subscribe(account.display_name)
    await service.broker.publish({"type": "presence"})
    try:
        while True:
            receive = asyncio.ensure_future(websocket.receive_text())
            send = asyncio.ensure_future(events.get())
            done, _ = await asyncio.wait({receive, send}, return_when=asyncio.FIRST_COMPLETED)
            if receive in done:
                receive.result()  # raises WebSocketDisconnect when the console closes
            else:
                receive.cancel()
            if send in done:
                await websocket.send_json(send.result())
            else:
                send.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        service.broker.unsubscribe(events, account.display_name)
        await service.broker.publish({"type": "presence"})


ROUTES = [
    Route("/console", queue_page),
    Route("/console/queue", queue_fragment),
    Route("/console/handoffs/{handoff_id:int}", handoff_page),
    Route("/console/handoffs/{handoff_id:int}/transcript", transcript_fragment),
    Route("/console/handoffs/{handoff_id:int}/{action:str}", act, methods=["POST"]),
    Route("/console/tickets/{ticket_id:int}/done", ticket_done, methods=["POST"]),
    WebSocketRoute("/console/ws", live),
]
