"""What the console shows: the queue, a conversation's brief and transcript, open tickets.

Read-only: every change staff make (claim, reply, hand back, close, a ticket done) is a
handoff transition in `bot/handoff/staff.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.db import Conversation, Database, Handoff, Message, Staff, Ticket, aware, utcnow
from bot.events import Broker
from bot.handoff.staff import StaffActionError, audit
from bot.handoff.states import OPEN_STATUSES

ConsoleError = StaffActionError


@dataclass
class QueueEntry:
    handoff_id: int
    conversation_id: int
    channel: str
    language: str | None
    municipality: str
    status: str
    reason: str
    requested_at: datetime
    claimed_by: str | None
    question: str
    waited_minutes: int
    topic: str | None


@dataclass
class Brief:
    """What a staff member needs before answering: the topic, the question, the bot's answer."""

    topic: str | None
    question: str | None
    bot_answer: str | None


def brief_of(handoff: Handoff, conversation: Conversation, messages: list[Message]) -> Brief:
    cut = handoff.message_id if handoff.message_id is not None else max((m.id for m in messages), default=0)
    # "I want a person" is not the question; a message the bot failed on twice is.
    last_question = cut if handoff.reason == "not_understood" else cut - 1
    questions = [
        m.text for m in messages if m.id <= last_question and m.author == "user" and not m.text.startswith("/")
    ]
    answers = [m.text for m in messages if m.id < cut and m.author == "bot"]
    return Brief(conversation.topic, questions[-1] if questions else None, answers[-1] if answers else None)


class ConsoleService:
    def __init__(self, db: Database, broker: Broker) -> None:
        self.db = db
        self.broker = broker

    async def queue(self) -> list[QueueEntry]:
        """Open handoffs, oldest first, each with the user's last question."""
        now = utcnow()
        async with self.db.sessions() as session:
            found = (
                await session.execute(
                    select(Handoff, Conversation, Staff)
                    .join(Conversation, Conversation.id == Handoff.conversation_id)
                    .outerjoin(Staff, Staff.id == Handoff.claimed_by)
                    .where(Handoff.status.in_([status.value for status in OPEN_STATUSES]))
                    .order_by(Handoff.requested_at)
                )
            ).all()
            entries = []
            for handoff, conversation, staff in found:
                question = await session.scalar(
                    select(Message.text)
                    .where(
                        Message.conversation_id == conversation.id,
                        Message.author == "user",
                        ~Message.text.startswith("/"),
                    )
                    .order_by(Message.id.desc())
                    .limit(1)
                )
                entries.append(
                    QueueEntry(
                        handoff.id,
                        conversation.id,
                        conversation.channel,
                        conversation.language,
                        handoff.municipality,
                        handoff.status,
                        handoff.reason,
                        aware(handoff.requested_at),
                        staff.display_name if staff else None,
                        question or "",
                        int((now - aware(handoff.requested_at)).total_seconds() // 60),
                        conversation.topic,
                    )
                )
        return entries

    async def transcript(
        self, handoff_id: int, opened_by: Staff | None = None
    ) -> tuple[Handoff, Conversation, list[Message]]:
        """The handoff and its transcript; `opened_by` records that a staff member read it."""
        async with self.db.sessions() as session:
            handoff = await session.get(Handoff, handoff_id)
            if handoff is None:
                raise ConsoleError(404, "no such handoff")
            conversation = await session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            messages = list(
                await session.scalars(
                    select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)
                )
            )
            if opened_by is not None:
                audit(session, opened_by, "open", conversation.id, handoff_id)
                await session.commit()
        return handoff, conversation, messages

    async def tickets(self) -> list[tuple[Ticket, Conversation]]:
        async with self.db.sessions() as session:
            found = await session.execute(
                select(Ticket, Conversation)
                .join(Conversation, Conversation.id == Ticket.conversation_id)
                .where(Ticket.status == "open")
                .order_by(Ticket.created_at)
            )
            return [(ticket, conversation) for ticket, conversation in found.all()]
