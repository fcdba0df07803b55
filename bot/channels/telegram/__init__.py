"""The Telegram channel on python-telegram-bot: updates in, messages out, same conversations.

Input: long polling when only `LOTSEN_TELEGRAM_TOKEN` is set (development), or a webhook
at `/telegram/webhook` when `LOTSEN_TELEGRAM_WEBHOOK_URL` is set too (every update must
carry Telegram's secret-token header). Either way updates go through the Application's
`update_queue`, as python-telegram-bot's own Starlette example does, one chat in order
(`ordering.py`). Lotsen answers in private chats only: a conversation is one person's,
so a group is told once, in its language, to write to the bot privately.

Output: every reply is stored with an outbox entry and pushed by `deliver` (bot/outbox.py),
in order, retried after a failure and never silently dropped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets

# python-telegram-bot 22 reports retry_after as seconds unless asked for timedelta (its
# future default); opting in now keeps one code path and no deprecation warnings.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from telegram import BotCommand, Update
from telegram.constants import ChatAction, ChatType
from telegram.ext import AIORateLimiter, Application, CallbackQueryHandler, ContextTypes, TypeHandler

from bot.channels.base import DeliveryFailedError, IncomingMessage, OutgoingMessage
from bot.channels.telegram.ordering import PerChatOrder
from bot.channels.telegram.reading import read_command, text_of, well_formed
from bot.channels.telegram.sending import call, call_quietly, keyboard, split_text
from bot.db import Conversation, Database, Message, TelegramGroup
from bot.flood import MESSAGE, FloodGuard
from bot.language import LanguageDetector
from bot.pipeline import Pipeline
from bot.repository import conversation_language, outgoing_of
from bot.tasks import stop_tasks
from lotsen import protocol
from lotsen.i18n import N_, t
from lotsen.languages import languages, negotiate
from lotsen.settings import Settings

__all__ = ["SECRET_HEADER", "TelegramChannel", "split_text"]

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TYPING_SECONDS = 4.5
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
PRIVATE_ONLY = N_(
    "I answer in private chats only, so that what you write stays between you and me. Write to me directly: {link}"
)


class TelegramChannel:
    """One bot: the python-telegram-bot application, its input and its output side."""

    name = CHANNEL
    replies_in_response = False  # every reply is pushed, through the outbox

    def __init__(self, settings: Settings, db: Database, detector: LanguageDetector, flood: FloodGuard) -> None:
        assert settings.telegram_token is not None
        self.settings = settings
        self.db = db
        self.detector = detector
        self.flood = flood
        self.pipeline: Pipeline | None = None  # set by the composition root (they need each other)
        self.webhook = settings.telegram_webhook_url is not None
        self.secret = str(settings.telegram_webhook_secret or "") or secrets.token_urlsafe(32)
        # The limiter waits out Telegram's 429s itself, logging them at INFO.
        builder = Application.builder().token(str(settings.telegram_token)).rate_limiter(AIORateLimiter(max_retries=2))
        builder = builder.concurrent_updates(PerChatOrder())
        if settings.telegram_base_url:
            builder = builder.base_url(settings.telegram_base_url).base_file_url(settings.telegram_base_url)
        if self.webhook:
            builder = builder.updater(None)
        self.app = builder.build()
        self.app.add_handler(CallbackQueryHandler(self.on_callback))
        self.app.add_handler(TypeHandler(Update, self.on_update))
        self.app.add_error_handler(self.on_error)

    async def start(self) -> None:
        await self.app.initialize()
        await self._register_commands()
        if self.webhook:
            await call(
                self.app.bot.set_webhook,
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

    async def stop(self) -> None:
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
            await call_quietly(self.app.bot.set_my_commands, commands, language_code=code)

    # Input -------------------------------------------------------------------------------

    async def handle_webhook(self, request: Request) -> Response:
        """POST /telegram/webhook: only updates carrying our secret token are accepted."""
        if not secrets.compare_digest(request.headers.get(SECRET_HEADER, ""), self.secret):
            return JSONResponse({"error": "wrong or missing secret token"}, status_code=403)
        try:
            update = Update.de_json(await request.json(), self.app.bot)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            update = None
        if update is None or not well_formed(update):
            return JSONResponse({"error": "not a Telegram update"}, status_code=400)
        await self.app.update_queue.put(update)
        return JSONResponse({"ok": True})

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await call_quietly(query.answer)
        if query.data and isinstance(query.data, str) and await self._private(update):
            await self._converse(update, query.data)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or update.effective_chat is None or not await self._private(update):
            return
        if (text := text_of(message)) is not None:
            command = read_command(text, self.app.bot.username)
            if command is not None:
                await self._converse(update, command)
        elif message.voice or message.audio or message.video_note:
            await self._explain(update, NOT_TEXT_VOICE)
        elif not (message.new_chat_members or message.left_chat_member or message.pinned_message):
            await self._explain(update, NOT_TEXT)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        where = update.update_id if isinstance(update, Update) else "-"
        log.error("Telegram update %s failed", where, exc_info=context.error)

    def _hints(self, update: Update) -> tuple[str, ...]:
        user = update.effective_user
        return (user.language_code,) if user is not None and user.language_code else ()

    async def _converse(self, update: Update, text: str) -> None:
        assert update.effective_chat is not None and self.pipeline is not None
        chat_id = update.effective_chat.id
        typing = asyncio.create_task(self._keep_typing(chat_id))
        try:
            # The same per-sender budget as the web's; over it, the message is kept but not answered.
            throttled = bool(await self.flood.spend(MESSAGE, f"{CHANNEL}:{chat_id}"))
            incoming = IncomingMessage(
                channel=CHANNEL, sender=str(chat_id), text=text, hints=self._hints(update), throttled=throttled
            )
            await self.pipeline.handle(incoming)  # the replies go out through the outbox
        finally:
            await stop_tasks([typing])

    async def _language(self, update: Update) -> str:
        assert update.effective_chat is not None
        stored = await conversation_language(self.db, CHANNEL, str(update.effective_chat.id))
        return stored or negotiate(list(self._hints(update))) or self.settings.default_language

    async def _explain(self, update: Update, message: str) -> None:
        """Non-text input: say so in the conversation's language (the chat's, or the client's)."""
        assert update.effective_chat is not None
        language = await self._language(update)
        await self._send_unstored(update.effective_chat.id, OutgoingMessage(t(language, message)))

    async def _private(self, update: Update) -> bool:
        """True for a private chat; a group is told once to write privately, then ignored."""
        chat = update.effective_chat
        if chat is None or chat.type == ChatType.PRIVATE:
            return chat is not None
        try:
            async with self.db.sessions() as session:
                session.add(TelegramGroup(chat_id=chat.id))
                await session.commit()
        except IntegrityError:
            return False  # told before
        message = update.effective_message
        text = (text_of(message) if message else None) or ""
        # As in the pipeline, a command is never language-detected ("/start" is no language).
        detected = None if protocol.is_payload_shaped(text) else self.detector.detect(text)
        language = (detected.code if detected else None) or negotiate(list(self._hints(update)))
        language = language or self.settings.default_language
        link = f"https://t.me/{self.app.bot.username}"
        await self._send_unstored(chat.id, OutgoingMessage(t(language, PRIVATE_ONLY, link=link)))
        return False

    async def _keep_typing(self, chat_id: int) -> None:
        """Telegram shows "typing…" for 5 s per action: repeat it while the bot thinks."""
        while True:
            await call_quietly(self.app.bot.send_chat_action, chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_SECONDS)

    # Output ------------------------------------------------------------------------------

    async def deliver(self, conversation: Conversation, messages: list[Message]) -> None:
        """The outbox's way out: raise DeliveryFailedError to be retried later."""
        await self._send(int(conversation.sender), [outgoing_of(m) for m in messages])

    async def _send(self, chat_id: int, messages: list[OutgoingMessage]) -> None:
        for message in messages:
            chunks = split_text(message.text)
            for index, chunk in enumerate(chunks):
                markup = keyboard(message) if index == len(chunks) - 1 else None
                await call(self.app.bot.send_message, chat_id, chunk, reply_markup=markup)

    async def _send_unstored(self, chat_id: int, message: OutgoingMessage) -> None:
        """A notice that is not part of the conversation (non-text input, a group): sent
        once; if Telegram does not take it, it is logged, not queued."""
        try:
            await self._send(chat_id, [message])
        except DeliveryFailedError as exc:
            log.warning("Telegram notice not sent: %s", exc)
