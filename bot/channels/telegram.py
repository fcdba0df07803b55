"""The Telegram channel, on python-telegram-bot: updates in, replies out, same conversations.

Two modes from configuration: long polling when only `LOTSEN_TELEGRAM_TOKEN` is set
(development), a webhook at `/telegram/webhook` when `LOTSEN_TELEGRAM_WEBHOOK_URL` is set
too (production; every update must carry Telegram's secret-token header). Text goes to
the same `ConversationService` as the web chat, so language, municipality, handoff and the
staff console work the same; staff replies are pushed to the chat when they are stored.

Replies are sent as plain text (no parse mode), so nothing a user or editor writes can
break formatting; long replies are split at Telegram's 4,096 characters on sentence
boundaries; bot buttons become inline keyboards whose callback data is the payload (all
Lotsen payloads fit Telegram's 64 bytes; a longer one is dropped and logged).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from typing import Any

# python-telegram-bot 22 reports retry_after as seconds unless asked for timedelta (its
# future default); opting in now keeps one code path and no deprecation warnings.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatAction, MessageLimit
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.base import IncomingMessage, OutgoingMessage
from bot.console.live import Broker
from bot.conversations import ConversationService
from bot.db import Conversation, Database, Message
from bot.settings import Settings
from bot.tasks import stop_tasks
from lotsen.i18n import N_, t
from lotsen.languages import languages, negotiate

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_CALLBACK_BYTES = 64
SEND_ATTEMPTS = 4
SENTENCE_END = re.compile(r"(?<=[.!?።؟。])\s+|\n+")
COMMANDS = (
    ("start", N_("Start, and choose language and municipality")),
    ("language", N_("Change the language")),
    ("municipality", N_("Change your municipality")),
    ("human", N_("Talk to a person")),
    ("help", N_("What I can help with")),
    ("forget", N_("Delete this conversation")),
)
NOT_TEXT = N_("I can only read text. Please write your question in words.")
NOT_TEXT_VOICE = N_(
    "I cannot listen to voice messages. Please type your question, or write /human to talk to a person."
)


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Chunks of at most `limit` characters, cut after a sentence or line where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cuts = [m.end() for m in SENTENCE_END.finditer(window)]
        cut = cuts[-1] if cuts and cuts[-1] > limit // 2 else window.rfind(" ") + 1 or limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest.strip():
        chunks.append(rest.rstrip())
    return chunks


def keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    rows = []
    for button in message.buttons:
        if len(button.payload.encode("utf-8")) > MAX_CALLBACK_BYTES:
            log.error("button payload longer than Telegram's 64 bytes dropped: %r", button.payload)
            continue
        rows.append([InlineKeyboardButton(button.title, callback_data=button.payload)])
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramChannel:
    """One bot: builds the python-telegram-bot application and routes its updates."""

    def __init__(self, settings: Settings, conversations: ConversationService, db: Database, broker: Broker) -> None:
        assert settings.telegram_token is not None
        self.settings = settings
        self.conversations = conversations
        self.db = db
        self.broker = broker
        self.webhook = settings.telegram_webhook_url is not None
        self.secret = str(settings.telegram_webhook_secret or "") or secrets.token_urlsafe(32)
        builder = Application.builder().token(str(settings.telegram_token)).rate_limiter(AIORateLimiter())
        builder = builder.concurrent_updates(True)
        if settings.telegram_base_url:
            builder = builder.base_url(settings.telegram_base_url).base_file_url(settings.telegram_base_url)
        if self.webhook:
            builder = builder.updater(None)
        self.app = builder.build()
        self.app.add_handler(CallbackQueryHandler(self.on_callback))
        # Text, commands included, and edited text (answered as the corrected question).
        self.app.add_handler(MessageHandler(filters.TEXT, self.on_text))
        self.app.add_handler(MessageHandler(filters.VOICE | filters.AUDIO | filters.VIDEO_NOTE, self.on_voice))
        self.app.add_handler(MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, self.on_not_text))
        self.app.add_handler(TypeHandler(Update, self.on_other))
        self.app.add_error_handler(self.on_error)
        self._delivery: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.app.initialize()
        await self._register_commands()
        if self.webhook:
            await self.app.bot.set_webhook(
                str(self.settings.telegram_webhook_url),
                secret_token=self.secret,
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("Telegram channel on: webhook %s", self.settings.telegram_webhook_url)
        await self.app.start()
        if not self.webhook:
            assert self.app.updater is not None
            await self.app.updater.start_polling(allowed_updates=Update.ALL_TYPES, poll_interval=0.0, timeout=10)
            log.info("Telegram channel on: long polling")
        self._delivery = asyncio.create_task(self._deliver_forever())

    async def stop(self) -> None:
        await stop_tasks([self._delivery])
        if self.app.updater is not None and self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _register_commands(self) -> None:
        """The command menu, in every language Lotsen speaks (Telegram picks by the client's)."""
        for code in [None, *languages()]:
            language = code or "en"
            commands = [BotCommand(name, t(language, description)) for name, description in COMMANDS]
            await self._call(self.app.bot.set_my_commands, commands, language_code=code)

    # Updates ---------------------------------------------------------------------------

    async def handle_webhook(self, request: Request) -> Response:
        """POST /telegram/webhook: only updates carrying our secret token are accepted."""
        if not secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        try:
            data = await request.json()
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            return JSONResponse({"error": "not a Telegram update"}, status_code=400)
        if update is None:
            return JSONResponse({"error": "not a Telegram update"}, status_code=400)
        await self.app.process_update(update)
        return JSONResponse({"ok": True})

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or update.effective_chat is None or not message.text:
            return
        await self._converse(update, message.text)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await self._call(query.answer)
        if query.data and update.effective_chat is not None:
            await self._converse(update, query.data)

    async def on_voice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._explain(update, NOT_TEXT_VOICE)

    async def on_not_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._explain(update, NOT_TEXT)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.debug("Telegram update %s not handled (type not used by Lotsen)", update.update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        where = update.update_id if isinstance(update, Update) else "-"
        log.error("Telegram update %s failed", where, exc_info=context.error)

    def _incoming(self, update: Update, text: str) -> IncomingMessage:
        assert update.effective_chat is not None
        user = update.effective_user
        hints = (user.language_code,) if user is not None and user.language_code else ()
        return IncomingMessage(channel=CHANNEL, sender=str(update.effective_chat.id), text=text, hints=hints)

    async def _converse(self, update: Update, text: str) -> None:
        assert update.effective_chat is not None
        chat_id = update.effective_chat.id
        typing = asyncio.create_task(self._keep_typing(chat_id))
        try:
            reply = await self.conversations.handle(self._incoming(update, text))
        finally:
            await stop_tasks([typing])
        await self.send(chat_id, reply.messages)

    async def _explain(self, update: Update, message: str) -> None:
        """Non-text input: say so in the conversation's language (the chat's, or the client's)."""
        if update.effective_chat is None:
            return
        language = await self._language_of(str(update.effective_chat.id), update)
        await self.send(update.effective_chat.id, [OutgoingMessage(t(language, message))])

    async def _language_of(self, sender: str, update: Update) -> str:
        async with self.db.sessions() as session:
            language = await session.scalar(
                select(Conversation.language).where(Conversation.channel == CHANNEL, Conversation.sender == sender)
            )
        if language:
            return str(language)
        user = update.effective_user
        hinted = negotiate([user.language_code]) if user is not None and user.language_code else None
        return hinted or self.settings.default_language

    async def _keep_typing(self, chat_id: int) -> None:
        """Telegram shows "typing…" for 5 s per action: repeat it while the bot thinks."""
        while True:
            await self._call(self.app.bot.send_chat_action, chat_id, ChatAction.TYPING)
            await asyncio.sleep(4.5)

    # Sending ---------------------------------------------------------------------------

    async def send(self, chat_id: int, messages: list[OutgoingMessage]) -> None:
        for message in messages:
            chunks = split_text(message.text)
            for index, chunk in enumerate(chunks):
                markup = keyboard(message) if index == len(chunks) - 1 else None
                await self._call(self.app.bot.send_message, chat_id, chunk, reply_markup=markup)

    async def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the Bot API, waiting out Telegram's retry-after and retrying network errors
        with back-off; a message that still cannot be sent is logged, not raised."""
        delay = 1.0
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await method(*args, **kwargs)
            except RetryAfter as exc:
                wait = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
                log.warning("Telegram asks to wait %.1f s (attempt %d)", wait, attempt)
                await asyncio.sleep(float(wait))
            except NetworkError as exc:
                log.warning("Telegram network error (attempt %d): %s", attempt, exc)
                await asyncio.sleep(delay)
                delay *= 2
            except TelegramError:
                log.exception("Telegram refused %s", getattr(method, "__name__", method))
                return None
        log.error("gave up on %s after %d attempts", getattr(method, "__name__", method), SEND_ATTEMPTS)
        return None

    # Staff replies and notices ---------------------------------------------------------

    async def _deliver_forever(self) -> None:
        """Push messages stored for Telegram users outside a turn (staff replies, notices)."""
        events = self.broker.subscribe()
        try:
            while True:
                event = await events.get()
                if event.get("type") == "deliver":
                    # With several gateways every one hears the event; one sends it.
                    if not await self.broker.claim(f"telegram:{event['conversation']}:{event['messages']}"):
                        continue
                    try:
                        await self.deliver(int(event["conversation"]), [int(i) for i in event["messages"]])
                    except Exception:
                        log.exception("delivering staff messages to Telegram failed")
        finally:
            self.broker.unsubscribe(events)

    async def deliver(self, conversation_id: int, message_ids: list[int]) -> None:
        async with self.db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None or conversation.channel != CHANNEL:
                return
            rows = list(await session.scalars(select(Message).where(Message.id.in_(message_ids)).order_by(Message.id)))
        outgoing = [OutgoingMessage.with_buttons(m.text, m.buttons or []) for m in rows]
        await self.send(int(conversation.sender), outgoing)
