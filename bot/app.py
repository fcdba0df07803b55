"""The gateway's composition root: routes, and the lifespan that starts and stops the parts
(`bot/wiring.py` builds them)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from bot import assets, wiring
from bot.channels.origins import WidgetCors
from bot.channels.socket import chat_socket
from bot.channels.telegram import TelegramChannel
from bot.channels.web import delete_conversation, get_messages, post_message
from bot.channels.widget import widget_demo, widget_script, widget_texts
from bot.console import routes as console
from bot.db import Database
from bot.editor import routes as editor
from bot.errors import EXCEPTION_HANDLERS
from bot.health import healthz
from bot.limits import EdgeLimits
from bot.pages import index
from bot.retention import retention_forever
from bot.security_headers import SecurityHeaders
from bot.staff import pages as staff
from bot.staff import session as staff_session
from bot.statistics import routes as statistics
from bot.tasks import stop_tasks
from lotsen.settings import Settings

log = logging.getLogger("lotsen.gateway")


async def telegram_webhook(request: Request) -> Response:
    channel: TelegramChannel | None = request.app.state.telegram
    if channel is None or not channel.webhook:
        return JSONResponse({"error": "the Telegram webhook is not configured"}, status_code=404)
    return await channel.handle_webhook(request)


def lifespan_of(
    settings: Settings, transport: httpx.AsyncBaseTransport | None
) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """Start the parts in order (database, clients, bus, background tasks, Telegram) and
    stop them in reverse, every background task awaited before what it uses goes."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        await db.create()
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200), transport=transport) as http:
            services = wiring.build(settings, db, http)
            for name, value in vars(services).items():
                setattr(app.state, name, value)
            warm_up = asyncio.create_task(asyncio.to_thread(services.detector.warm_up))
            await services.broker.start()
            tasks = [
                asyncio.create_task(services.outbox.run_forever()),
                asyncio.create_task(services.erasure.run_forever()),
                asyncio.create_task(retention_forever(db, settings.rasa_tracker_url, settings.retention_days)),
            ]
            if services.handoff.enabled:
                tasks.append(asyncio.create_task(wiring.expire_waits(services.handoff)))
            if services.telegram is None:
                log.info("Telegram channel is off: set LOTSEN_TELEGRAM_TOKEN (see .env.example) to enable it")
            else:
                await services.telegram.start()
            yield
            if services.telegram is not None:
                await services.telegram.stop()
            await stop_tasks(tasks)
            await services.broker.stop()
            await services.flood.close()
            await warm_up
        await db.dispose()

    return lifespan


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """Build the gateway. `transport` lets tests put fake Rasa/action servers at the HTTP edge."""
    settings = settings or Settings.from_env()
    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/api/messages", post_message, methods=["POST"]),
        Route("/api/messages", get_messages, methods=["GET"]),
        Route("/api/messages", delete_conversation, methods=["DELETE"]),
        WebSocketRoute("/api/ws", chat_socket),
        Route("/api/widget/texts", widget_texts),
        Route("/widget.js", widget_script),
        Route("/widget/demo", widget_demo),
        Route("/telegram/webhook", telegram_webhook, methods=["POST"]),
        *staff.ROUTES,
        *editor.ROUTES,
        *console.ROUTES,
        *statistics.ROUTES,
        assets.ROUTE,
    ]
    secret = str(settings.secret_key) if settings.secret_key else secrets.token_urlsafe(32)
    if settings.secret_key is None:
        log.warning("LOTSEN_SECRET_KEY is not set: staff sessions end when the gateway restarts")
    middleware = [
        Middleware(EdgeLimits),  # first: oversized requests are refused before anything sees them
        Middleware(SecurityHeaders),
        Middleware(WidgetCors, allowed=settings.widget_origins),
        staff_session.middleware(settings, secret),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan_of(settings, transport),
        exception_handlers=EXCEPTION_HANDLERS,
    )
