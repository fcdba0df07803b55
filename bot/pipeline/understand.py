"""Steps three and four: the handoff gate, then Rasa, then what the actions asked for.

The gate keeps a conversation that a person owns (waiting or with staff) away from
Rasa: the message is stored and shown to staff live. Otherwise Rasa answers; its `custom`
messages are the actions' directives (lotsen/protocol.py), read with their types
checked. When Rasa or the action server cannot answer, the person gets a translated
explanation, and a possible emergency still gets the 112 line first.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, true

from bot.backends import ActionServerClient, BackendUnavailableError, RasaClient
from bot.channels.base import Button, OutgoingMessage
from bot.db import Database, Message
from bot.feedback import FeedbackService
from bot.handoff import Handoff
from bot.pipeline import replies
from bot.pipeline.turn import Turn
from lotsen import protocol
from lotsen.languages import languages
from lotsen.municipalities import OTHER, municipalities

log = logging.getLogger(__name__)


def parse_rasa_reply(raw: list[dict[str, Any]]) -> tuple[list[OutgoingMessage], protocol.Directives]:
    """Split Rasa's messages into what the person sees and the actions' directives."""
    messages, customs = [], []
    for item in raw:
        if isinstance(item.get("custom"), dict):
            customs.append(item["custom"])
        text = item.get("text")
        if not isinstance(text, str) or not text:
            continue
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", "")))
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title")
        )
        messages.append(OutgoingMessage(text=text, buttons=buttons))
    return messages, protocol.parse_directives(customs)


class Gate:
    """Who answers: a person (the message waits for them) or the bot."""

    def __init__(self, handoff: Handoff, feedback: FeedbackService) -> None:
        self.handoff = handoff
        self.feedback = feedback

    async def __call__(self, turn: Turn) -> bool:
        conversation = turn.conversation
        plain = conversation.mode == "bot" and conversation.callback_step is None
        if not plain or conversation.feedback_pending is not None or conversation.leaving_message:
            await turn.stored_message_id()  # staff see it live; a ticket or a feedback reason points at it
        if expired := await self.handoff.expire_if_unclaimed(conversation, turn.language):
            return turn.say(expired)
        if conversation.mode != "bot":
            await self.handoff.user_wrote(conversation)
            return True  # staff answer; nothing from the bot
        if conversation.callback_step is not None:
            if turn.emergency:  # the bot answers: 112 first, the callback is dropped
                await self.handoff.cancel_callback(conversation, turn.language)
                return False
            if arranged := await self.handoff.callback_input(conversation, turn.incoming.text, turn.language):
                return turn.say(arranged)
            return False  # no number: the user moved on, the bot answers
        if conversation.feedback_pending is not None:
            if turn.emergency or turn.payload is not None:  # 112 first / a button: the bot answers
                await self.feedback.forget_pending(conversation)
                return False
            return turn.say(await self.feedback.take_reason(conversation, turn.incoming.text, turn.language))
        if conversation.leaving_message:
            left = await self.handoff.take_message(
                conversation, turn.incoming.text, turn.language, turn.incoming.flood_key
            )
            # A message left for staff may be a cry for help: 112 comes first all the same.
            first = [replies.emergency_first(turn.language)] if turn.emergency else []
            return turn.say([*first, *left])
        return False


class Understand:
    """Ask Rasa, keep its answer and the actions' directives on the turn."""

    def __init__(self, rasa: RasaClient, actions: ActionServerClient) -> None:
        self.rasa = rasa
        self.actions = actions

    async def __call__(self, turn: Turn) -> bool:
        if turn.state.unsupported is not None and not turn.emergency:
            return turn.say([replies.unsupported_language(turn.state.unsupported)])
        conversation = turn.conversation
        metadata = protocol.metadata(turn.language, conversation.municipality, conversation.channel)
        try:
            raw = await self.rasa.send(conversation.rasa_sender_id, turn.incoming.text, metadata)
        except BackendUnavailableError as exc:
            log.warning("rasa unavailable for conversation %s: %s", conversation.id, exc)
            return self._failed(turn, replies.backend_down(turn.language, exc.reason))
        messages, turn.directives = parse_rasa_reply(raw)
        if messages or turn.directives.handoff:
            turn.say(messages, author="bot")
            return False  # answered (a request for a person is answered by the gateway next)
        # Every intent has an answer, so silence means an action failed; find out which part.
        actions_state = await self.actions.state()
        log.error("rasa returned no reply for conversation %s (action server %s)", conversation.id, actions_state)
        return self._failed(turn, replies.actions_down(turn.language, actions_state == "ok"))

    @staticmethod
    def _failed(turn: Turn, notice: OutgoingMessage) -> bool:
        first = [replies.emergency_first(turn.language)] if turn.emergency else []
        return turn.say([*first, notice])


class FollowDirectives:
    """Carry out what the actions asked: remember a language, a municipality, the topic;
    mark an unanswered question; hand over to a person when asked, or after the bot
    failed to understand twice in a row."""

    def __init__(self, db: Database, handoff: Handoff) -> None:
        self.db = db
        self.handoff = handoff

    async def __call__(self, turn: Turn) -> bool:
        directives = turn.directives
        if directives.language in languages():
            turn.change(language=directives.language, pending_language=None)
            turn.language = str(directives.language)
        if directives.municipality in municipalities() or directives.municipality == OTHER:
            turn.change(municipality=directives.municipality)
        if directives.topic:
            turn.change(topic=directives.topic)
        turn.unanswered = directives.unanswered
        if directives.handoff:
            message_id = await turn.stored_message_id()  # the queue entry points at it
            turn.replies = await self.handoff.request(turn.conversation, turn.language, "asked", message_id)
        elif directives.not_understood and self.handoff.enabled and await self._failed_before(turn):
            message_id = await turn.stored_message_id()
            turn.replies += await self.handoff.request(turn.conversation, turn.language, "not_understood", message_id)
        return True

    async def _failed_before(self, turn: Turn) -> bool:
        """The user's previous message was not understood either."""
        async with self.db.sessions() as session:
            previous = await session.scalar(
                select(Message.unanswered)
                .where(
                    Message.conversation_id == turn.conversation.id,
                    Message.author == "user",
                    # Not stored yet (stored with the answer): the last stored one is the previous.
                    Message.id < turn.message_id if turn.message_id is not None else true(),
                )
                .order_by(Message.id.desc())
                .limit(1)
            )
        return previous == protocol.NOT_UNDERSTOOD
