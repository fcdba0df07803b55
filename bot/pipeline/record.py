"""Step one: store the message before anything can fail, and settle the language.

This is the one place the conversation's language is decided: an explicit choice (a
language button, the widget's picker) switches at once; a channel's hint counts while
the conversation has none; otherwise the detector and the stickiness rules in
bot/language.py decide. Payloads and commands are never language-detected.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.channels.base import AccessDeniedError, IncomingMessage
from bot.channels.tokens import matches, new_token, token_hash
from bot.db import Conversation, Database, Message, utcnow
from bot.dbretry import retry_on_disconnect
from bot.language import LanguageDetector, next_language_state
from bot.pipeline.turn import Turn
from bot.repository import get_or_create_conversation
from lotsen import protocol
from lotsen.languages import languages, negotiate
from lotsen_nlu.lexicon import Lexicon


class Recorder:
    def __init__(self, db: Database, detector: LanguageDetector, lexicon: Lexicon, default_language: str) -> None:
        self.db = db
        self.detector = detector
        self.lexicon = lexicon
        self.default_language = default_language

    @retry_on_disconnect
    async def record(self, incoming: IncomingMessage) -> Turn:
        """Two first messages from the same new sender may race to create the
        conversation; the loser retries once and finds the winner's row."""
        payload = protocol.parse_payload(incoming.text)
        chosen = self._explicit_language(incoming, payload)
        shaped = protocol.is_payload_shaped(incoming.text)
        detection = None if chosen or shaped else self.detector.detect(incoming.text)
        for attempt in range(2):
            async with self.db.sessions() as session:
                try:
                    conversation, created = await get_or_create_conversation(session, incoming.channel, incoming.sender)
                    issued = self._prove(incoming, conversation, created)
                    state = next_language_state(
                        conversation.language, conversation.pending_language, detection, chosen, list(incoming.hints)
                    )
                    conversation.language, conversation.pending_language = state.language, state.pending
                    if incoming.municipality:
                        conversation.municipality = incoming.municipality
                    conversation.last_message_at = utcnow()
                    message = Message(conversation_id=conversation.id, author="user", text=incoming.text)
                    session.add(message)
                    await session.commit()
                except IntegrityError:
                    await session.rollback()
                    if attempt:
                        raise
                    continue
            emergency = not shaped and self.lexicon.emergency_match(incoming.text) is not None
            language = state.language or self.default_language
            turn = Turn(incoming, conversation, language, state, message.id, payload, emergency)
            turn.issued_token = issued
            return turn
        raise AssertionError("unreachable")

    @staticmethod
    def _prove(incoming: IncomingMessage, conversation: Conversation, created: bool) -> str | None:
        """A new web conversation gets its token (returned once, stored as a hash); an
        existing one must show it, or nothing is stored and the request is refused."""
        if not incoming.needs_token:
            return None
        if created:
            token = new_token()
            conversation.token_hash = token_hash(token)
            return token
        if not matches(conversation.token_hash, incoming.token):
            raise AccessDeniedError("this conversation needs its token (Authorization: Bearer …)")
        return None

    @staticmethod
    def _explicit_language(incoming: IncomingMessage, payload: protocol.Payload | None) -> str | None:
        # A language button, or "continue in Swedish" offered when no staff speak the user's.
        if payload is not None and payload.name == protocol.CHOOSE_LANGUAGE:
            code = payload.get(protocol.KEY_LANGUAGE)
            return code if code in languages() else None
        if payload is not None and payload.name == protocol.HUMAN and payload.get(protocol.KEY_LANGUAGE) in languages():
            return payload.get(protocol.KEY_LANGUAGE)
        return negotiate([incoming.language]) if incoming.language else None
