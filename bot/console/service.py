"""What the console shows: the queue, a handoff's brief and transcript, open tickets — to
each staff member only for the municipalities they work for (`Staff.municipalities`;
admins see all). A handoff or ticket of another municipality is "not found".

A handoff's transcript is its span only: from the user's request — with the few messages
just before it that the brief quotes (the question and the bot's answer, at most
`CONTEXT_BEFORE` messages back and never from an earlier handoff) — to the moment it
ended, plus the notice that told the user so. Nothing the user wrote to the bot
afterwards, and nothing from the conversation's other handoffs, is shown.

Read-only apart from the audit row of opening a transcript: every change staff make
(claim, reply, hand back, close, a ticket done) is a handoff transition in
`bot/handoff/staff.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.db import AuditEntry, Conversation, Database, Handoff, Message, Staff, Ticket, aware, utcnow
from bot.events import Broker
from bot.handoff.staff import StaffActionError, audit
from bot.handoff.states import OPEN_STATUSES
from bot.staff.accounts import in_scope, scope_of

ConsoleError = StaffActionError
OPEN = "open"  # the audit action of reading a transcript
CONTEXT_BEFORE = 6  # messages before the request the transcript may start with (the brief's)
END_NOTICE = timedelta(seconds=5)  # the "back with Lotsen" notice is stored as the handoff ends


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
    first_id: int | None = None  # the earliest message the brief quotes


def brief_of(handoff: Handoff, conversation: Conversation, messages: Sequence[Message]) -> Brief:
    cut = handoff.message_id if handoff.message_id is not None else max((m.id for m in messages), default=0)
    # "I want a person" is not the question; a message the bot failed on twice is.
    last_question = cut if handoff.reason == "not_understood" else cut - 1
    questions = [m for m in messages if m.id <= last_question and m.author == "user" and not m.text.startswith("/")]
    answers = [m for m in messages if m.id < cut and m.author == "bot"]
    question = questions[-1] if questions else None
    answer = answers[-1] if answers else None
    quoted = [m.id for m in (question, answer) if m is not None]
    return Brief(
        conversation.topic,
        question.text if question else None,
        answer.text if answer else None,
        min(quoted) if quoted else None,
    )


@dataclass
class Transcript:
    handoff: Handoff
    conversation: Conversation
    messages: list[Message]  # the handoff's span only
    brief: Brief


def _until_end(messages: Sequence[Message], ended_at: datetime | None) -> list[Message]:
    """The messages (in order) written before the handoff ended, and the notice of its end
    (the system message stored with it); nothing after."""
    if ended_at is None:
        return list(messages)
    end = aware(ended_at)
    kept = []
    for message in messages:
        at = aware(message.created_at)
        if at <= end:
            kept.append(message)
            continue
        if message.author == "system" and at <= end + END_NOTICE:
            kept.append(message)
        break
    return kept


def _scoped(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None], viewer: Staff
) -> list[ColumnElement[bool]]:
    scope = scope_of(viewer)
    return [] if scope is None else [column.in_(sorted(scope))]


async def _floor(session: AsyncSession, handoff: Handoff) -> int:
    """The last message id of the conversation's previous handoff (0 if none): the span of
    this one starts after it."""
    previous = await session.scalar(
        select(Handoff)
        .where(Handoff.conversation_id == handoff.conversation_id, Handoff.id < handoff.id)
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    if previous is None:
        return 0
    mine = [Message.conversation_id == handoff.conversation_id]
    if handoff.message_id is not None:
        mine.append(Message.id < handoff.message_id)
    if previous.ended_at is None:  # not possible (one open handoff at a time): show nothing before
        return int(await session.scalar(select(func.max(Message.id)).where(*mine)) or 0)
    end = aware(previous.ended_at)
    last = int(await session.scalar(select(func.max(Message.id)).where(*mine, Message.created_at <= end)) or 0)
    following = await session.scalar(select(Message).where(*mine, Message.id > last).order_by(Message.id).limit(1))
    if following is not None and following.author == "system" and aware(following.created_at) <= end + END_NOTICE:
        last = following.id  # the notice that ended it
    return max(last, previous.message_id or 0)


async def span(session: AsyncSession, handoff: Handoff, conversation: Conversation) -> tuple[list[Message], Brief]:
    """The handoff's messages (see the module docstring) and its brief."""
    floor = await _floor(session, handoff)
    mine = Message.conversation_id == conversation.id
    ended = handoff.ended_at
    before: list[Message] = []
    after_query = select(Message).where(mine, Message.id > floor).order_by(Message.id)
    if handoff.message_id is not None:
        before = list(
            await session.scalars(
                select(Message)
                .where(mine, Message.id > floor, Message.id < handoff.message_id)
                .order_by(Message.id.desc())
                .limit(CONTEXT_BEFORE)
            )
        )[::-1]
        after_query = after_query.where(Message.id >= handoff.message_id)
    else:  # a handoff stored without its request message: by time
        after_query = after_query.where(Message.created_at >= aware(handoff.requested_at))
    if ended is not None:
        after_query = after_query.where(Message.created_at <= aware(ended) + END_NOTICE)
    after = _until_end(list(await session.scalars(after_query)), ended)
    brief = brief_of(handoff, conversation, before + after)
    start = brief.first_id if brief.first_id is not None else (handoff.message_id or 0)
    return [m for m in before if m.id >= start] + after, brief


