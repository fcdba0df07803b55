"""The gateway's composition root: wire routes, start and stop shared clients."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from bot.backends import ActionServerClient, RasaClient
from bot.channels.web import post_message
from bot.conversations import ConversationService
from bot.db import Database
from bot.errors import EXCEPTION_HANDLERS
from bot.health import healthz
from bot.language import LanguageDetector
from bot.pages import index
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from lotsen.languages import languages

log = logging.getLogger("lotsen.gateway")


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
            detector = LanguageDetector(languages())
            warm_up = asyncio.create_task(asyncio.to_thread(detector.warm_up))
            app.state.conversations = ConversationService(db, rasa, actions, detector, settings.default_language)
            if settings.telegram_token is None:
                log.info("Telegram channel is off: set LOTSEN_TELEGRAM_TOKEN (see .env.example) to enable it")
            yield
            await warm_up
        await db.dispose()

    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/api/messages", post_message, methods=["POST"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS)
