"""Route one incoming message: store it, settle the language, ask Rasa, store the reply.

Every message is written to the database before anything can fail, so nothing a
person sends is lost. When Rasa or the action server cannot answer, the person gets a
translated explanation instead of an error, and the next message is tried normally.
Language choices (buttons, `/language`) and messages in a language Lotsen does not
speak are answered here, without Rasa.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy.exc import IntegrityError

from bot.backends import ActionServerClient, BackendUnavailableError, RasaClient
from bot.channels.base import Button, IncomingMessage, OutgoingMessage, Reply
from bot.db import Conversation, Database, Message, get_or_create_conversation
from bot.language import LanguageDetector, LanguageState, next_language_state
from lotsen.i18n import N_, t
from lotsen.languages import language_buttons, languages, negotiate, parse_choice
from lotsen.paths import DATA_DIR
from lotsen_nlu.lexicon import Lexicon

log = logging.getLogger(__name__)

LANGUAGE_COMMAND = "/language"
EMERGENCY_NOTICE = N_("If someone's life or health is in danger, call 112 now.")


@dataclass
class Turn:
    """One message after it is stored: the conversation and what it did to the language."""

    conversation: Conversation
    language: str  # the language to answer in
    state: LanguageState
    payload_choice: str | None  # the language a language button's payload chose


def _rasa_reply(raw: list[dict[str, Any]]) -> tuple[list[OutgoingMessage], list[dict[str, Any]]]:
    """Split Rasa's messages into what the person sees and directives for the gateway."""
    messages, directives = [], []
    for item in raw:
        if isinstance(item.get("custom"), dict):
            directives.append(item["custom"])
        text = item.get("text")
        if not isinstance(text, str) or not text:
            continue
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title")
        )
        messages.append(OutgoingMessage(text=text, buttons=buttons))
    return messages, directives


def unsupported_language_notice(other: str) -> OutgoingMessage:
    """In English and Swedish, since we cannot write the person's language; `other` is
    its ISO 639-1 code, named in each notice's own language by CLDR."""
    names = ", ".join(lang.native_name for lang in languages().values())
    lines = []
    for code in ("en", "sv"):
        try:
            name = Locale.parse(other).get_display_name(code) or other
        except (ValueError, UnknownLocaleError):
            name = t(code, "this language")
        notice = N_("Sorry, I cannot read {language} yet. I understand these languages: {names}.")
        lines.append(t(code, notice, language=name, names=names))
    return OutgoingMessage.with_buttons("\n".join(lines), language_buttons())


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
        self.lexicon = Lexicon.load(DATA_DIR / "lexicon")

    async def _record_incoming(self, incoming: IncomingMessage) -> Turn:
        """Store the message first, so it is never lost; settle the conversation's language.

        Two first messages from the same new sender may race to create the conversation;
        the loser retries once and finds the winner's row.
        """
        payload_choice = parse_choice(incoming.text)
        chosen = payload_choice or (negotiate([incoming.language]) if incoming.language else None)
        detection = None if chosen or incoming.text.startswith("/") else self.detector.detect(incoming.text)
        for attempt in range(2):
            async with self.db.sessions() as session:
                try:
                    conversation = await get_or_create_conversation(session, incoming.channel, incoming.sender)
                    state = next_language_state(
                        conversation.language,
                        conversation.pending_language,
                        detection,
                        explicit=chosen,
                        hint=list(incoming.hints),
                    )
                    conversation.language = state.language
                    conversation.pending_language = state.pending
                    if incoming.municipality:
                        conversation.municipality = incoming.municipality
                    session.add(Message(conversation_id=conversation.id, author="user", text=incoming.text))
                    await session.commit()
                    return Turn(conversation, state.language or self.default_language, state, payload_choice)
                except IntegrityError:
                    await session.rollback()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    async def handle(self, incoming: IncomingMessage) -> Reply:
        turn = await self._record_incoming(incoming)
        conversation, language = turn.conversation, turn.language

        if conversation.mode != "bot":
            # Handoff (issue 5): staff answer; the message is stored and waits for them.
            return Reply(incoming.sender, language, conversation.mode)

        emergency = self.lexicon.emergency_match(incoming.text) is not None
        if turn.state.unsupported and not emergency:
            messages, author = [unsupported_language_notice(turn.state.unsupported)], "system"
        elif turn.payload_choice:
            messages, author = [self._confirm_language(language)], "system"
        elif incoming.text.strip().lower() == LANGUAGE_COMMAND:
            messages = [OutgoingMessage.with_buttons(t(language, "Which language would you like?"), language_buttons())]
            author = "system"
        else:
            messages, author, directives = await self._ask_rasa(conversation, incoming.text, language)
            language = await self._apply(conversation, directives) or language
            if emergency and author == "system":
                # Rasa could not answer a possible emergency: the 112 guidance comes first anyway.
                messages.insert(0, OutgoingMessage(t(language, EMERGENCY_NOTICE)))

        await self._store_replies(conversation, author, messages)
        return Reply(incoming.sender, language, conversation.mode, messages)

    @staticmethod
    def _confirm_language(language: str) -> OutgoingMessage:
        name = languages()[language].native_name
        return OutgoingMessage(t(language, "OK, I will write in {language} from now on.", language=name))

    async def _apply(self, conversation: Conversation, directives: list[dict[str, Any]]) -> str | None:
        """Carry out what the actions asked of the gateway; return a newly set language."""
        chosen = None
        for directive in directives:
            if directive.get("set_language") in languages():
                chosen = str(directive["set_language"])
        if chosen:
            async with self.db.sessions() as session:
                stored = await session.get(Conversation, conversation.id)
                if stored is not None:
                    stored.language, stored.pending_language = chosen, None
                    await session.commit()
        return chosen

    async def _store_replies(self, conversation: Conversation, author: str, messages: list[OutgoingMessage]) -> None:
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

    async def _ask_rasa(
        self, conversation: Conversation, text: str, language: str
    ) -> tuple[list[OutgoingMessage], str, list[dict[str, Any]]]:
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
            return [OutgoingMessage(notice)], "system", []

        messages, directives = _rasa_reply(raw)
        if messages:
            return messages, "bot", directives
        # Every intent has an answer, so silence means an action failed; find out which part.
        actions_state = await self.actions.state()
        log.error("rasa returned no reply for %s (action server %s)", conversation.rasa_sender_id, actions_state)
        if actions_state != "ok":
            notice = t(language, "Sorry, I cannot reach my information right now. Please try again in a few minutes.")
        else:
            notice = t(language, "Sorry, something went wrong. Please try again.")
        return [OutgoingMessage(notice)], "system", []
