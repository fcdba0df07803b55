"""The turn pipeline: one message from any channel, through the gateway, to its answer.

    record → commands → handoff gate → understand (Rasa) → follow directives → store → deliver

Each step is a small object with one job (`record.py`, `commands.py`, `understand.py`);
a step that answers the turn ends the middle part. `store` writes what the turn changed
and every reply in one transaction (with outbox entries when the channel is pushed to);
`deliver` pushes those at once. docs/architecture.md draws the same flow.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import update

from bot.channels.base import DeliveryFailedError, IncomingMessage, OutputChannel, Reply
from bot.db import Conversation, Database, Message, utcnow
from bot.dbretry import retry_on_disconnect
from bot.outbox import Outbox
from bot.pipeline.record import Recorder
from bot.pipeline.turn import Turn
from bot.repository import store_messages

log = logging.getLogger(__name__)

Step = Callable[[Turn], Awaitable[bool]]


class Pipeline:
    def __init__(
        self,
        db: Database,
        recorder: Recorder,
        steps: list[Step],
        channels: Mapping[str, OutputChannel],
        outbox: Outbox,
    ) -> None:
        self.db = db
        self.recorder = recorder
        self.steps = steps  # commands, gate, understand, follow directives
        self.channels = channels
        self.outbox = outbox

    async def handle(self, incoming: IncomingMessage) -> Reply:
        turn = await self.recorder.record(incoming)
        try:
            for step in self.steps:
                if await step(turn):
                    break
        except Exception:
            # A failing step must not lose the message: store it, then fail as before.
            if turn.message_id is None and not turn.erased:
                await turn.stored_message_id()
            raise
        if await self.store(turn):
            await self.outbox.announce(turn.conversation.id)
        elif turn.erased:
            await self._tell_erased(turn)
        return turn.reply()

    async def _tell_erased(self, turn: Turn) -> None:
        """The conversation is gone, so "deleted" cannot be stored or queued: a pushed
        channel sends it once, now (the web answers it in the response)."""
        channel = self.channels.get(turn.conversation.channel)
        if channel is None or channel.replies_in_response:
            return
        transient = [Message(text=m.text, buttons=[b.__dict__ for b in m.buttons] or None) for m in turn.replies]
        try:
            await channel.deliver(turn.conversation, transient)
        except DeliveryFailedError as exc:
            log.warning("could not tell a user their conversation was deleted: %s", exc)

    def _pushed(self, channel: str) -> bool:
        output = self.channels.get(channel)
        return output is not None and not output.replies_in_response

    @retry_on_disconnect
    async def store(self, turn: Turn) -> bool:
        """The user's message (unless a step stored it already), the conversation's changes,
        the unanswered mark and the replies, in one transaction, without reading anything
        first. Returns whether replies went to the outbox (the channel is pushed to)."""
        if turn.erased or not (turn.message_id is None or turn.changes or turn.unanswered or turn.replies):
            return False
        push = self._pushed(turn.conversation.channel)
        conversation = turn.conversation
        async with self.db.writing() as session:
            values = {**turn.changes, "last_message_at": utcnow()}
            row = update(Conversation).where(Conversation.id == conversation.id)
            changed = await session.execute(row.values(values))
            if not changed.rowcount:  # type: ignore[attr-defined]  # erased meanwhile (e.g. from another device)
                return False
            reading = turn.directives.reading
            marks: dict[str, Any] = {"unanswered": turn.unanswered} if turn.unanswered else {}
            if reading:
                marks["intent"], marks["confidence"] = reading
            if turn.message_id is None:  # added first: its id is below the replies'
                session.add(Message(conversation_id=conversation.id, author="user", text=turn.incoming.text, **marks))
            elif marks:
                await session.execute(update(Message).where(Message.id == turn.message_id).values(**marks))
            stored = await store_messages(session, conversation, turn.author, turn.replies, push=push)
            if turn.author == "bot" and turn.directives.topic and stored:
                stored[0].topic = turn.directives.topic  # the brief reads this answer in Swedish
            await session.commit()
        return push and bool(turn.replies)
