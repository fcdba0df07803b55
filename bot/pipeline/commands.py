"""Step two: slash commands and buttons the gateway answers itself, as one table.

A new command is one line in `Commands.table`. `during_handoff` commands also work while
the user waits for or talks with staff (choosing a language, deleting the conversation,
leaving the queue); the others wait until the bot answers again.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.base import OutgoingMessage
from bot.db import Database, aware
from bot.erasure import erase_conversation
from bot.feedback import FeedbackService
from bot.handoff import Handoff
from bot.pipeline import replies
from bot.pipeline.turn import Turn
from lotsen import protocol, sentences
from lotsen.municipalities import OTHER, municipalities

CONFIRMATION_LIFETIME = timedelta(minutes=10)

Handler = Callable[[Turn], Awaitable[bool]]


@dataclass(frozen=True)
class Command:
    handler: Handler
    during_handoff: bool = False


class Commands:
    def __init__(
        self,
        db: Database,
        handoff: Handoff,
        tracker_url: str | None,
        clock: Callable[[], datetime],
        feedback: FeedbackService | None = None,
    ) -> None:
        self.db = db
        self.handoff = handoff
        self.feedback = feedback or FeedbackService(db, clock)
        self.tracker_url = tracker_url
        self.clock = clock
        self.table: dict[str, Command] = {
            protocol.START: Command(self.start),
            protocol.LANGUAGE: Command(self.language, during_handoff=True),
            protocol.CHOOSE_LANGUAGE: Command(self.choose_language, during_handoff=True),
            protocol.MUNICIPALITY: Command(self.municipality),
            protocol.CHOOSE_MUNICIPALITY: Command(self.choose_municipality),
            protocol.FORGET: Command(self.forget, during_handoff=True),
            protocol.FORGET_CONFIRM: Command(self.forget_confirm, during_handoff=True),
            protocol.HUMAN: Command(self.human),
            protocol.LEAVE_MESSAGE: Command(self.leave_message),
            protocol.STOP_WAITING: Command(self.stop_waiting, during_handoff=True),
            protocol.CALLBACK: Command(self.callback),
            protocol.CALLBACK_WINDOW: Command(self.callback_window),
            protocol.CALLBACK_CANCEL: Command(self.callback_cancel),
            protocol.FEEDBACK: Command(self.vote),
        }

    async def __call__(self, turn: Turn) -> bool:
        """Answer the turn if it is a command this table knows (and may run now)."""
        if turn.payload is None:
            return False
        if turn.payload.name != protocol.FEEDBACK:
            await self.feedback.forget_pending(turn.conversation)  # a button instead of a reason
        if (command := self.table.get(turn.payload.name)) is None:
            return False
        if turn.conversation.mode != "bot" and not command.during_handoff:
            return False
        await turn.stored_message_id()  # commands are rare; some point at the message
        return await command.handler(turn)

    async def start(self, turn: Turn) -> bool:
        """`/start`, or a deep link that names the municipality (`t.me/<bot>?start=linkoping`)."""
        chosen = turn.payload.get(protocol.KEY_MUNICIPALITY) if turn.payload else None
        if chosen in municipalities():
            turn.change(municipality=chosen)
        return turn.say(replies.welcome(turn.language, ask_municipality=turn.conversation.municipality is None))

    async def language(self, turn: Turn) -> bool:
        return turn.say([replies.language_question(turn.language)])

    async def choose_language(self, turn: Turn) -> bool:
        """The record step already switched the language; confirm it in the new one."""
        if not turn.state.language or turn.payload is None:
            return False
        if turn.payload.get(protocol.KEY_LANGUAGE) != turn.language:
            return False  # an unknown language code: treat as an ordinary message
        return turn.say([OutgoingMessage(sentences.language_confirmation(turn.language))])

    async def municipality(self, turn: Turn) -> bool:
        return turn.say([replies.municipality_question(turn.language)])

    async def choose_municipality(self, turn: Turn) -> bool:
        chosen = turn.payload.get(protocol.KEY_MUNICIPALITY) if turn.payload else None
        if chosen not in municipalities() and chosen != OTHER:
            return False
        turn.change(municipality=chosen)
        return turn.say([OutgoingMessage(sentences.municipality_confirmation(turn.language, str(chosen)))])

    async def forget(self, turn: Turn) -> bool:
        """Ask first; the button carries a one-time nonce that expires, so an old button
        can never delete a newer conversation."""
        nonce = secrets.token_hex(8)
        turn.change(confirm_nonce=nonce, confirm_expires_at=self.clock() + CONFIRMATION_LIFETIME)
        return turn.say([replies.forget_question(turn.language, nonce)])

    async def forget_confirm(self, turn: Turn) -> bool:
        conversation = turn.conversation
        sent = turn.payload.get(protocol.KEY_NONCE) if turn.payload else None
        expires = conversation.confirm_expires_at
        valid = (
            sent is not None
            and conversation.confirm_nonce is not None
            and secrets.compare_digest(sent, conversation.confirm_nonce)
            and expires is not None
            and aware(expires) > self.clock()
        )
        if not valid:  # an old or forged button; a newer valid one stays valid
            return turn.say([replies.confirmation_expired(turn.language)])
        everywhere = await erase_conversation(self.db, conversation, self.tracker_url)
        turn.erased = True
        conversation.mode = "bot"
        done = replies.forgotten(turn.language) if everywhere else replies.forgotten_soon(turn.language)
        return turn.say([done])

    async def human(self, turn: Turn) -> bool:
        chosen = turn.payload.get(protocol.KEY_MUNICIPALITY) if turn.payload else None
        if chosen in municipalities():
            turn.change(municipality=chosen)
        # "Continue in Swedish" switched the language in the record step; "wait anyway" queues
        # even though nobody at the office speaks the user's language.
        anyway = turn.payload is not None and turn.payload.get(protocol.KEY_ANYWAY) == "yes"
        handoff = self.handoff.request(
            turn.conversation, turn.language, "asked", turn.message_id, turn.incoming.flood_key, anyway=anyway
        )
        return turn.say(await handoff)

    async def callback(self, turn: Turn) -> bool:
        return turn.say(await self.handoff.start_callback(turn.conversation, turn.language))

    async def callback_window(self, turn: Turn) -> bool:
        window = turn.payload.get(protocol.KEY_WINDOW) if turn.payload else None
        return turn.say(await self.handoff.choose_callback_window(turn.conversation, window, turn.language))

    async def vote(self, turn: Turn) -> bool:
        """ "Did this help?" 👍/👎 (a malformed one is ordinary text for the bot)."""
        payload = turn.payload
        topic = payload.get(protocol.KEY_TOPIC) if payload else None
        value = payload.get(protocol.KEY_VALUE) if payload else None
        if replies_ := await self.feedback.vote(turn.conversation, topic, value, turn.language):
            return turn.say(replies_)
        return False

    async def callback_cancel(self, turn: Turn) -> bool:
        return turn.say(await self.handoff.cancel_callback(turn.conversation, turn.language))

    async def leave_message(self, turn: Turn) -> bool:
        return turn.say(await self.handoff.start_message(turn.conversation, turn.language))

    async def stop_waiting(self, turn: Turn) -> bool:
        if turn.conversation.mode != "waiting":
            return False
        return turn.say(await self.handoff.stop_waiting(turn.conversation, turn.language))
