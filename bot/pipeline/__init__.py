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
from typing import Any, cast

from sqlalchemy import Table, insert, update

from bot.channels.base import DeliveryFailedError, IncomingMessage, OutputChannel, Reply
from bot.db import Conversation, Database, Message, OutboxEntry, utcnow
from bot.dbretry import retry_on_disconnect
from bot.outbox import Outbox
from bot.pipeline.record import Recorder
from bot.pipeline.turn import Turn

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
        first. Returns whether replies went to the outbox (the channel is pushed to).

        Plain SQL statements rather than the ORM's unit of work: this runs for every
        message, and the ORM's bookkeeping took more than half of its CPU (make bench)."""
        if turn.erased or not (turn.message_id is None or turn.changes or turn.unanswered or turn.replies):
            return False
        push = self._pushed(turn.conversation.channel)
        conversation_id = turn.conversation.id
        now = utcnow()
        marks: dict[str, Any] = {"unanswered": turn.unanswered} if turn.unanswered else {}
        if reading := turn.directives.reading:
            marks["intent"], marks["confidence"] = reading
        rows: list[dict[str, Any]] = []
        if turn.message_id is None:  # first: its id is below the replies'
            rows.append(_message_row(conversation_id, "user", turn.incoming.text, turn.received_at, **marks))
        topic = turn.directives.topic if turn.author == "bot" else None  # the brief reads it in Swedish
        for index, reply in enumerate(turn.replies):
            buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons] or None
            extra = {"topic": topic} if index == 0 and topic else {}
            rows.append(_message_row(conversation_id, turn.author, reply.text, now, buttons=buttons, **extra))
        async with self.db.writing() as session:
            row = update(CONVERSATIONS).where(CONVERSATIONS.c.id == conversation_id)
            changed = await session.execute(row.values({**turn.changes, "last_message_at": now}))
            if not changed.rowcount:  # type: ignore[attr-defined]  # erased meanwhile (e.g. from another device)
                return False
            if turn.message_id is not None and marks:
                await session.execute(update(MESSAGES).where(MESSAGES.c.id == turn.message_id).values(marks))
            if rows and not push:
                await session.execute(insert(MESSAGES), rows)
            elif rows:  # each reply also gets its outbox entry, delivered even if the gateway stops now
                returning = insert(MESSAGES).returning(MESSAGES.c.id, sort_by_parameter_order=True)
                ids = list((await session.execute(returning, rows)).scalars())[len(rows) - len(turn.replies) :]
                channel = turn.conversation.channel
                entries = [{"conversation_id": conversation_id, "message_id": i, "channel": channel} for i in ids]
                if entries:
                    await session.execute(insert(OUTBOX), entries)
            await session.commit()
        return push and bool(turn.replies)


CONVERSATIONS = cast(Table, Conversation.__table__)
MESSAGES = cast(Table, Message.__table__)
OUTBOX = cast(Table, OutboxEntry.__table__)
# Every column a turn's message rows name, so one INSERT statement serves them all.
_MESSAGE_DEFAULTS = {"buttons": None, "unanswered": None, "intent": None, "confidence": None, "topic": None}


def _message_row(conversation_id: int, author: str, text: str, now: Any, **columns: Any) -> dict[str, Any]:
    return {**_MESSAGE_DEFAULTS, "conversation_id": conversation_id, "author": author, "text": text,
            "created_at": now, **columns}  # fmt: skip
