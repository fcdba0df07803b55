"""Route one incoming message: store it, pick the language, ask Rasa, store the reply.

Every message is written to the database before anything can fail, so nothing a
person sends is lost. When Rasa or the action server cannot answer, the person gets a
translated explanation instead of an error, and the next message is tried normally.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.backends import ActionServerClient, BackendUnavailableError, RasaClient
from bot.channels.base import Button, IncomingMessage, OutgoingMessage, Reply
from bot.db import Conversation, Database, Message, get_or_create_conversation
from bot.language import LanguageDetector
from lotsen.i18n import t
from lotsen.languages import negotiate

log = logging.getLogger(__name__)


def choose_language(conversation: Conversation, incoming: IncomingMessage, detector: LanguageDetector) -> str | None:
    """The channel's explicit language wins; otherwise the conversation keeps its language;
    a conversation without one takes the language a message is clearly written in.

    None means "not known yet": the reply uses the default language, but nothing is
    stored, so a first "hi" does not lock a conversation into Swedish.
    """
    hinted = negotiate([incoming.language_hint]) if incoming.language_hint else None
    if hinted:
        return hinted
    if conversation.language:
        return conversation.language
    detection = detector.detect(incoming.text)
    return detection.code if detection else None


def _rasa_messages(raw: list[dict[str, Any]]) -> list[OutgoingMessage]:
    messages = []
    for item in raw:
        text = item.get("text")
        if not isinstance(text, str) or not text:
            continue
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title")
        )
        messages.append(OutgoingMessage(text=text, buttons=buttons))
    return messages


class ConversationService:
    def __init__(
        self,
        db: Database,
        rasa: RasaClient,
        actions: ActionServerClient,
        detector: LanguageDetector,
        default_language: str,
    ) -> None:
        self.db = db
        self.rasa = rasa
        self.actions = actions
        self.detector = detector
        self.default_language = default_language

    async def _record_incoming(self, incoming: IncomingMessage) -> tuple[Conversation, str]:
        """Store the message first, so it is never lost; settle the conversation's language.

        Two first messages from the same new sender may race to create the conversation;
        the loser retries once and finds the winner's row.
        """
        for attempt in range(2):
            async with self.db.sessions() as session:
                try:
                    conversation = await get_or_create_conversation(session, incoming.channel, incoming.sender)
                    settled = choose_language(conversation, incoming, self.detector)
                    if settled:
                        conversation.language = settled
                    language = settled or self.default_language
                    if incoming.municipality:
                        conversation.municipality = incoming.municipality
                    session.add(Message(conversation_id=conversation.id, author="user", text=incoming.text))
                    await session.commit()
                    return conversation, language
                except IntegrityError:
                    await session.rollback()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    async def handle(self, incoming: IncomingMessage) -> Reply:
        conversation, language = await self._record_incoming(incoming)

        if conversation.mode != "bot":
            # Handoff (issue 5): staff answer; the message is stored and waits for them.
            return Reply(incoming.sender, language, conversation.mode)

        messages, author = await self._ask_rasa(conversation, incoming.text, language)
        async with self.db.sessions() as session:
            session.add_all(
                Message(
                    conversation_id=conversation.id,
                    author=author,
                    text=m.text,
                    buttons=[{"title": b.title, "payload": b.payload} for b in m.buttons] or None,
                )
                for m in messages
            )
            await session.commit()
        return Reply(incoming.sender, language, conversation.mode, messages)

    async def _ask_rasa(
        self, conversation: Conversation, text: str, language: str
    ) -> tuple[list[OutgoingMessage], str]:
        metadata = {
            "language": language,
            "municipality": conversation.municipality,
            "channel": conversation.channel,
        }
        try:
            raw = await self.rasa.send(conversation.rasa_sender_id, text, metadata)
        except BackendUnavailableError as exc:
            log.warning("rasa unavailable for %s: %s", conversation.rasa_sender_id, exc)
            if exc.reason == "starting":
                notice = t(language, "I am just starting up. Please try again in a moment.")
            else:
                notice = t(
                    language, "Sorry, I am having technical problems right now. Please try again in a few minutes."
                )
            return [OutgoingMessage(notice)], "system"

        messages = _rasa_messages(raw)
        if messages:
            return messages, "bot"
        # Every intent has an answer, so silence means an action failed; find out which part.
        actions_state = await self.actions.state()
        log.error("rasa returned no reply for %s (action server %s)", conversation.rasa_sender_id, actions_state)
        if actions_state != "ok":
            notice = t(language, "Sorry, I cannot reach my information right now. Please try again in a few minutes.")
        else:
            notice = t(language, "Sorry, something went wrong. Please try again.")
        return [OutgoingMessage(notice)], "system"
