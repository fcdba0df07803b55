"""Step one: read the conversation, prove the sender, and settle the language.

A new conversation and its first message are stored at once (two first messages may
race to create it). Otherwise nothing is written here: the message, the conversation's
changes and the answer are written together by the pipeline's `store` (one transaction
per turn), or earlier by `persist` when a step needs the message stored (a request for
a person, a message to staff), or when the turn fails (`Pipeline.handle`).

This is the one place the conversation's language is decided: an explicit choice (a
language button, the widget's picker) switches at once; a channel's hint counts while
the conversation has none; otherwise the detector and the stickiness rules in
bot/language.py decide. Payloads and commands are never language-detected.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
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
        for attempt in range(2):
            async with self.db.sessions() as session:
                try:
                    conversation, created = await get_or_create_conversation(session, incoming.channel, incoming.sender)
                    issued = self._prove(incoming, conversation, created)
                    # Buttons and explicit choices are never detected; a short message only
                    # when the conversation has no language yet (it could not change it).
                    known = conversation.language is not None
                    detection = None if chosen or shaped else self.detector.detect(incoming.text, known=known)
                    state = next_language_state(
                        conversation.language, conversation.pending_language, detection, chosen, list(incoming.hints)
                    )
                    changes: dict[str, Any] = {"language": state.language, "pending_language": state.pending}
                    if incoming.municipality:
                        changes["municipality"] = incoming.municipality
                    for name, value in changes.items():
                        setattr(conversation, name, value)
                    message_id = None
                    if created:
                        conversation.last_message_at = utcnow()
                        message = Message(conversation_id=conversation.id, author="user", text=incoming.text)
                        session.add(message)
                        await session.commit()
                        message_id = message.id
                    else:
                        session.expunge(conversation)  # read only: the changes are stored with the answer
                except IntegrityError:
                    await session.rollback()
                    if attempt:
                        raise
                    continue
            emergency = not shaped and self.lexicon.emergency_match(incoming.text) is not None
            language = state.language or self.default_language
            turn = Turn(incoming, conversation, language, state, message_id, payload, emergency)
            turn.issued_token = issued
            turn.persist = self.persist
            if not created:
                turn.changes.update(changes)
            return turn
        raise AssertionError("unreachable")

    @retry_on_disconnect
    async def persist(self, turn: Turn) -> int:
        """Store the user's message and the conversation's changes so far, now."""
        async with self.db.writing() as session:
            await session.execute(
                update(Conversation)
                .where(Conversation.id == turn.conversation.id)
                .values(**turn.changes, last_message_at=utcnow())
            )
            incoming = turn.incoming
            message = Message(
                conversation_id=turn.conversation.id, author="user", text=incoming.text, created_at=turn.received_at
            )
            session.add(message)
            await session.commit()
            return message.id

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
