"""What staff do with handoffs: see the queue, claim, reply, hand back, close, tickets.

Claiming is one conditional UPDATE (`… WHERE status = 'waiting'`), so two staff members
clicking at once cannot both win; every later action checks that the actor is the one
who claimed. Each change is stored first and then announced to open consoles (`live`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.live import Broker
from bot.db import AuditEntry, Conversation, Database, Handoff, Message, Staff, Ticket, utcnow
from lotsen.i18n import t
from lotsen.knowledge import KnowledgeStore
from lotsen.municipalities import municipalities

BRIEF_MESSAGES = 6


class ConsoleError(Exception):
    """A staff action that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


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


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class ConsoleService:
    def __init__(self, db: Database, store: KnowledgeStore, broker: Broker) -> None:
        self.db = db
        self.store = store
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
                    .where(Handoff.status.in_(("waiting", "claimed")))
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
                        _aware(handoff.requested_at),
                        staff.display_name if staff else None,
                        question or "",
                        int((now - _aware(handoff.requested_at)).total_seconds() // 60),
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
                self._audit(session, opened_by, "open", conversation.id, handoff_id)
                await session.commit()
        return handoff, conversation, messages

    async def _announce(self, conversation_id: int, message: Message) -> None:
        """Consoles refresh the transcript; the user's channel delivers the message."""
        await self.broker.publish({"type": "message", "conversation": conversation_id})
        await self.broker.publish({"type": "deliver", "conversation": conversation_id, "messages": [message.id]})

    @staticmethod
    def _audit(
        session: AsyncSession,
        staff: Staff,
        action: str,
        conversation_id: int | None,
        handoff_id: int | None = None,
        ticket_id: int | None = None,
    ) -> None:
        """Recorded in the same transaction as the action: both happen or neither."""
        session.add(
            AuditEntry(
                actor=staff.username,
                action=action,
                conversation_id=conversation_id,
                handoff_id=handoff_id,
                ticket_id=ticket_id,
            )
        )

    @staticmethod
    async def _to_user(session: AsyncSession, conversation: Conversation, author: str, text: str) -> Message:
        message = Message(conversation_id=conversation.id, author=author, text=text)
        session.add(message)
        return message

    async def claim(self, handoff_id: int, staff: Staff) -> None:
        async with self.db.sessions() as session:
            result = await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == "waiting")
                .values(status="claimed", claimed_by=staff.id, claimed_at=utcnow())
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                handoff = await session.get(Handoff, handoff_id)
                if handoff is None:
                    raise ConsoleError(404, "no such handoff")
                if handoff.status == "claimed" and handoff.claimed_by == staff.id:
                    return
                raise ConsoleError(409, "another staff member has already taken this conversation")
            handoff = await session.get(Handoff, handoff_id)
            assert handoff is not None
            conversation = await session.get(Conversation, handoff.conversation_id)
            assert conversation is not None
            conversation.mode = "human"
            language = conversation.language or "sv"
            office = self.store.get().handoff_office(handoff.municipality)
            text = t(
                language,
                "{name} from {office} is now chatting with you.",
                name=staff.display_name,
                office=office.name if office else municipalities().get(handoff.municipality, ""),
            )
            notice = await self._to_user(session, conversation, "system", text)
            self._audit(session, staff, "claim", conversation.id, handoff_id)
            await session.commit()
        await self.broker.publish({"type": "queue"})
        await self._announce(conversation.id, notice)

    @staticmethod
    async def _claimed(session: AsyncSession, handoff_id: int, staff: Staff) -> tuple[Handoff, Conversation]:
        handoff = await session.get(Handoff, handoff_id)
        if handoff is None:
            raise ConsoleError(404, "no such handoff")
        if handoff.status != "claimed":
            raise ConsoleError(409, "claim the conversation first")
        if handoff.claimed_by != staff.id:
            raise ConsoleError(403, "another staff member is handling this conversation")
        conversation = await session.get(Conversation, handoff.conversation_id)
        assert conversation is not None
        return handoff, conversation

    async def reply(self, handoff_id: int, staff: Staff, text: str) -> Message:
        text = text.strip()
        if not text:
            raise ConsoleError(400, "the reply is empty")
        if len(text) > 4000:
            raise ConsoleError(413, "the reply is longer than 4,000 characters")
        async with self.db.sessions() as session:
            _, conversation = await self._claimed(session, handoff_id, staff)
            message = await self._to_user(session, conversation, "staff", text)
            message.author_name = staff.display_name
            self._audit(session, staff, "reply", conversation.id, handoff_id)
            await session.commit()
        await self._announce(conversation.id, message)
        return message

    async def end(self, handoff_id: int, staff: Staff, status: str) -> None:
        """Hand the conversation back to the bot (`handed_back`) or end the chat (`closed`)."""
        async with self.db.sessions() as session:
            handoff, conversation = await self._claimed(session, handoff_id, staff)
            handoff.status, handoff.ended_at = status, utcnow()
            conversation.mode = "bot"
            language = conversation.language or "sv"
            if status == "handed_back":
                text = t(
                    language,
                    "You are back with Lotsen, the automatic assistant. Ask me anything, or write /human "
                    "to talk to a person again.",
                )
            else:
                text = t(
                    language,
                    "The staff member has ended the chat. "
                    "Lotsen, the automatic assistant, is here if you have more questions.",
                )
            notice = await self._to_user(session, conversation, "system", text)
            self._audit(session, staff, status, conversation.id, handoff_id)
            await session.commit()
        await self.broker.publish({"type": "queue"})
        await self._announce(conversation.id, notice)

    async def tickets(self) -> list[tuple[Ticket, Conversation]]:
        async with self.db.sessions() as session:
            found = await session.execute(
                select(Ticket, Conversation)
                .join(Conversation, Conversation.id == Ticket.conversation_id)
                .where(Ticket.status == "open")
                .order_by(Ticket.created_at)
            )
            return [(ticket, conversation) for ticket, conversation in found.all()]

    async def ticket_done(self, ticket_id: int, staff: Staff) -> None:
        async with self.db.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                raise ConsoleError(404, "no such ticket")
            ticket.status, ticket.handled_by = "done", staff.id
            self._audit(session, staff, "ticket_done", ticket.conversation_id, ticket_id=ticket_id)
            await session.commit()
        await self.broker.publish({"type": "queue"})
