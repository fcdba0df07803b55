"""Route one incoming message: store it, settle the language, ask Rasa, store the reply.

Every message is written to the database before anything can fail, so nothing a
person sends is lost. When Rasa or the action server cannot answer, the person gets a
translated explanation instead of an error, and the next message is tried normally.
Language choices (buttons, `/language`) and messages in a language Lotsen does not
speak are answered here, without Rasa.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.backends import ActionServerClient, BackendUnavailableError, RasaClient
from bot.channels.base import Button, IncomingMessage, OutgoingMessage, Reply
from bot.db import Conversation, Database, Message, get_or_create_conversation
from bot.dbretry import retry_on_disconnect
from bot.erasure import erase_conversation
from bot.handoff import LEAVE_MESSAGE, STOP_WAITING, HandoffService, parse_human_request
from bot.language import LanguageDetector, LanguageState, next_language_state
from lotsen.i18n import N_, t
from lotsen.languages import language_buttons, languages, negotiate, parse_choice
from lotsen.municipalities import OTHER as OTHER_MUNICIPALITY
from lotsen.municipalities import choice_payload as municipality_choice
from lotsen.municipalities import municipalities
from lotsen.municipalities import parse_choice as parse_municipality_choice
from lotsen.paths import DATA_DIR
from lotsen_nlu.lexicon import Lexicon

log = logging.getLogger(__name__)

LANGUAGE_COMMAND = "/language"
MUNICIPALITY_COMMAND = "/municipality"
START_COMMAND = "/start"
FORGET_COMMAND = "/forget"
FORGET_CONFIRM = "/forget_confirm"
UNANSWERED_REASONS = ("not_understood", "out_of_scope")
TOPIC_PATTERN = re.compile(r"^ask_[a-z_]{1,60}$")
EMERGENCY_NOTICE = N_("If someone's life or health is in danger, call 112 now.")


@dataclass
class Turn:
    """One message after it is stored: the conversation and what it did to the language."""

    conversation: Conversation
    language: str  # the language to answer in
    state: LanguageState
    payload_choice: str | None  # the language a language button's payload chose
    message_id: int  # the stored user message


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


def municipality_question(language: str) -> OutgoingMessage:
    buttons = [{"title": name, "payload": municipality_choice(code)} for code, name in municipalities().items()]
    buttons.append({"title": t(language, "Another municipality"), "payload": municipality_choice(OTHER_MUNICIPALITY)})
    return OutgoingMessage.with_buttons(t(language, "Which municipality do you live in?"), buttons)


def municipality_confirmation(language: str, municipality: str) -> OutgoingMessage:
    if municipality == OTHER_MUNICIPALITY:
        text = t(language, "OK. I will give you the answers that apply everywhere in Sweden.")
    else:
        text = t(
            language,
            "I will answer for {municipality} from now on. Write /municipality to change it.",
            municipality=municipalities()[municipality],
        )
    return OutgoingMessage(text)


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
        handoff: HandoffService | None = None,
        tracker_url: str | None = None,
    ) -> None:
        self.db = db
        self.rasa = rasa
        self.actions = actions
        self.detector = detector
        self.default_language = default_language
        self.handoff = handoff  # None: staff handoff is switched off (LOTSEN_HANDOFF=false)
        self.tracker_url = tracker_url  # Rasa's tracker store, for erasing a conversation
        self.lexicon = Lexicon.load(DATA_DIR / "lexicon")

    @retry_on_disconnect
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
                    message = Message(conversation_id=conversation.id, author="user", text=incoming.text)
                    session.add(message)
                    await session.commit()
                    language = state.language or self.default_language
                    return Turn(conversation, language, state, payload_choice, message.id)
                except IntegrityError:
                    await session.rollback()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    async def handle(self, incoming: IncomingMessage) -> Reply:
        turn = await self._record_incoming(incoming)
        conversation, language = turn.conversation, turn.language

        expired = await self.handoff.expire_if_unclaimed(conversation, language) if self.handoff else []
        if expired:  # already stored by the handoff service
            return Reply(incoming.sender, language, conversation.mode, expired)
        if conversation.mode == "waiting" and self.handoff is not None and incoming.text.strip() == STOP_WAITING:
            left = await self.handoff.stop_waiting(conversation, language)
            await self._store_replies(conversation, "system", left)
            return Reply(incoming.sender, language, conversation.mode, left)
        if conversation.mode != "bot":
            # Staff answer (waiting or human): the message is stored and shown to them live.
            if self.handoff is not None:
                await self.handoff.user_wrote(conversation)
            return Reply(incoming.sender, language, conversation.mode)
        if self.handoff is not None and (handled := await self._handoff_step(turn, incoming.text, language)):
            await self._store_replies(conversation, "system", handled)
            return Reply(incoming.sender, language, conversation.mode, handled)

        emergency = self.lexicon.emergency_match(incoming.text) is not None
        if turn.state.unsupported and not emergency:
            messages, author = [unsupported_language_notice(turn.state.unsupported)], "system"
        elif turn.payload_choice:
            messages, author = [self._confirm_language(language)], "system"
        elif incoming.text.strip().lower() == LANGUAGE_COMMAND:
            messages = [OutgoingMessage.with_buttons(t(language, "Which language would you like?"), language_buttons())]
            author = "system"
        elif incoming.text.strip().lower() == START_COMMAND:
            messages, author = self._welcome(language), "system"
        elif incoming.text.strip().lower() == FORGET_COMMAND:
            question = t(language, "Do you want me to delete this whole conversation? This cannot be undone.")
            buttons = [{"title": t(language, "Yes, delete everything"), "payload": FORGET_CONFIRM}]
            messages, author = [OutgoingMessage.with_buttons(question, buttons)], "system"
        elif incoming.text.strip() == FORGET_CONFIRM:
            erased = await erase_conversation(self.db, conversation, self.tracker_url)
            done = t(language, "Done. I have deleted this conversation and everything Lotsen kept about it.")
            if not erased:
                log.error("conversation %s forgotten in the gateway only", conversation.id)
            return Reply(incoming.sender, language, "bot", [OutgoingMessage(done)])
        elif incoming.text.strip().lower() == MUNICIPALITY_COMMAND:
            messages, author = [municipality_question(language)], "system"
        elif (municipality := parse_municipality_choice(incoming.text)) is not None:
            await self._apply(turn, [{"set_municipality": municipality}])
            messages, author = [municipality_confirmation(language, municipality)], "system"
        else:
            messages, author, directives = await self._ask_rasa(conversation, incoming.text, language)
            language = await self._apply(turn, directives) or language
            if self.handoff is not None:
                if any(d.get("handoff") == "request" for d in directives):
                    messages = await self.handoff.request(conversation, language, "asked", turn.message_id)
                elif await self._failed_twice(turn, directives):
                    messages += await self.handoff.request(conversation, language, "not_understood", turn.message_id)
            if emergency and author == "system":
                # Rasa could not answer a possible emergency: the 112 guidance comes first anyway.
                messages.insert(0, OutgoingMessage(t(language, EMERGENCY_NOTICE)))

        await self._store_replies(conversation, author, messages)
        return Reply(incoming.sender, language, conversation.mode, messages)

    async def _handoff_step(self, turn: Turn, text: str, language: str) -> list[OutgoingMessage]:
        """A request for a person, a message left for staff, or nothing (then ask Rasa)."""
        assert self.handoff is not None
        conversation = turn.conversation
        if conversation.leaving_message:
            return await self.handoff.take_message(conversation, text, language)
        if text.strip() == LEAVE_MESSAGE:
            return await self.handoff.start_message(conversation, language)
        is_request, municipality = parse_human_request(text)
        if not is_request:
            return []
        if municipality:
            await self._apply(turn, [{"set_municipality": municipality}])
        return await self.handoff.request(conversation, language, "asked", turn.message_id)

    async def _failed_twice(self, turn: Turn, directives: list[dict[str, Any]]) -> bool:
        """This message and the user's previous one were both not understood."""
        if not any(d.get("unanswered") == "not_understood" for d in directives):
            return False
        async with self.db.sessions() as session:
            previous = await session.scalar(
                select(Message.unanswered)
                .where(
                    Message.conversation_id == turn.conversation.id,
                    Message.author == "user",
                    Message.id < turn.message_id,
                )
                .order_by(Message.id.desc())
                .limit(1)
            )
        return previous == "not_understood"

    @staticmethod
    def _welcome(language: str) -> list[OutgoingMessage]:
        """First contact: what Lotsen is, the language to confirm, and the municipality."""
        greeting = t(
            language,
            "Welcome to Lotsen! I answer questions about getting started in Sweden, in your language. "
            "Is this your language? If not, choose yours.",
        )
        return [OutgoingMessage.with_buttons(greeting, language_buttons()), municipality_question(language)]

    @staticmethod
    def _confirm_language(language: str) -> OutgoingMessage:
        name = languages()[language].native_name
        return OutgoingMessage(t(language, "OK, I will write in {language} from now on.", language=name))

    @retry_on_disconnect
    async def _apply(self, turn: Turn, directives: list[dict[str, Any]]) -> str | None:
        """Carry out what the actions asked of the gateway; return a newly set language.

        `set_language` and `set_municipality` change the conversation, `topic` notes what
        was answered (for the staff's brief); `unanswered` marks the user's message for
        the editors' feed.
        """
        changes: dict[str, Any] = {}
        unanswered = None
        for directive in directives:
            if directive.get("set_language") in languages():
                changes.update(language=str(directive["set_language"]), pending_language=None)
            municipality = directive.get("set_municipality")
            if municipality in municipalities() or municipality == OTHER_MUNICIPALITY:
                changes["municipality"] = municipality
            if directive.get("unanswered") in UNANSWERED_REASONS:
                unanswered = str(directive["unanswered"])
            topic = directive.get("topic")
            if isinstance(topic, str) and TOPIC_PATTERN.match(topic):
                changes["topic"] = topic
        if changes or unanswered:
            async with self.db.sessions() as session:
                stored = await session.get(Conversation, turn.conversation.id)
                if stored is not None:
                    for name, value in changes.items():
                        setattr(stored, name, value)
                        setattr(turn.conversation, name, value)
                if unanswered and (message := await session.get(Message, turn.message_id)) is not None:
                    message.unanswered = unanswered
                await session.commit()
        return changes.get("language")

    @retry_on_disconnect
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
