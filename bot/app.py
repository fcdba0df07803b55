"""The gateway's composition root: wire routes, start and stop shared clients."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute

from bot.backends import ActionServerClient, RasaClient
from bot.channels.telegram import TelegramChannel
from bot.channels.web import get_messages, post_message
from bot.channels.widget import chat_socket, delete_conversation, widget_demo, widget_script, widget_texts
from bot.console import routes as console
from bot.console.live import Broker
from bot.console.service import ConsoleService
from bot.conversations import ConversationService
from bot.db import Database
from bot.editor import routes as editor
from bot.errors import EXCEPTION_HANDLERS
from bot.handoff import HandoffService
from bot.health import healthz
from bot.language import LanguageDetector
from bot.pages import index
from bot.ratelimit import RateLimiter
from bot.retention import retention_forever
from bot.settings import Settings
from bot.tasks import stop_tasks
from lotsen.knowledge import KnowledgeStore
from lotsen.languages import languages

log = logging.getLogger("lotsen.gateway")

LOGIN_ATTEMPTS = 5  # failed or not, per address and per username …
LOGIN_WINDOW_SECONDS = 300.0  # … in five minutes


SWEEP_SECONDS = 30.0


async def telegram_webhook(request: Request) -> Response:
    channel: TelegramChannel | None = request.app.state.telegram
    if channel is None or not channel.webhook:
        return JSONResponse({"error": "the Telegram webhook is not configured"}, status_code=404)
    return await channel.handle_webhook(request)


async def expire_waits(handoff: HandoffService) -> None:
    """End unclaimed waits even when the user writes nothing more (they see the notice)."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            await handoff.expire_due()
        except Exception:
            log.exception("expiring unclaimed handoffs failed")


def create_app(settings: Settings | None = None, transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """Build the gateway. `transport` lets tests put fake Rasa/action servers at the HTTP edge."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        db = Database(settings.database_url)
        await db.create()
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=200), transport=transport) as http:
            rasa = RasaClient(
                settings.rasa_url,
                settings.rasa_token,
                http,
                timeout=settings.rasa_timeout,
                startup_grace=settings.startup_grace,
            )
            actions = ActionServerClient(settings.actions_url, http)
            app.state.db = db
            app.state.rasa = rasa
            app.state.actions = actions
            app.state.rate_limiter = RateLimiter(settings.rate_limit_messages, settings.rate_limit_window)
            app.state.login_limiter = RateLimiter(LOGIN_ATTEMPTS, LOGIN_WINDOW_SECONDS)
            app.state.settings = settings
            detector = LanguageDetector(languages())
            warm_up = asyncio.create_task(asyncio.to_thread(detector.warm_up))
            store = KnowledgeStore(settings.knowledge_dir)
            broker = Broker(settings.redis_url)
            await broker.start()
            app.state.console = ConsoleService(db, store, broker)
            handoff = None
            if settings.handoff:
                handoff = HandoffService(db, store, timedelta(minutes=settings.claim_timeout_minutes), broker)
            app.state.conversations = ConversationService(
                db, rasa, actions, detector, settings.default_language, handoff, settings.rasa_tracker_url
            )
            sweeper = asyncio.create_task(expire_waits(handoff)) if handoff else None
            retention = asyncio.create_task(retention_forever(db, settings.rasa_tracker_url, settings.retention_days))
            telegram = None
            if settings.telegram_token is None:
                log.info("Telegram channel is off: set LOTSEN_TELEGRAM_TOKEN (see .env.example) to enable it")
            else:
                telegram = TelegramChannel(settings, app.state.conversations, db, broker)
                await telegram.start()
            app.state.telegram = telegram
            yield
            if telegram is not None:
                await telegram.stop()
            await stop_tasks([retention, sweeper])
            await broker.stop()
            await warm_up
        await db.dispose()

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
        *editor.ROUTES,
        *console.ROUTES,
    ]
    secret = str(settings.secret_key) if settings.secret_key else secrets.token_urlsafe(32)
    if settings.secret_key is None:
        log.warning("LOTSEN_SECRET_KEY is not set: staff sessions end when the gateway restarts")
    middleware = [
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie="lotsen_staff",
            max_age=settings.session_max_hours * 3600,
            same_site="strict",
            https_only=settings.cookie_secure,
        )
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS)