class ConsoleService:
    def __init__(self, db: Database, broker: Broker) -> None:
        self.db = db
        self.broker = broker

    async def queue(self, viewer: Staff) -> list[QueueEntry]:
        """Open handoffs of the viewer's municipalities, oldest first, each with the user's
        last question in it."""
        now = utcnow()
        async with self.db.sessions() as session:
            found = (
                await session.execute(
                    select(Handoff, Conversation, Staff)
                    .join(Conversation, Conversation.id == Handoff.conversation_id)
                    .outerjoin(Staff, Staff.id == Handoff.claimed_by)
                    .where(
                        Handoff.status.in_([status.value for status in OPEN_STATUSES]),
                        *_scoped(Handoff.municipality, viewer),
                    )
                    .order_by(Handoff.requested_at)
                )
            ).all()
            entries = []
            for handoff, conversation, staff in found:
                messages, brief = await span(session, handoff, conversation)
                questions = [m.text for m in messages if m.author == "user" and not m.text.startswith("/")]
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
                        questions[-1] if questions else (brief.question or ""),
                        int((now - aware(handoff.requested_at)).total_seconds() // 60),
                        conversation.topic,
                    )
                )
        return entries

    async def transcript(self, handoff_id: int, viewer: Staff, audit_since: datetime | None = None) -> Transcript:
        """The handoff, its span and brief, if the viewer may see it (else 404), and an
        `open` audit row: always (`audit_since` None: the page was opened), or only if the
        viewer has not opened this handoff since `audit_since` (the start of their session:
        a live refresh of a page they opened is not another reading)."""
        async with self.db.sessions() as session:
            handoff = await session.get(Handoff, handoff_id)
            if handoff is None or not in_scope(viewer, handoff.municipality):
                raise ConsoleError(404, "no such handoff")
            conversation = await session.get(Conversation, handoff.conversation_id)
            if conversation is None:
                raise ConsoleError(404, "no such handoff")
            messages, brief = await span(session, handoff, conversation)
            if audit_since is None or not await self._opened(session, viewer, handoff_id, audit_since):
                audit(session, viewer, OPEN, conversation.id, handoff_id)
                await session.commit()
        return Transcript(handoff, conversation, messages, brief)

    @staticmethod
    async def _opened(session: AsyncSession, viewer: Staff, handoff_id: int, since: datetime) -> bool:
        found = await session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.at >= since,
                AuditEntry.actor == viewer.username,
                AuditEntry.action == OPEN,
                AuditEntry.handoff_id == handoff_id,
            )
            .limit(1)
        )
        return found is not None

    async def tickets(self, viewer: Staff) -> list[tuple[Ticket, Conversation]]:
        async with self.db.sessions() as session:
            found = await session.execute(
                select(Ticket, Conversation)
                .join(Conversation, Conversation.id == Ticket.conversation_id)
                .where(Ticket.status == "open", *_scoped(Ticket.municipality, viewer))
                .order_by(Ticket.created_at)
            )
            return [(ticket, conversation) for ticket, conversation in found.all()]

    async def sees_conversation(self, viewer: Staff, conversation_id: int) -> bool:
        """Whether the conversation had a handoff in the viewer's municipalities (live events)."""
        if scope_of(viewer) is None:
            return True
        async with self.db.sessions() as session:
            found = await session.scalar(
                select(Handoff.id)
                .where(Handoff.conversation_id == conversation_id, *_scoped(Handoff.municipality, viewer))
                .limit(1)
            )
        return found is not None
