"""What the console shows: the queue, a handoff's brief and transcript, open tickets — to
each staff member only for the municipalities they work for (`Staff.municipalities`;
admins see all). A handoff or ticket of another municipality is "not found".

A handoff's transcript is its span only: from the user's request — with the few messages
just before it that the brief quotes (the question and the bot's answer, and the answers
that name their topic with the question each answered; at most `CONTEXT_BEFORE` messages
back and never from an earlier handoff) — to the moment it ended, plus the notice that
told the user so. Nothing the user wrote to the bot
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
from bot.handoff.contact import LastHelper, head_start, last_helper
from bot.handoff.staff import StaffActionError, audit
from bot.handoff.states import OPEN_STATUSES, Status
from bot.staff.accounts import in_scope, scope_of

ConsoleError = StaffActionError
OPEN = "open"  # the audit action of reading a transcript
CONTEXT_BEFORE = 6  # messages before the request the transcript may start with (the brief's)
END_NOTICE = timedelta(seconds=5)  # the "back with Lotsen" notice is stored as the handoff ends
TICKET_AFTER = 40  # messages after a ticket was made that its page may show


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
    last_helper: LastHelper | None = None  # who helped this user before (one contact person)
    offered_to: int | None = None  # staff id that has the head start, while it lasts
    offered_until: datetime | None = None


@dataclass
class Brief:
    """What a staff member needs before answering: the topic, the question, the bot's answer."""

    topic: str | None
    question: str | None
    bot_answer: str | None
    first_id: int | None = None  # the earliest message the brief quotes


def _topic_answers(messages: Sequence[Message], cut: int) -> list[int]:
    """The bot answers before the request that say which topic they answered, each with the
    user message just before it (the question it answered): the brief reads these in the
    console language, so the transcript shows them too."""
    quoted: list[int] = []
    for index, message in enumerate(messages):
        if message.id < cut and message.author == "bot" and message.topic:
            asked = [m.id for m in messages[:index] if m.author == "user"]
            quoted += [message.id, *asked[-1:]]
    return quoted


def brief_of(handoff: Handoff, conversation: Conversation, messages: Sequence[Message]) -> Brief:
    cut = handoff.message_id if handoff.message_id is not None else max((m.id for m in messages), default=0)
    # "I want a person" is not the question; a message the bot failed on twice is.
    last_question = cut if handoff.reason == "not_understood" else cut - 1
    questions = [m for m in messages if m.id <= last_question and m.author == "user" and not m.text.startswith("/")]
    answers = [m for m in messages if m.id < cut and m.author == "bot"]
    question = questions[-1] if questions else None
    answer = answers[-1] if answers else None
    quoted = [m.id for m in (question, answer) if m is not None] + _topic_answers(messages, cut)
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


async def _end_of(session: AsyncSession, handoff: Handoff, before: int | None) -> int:
    """The last message id of an earlier handoff's span: up to the moment it ended, with the
    notice that ended it (only messages before id `before` count)."""
    mine = [Message.conversation_id == handoff.conversation_id]
    if before is not None:
        mine.append(Message.id < before)
    if handoff.ended_at is None:  # not possible (one open handoff at a time): show nothing before
        return int(await session.scalar(select(func.max(Message.id)).where(*mine)) or 0)
    end = aware(handoff.ended_at)
    last = int(await session.scalar(select(func.max(Message.id)).where(*mine, Message.created_at <= end)) or 0)
    following = await session.scalar(select(Message).where(*mine, Message.id > last).order_by(Message.id).limit(1))
    if following is not None and following.author == "system" and aware(following.created_at) <= end + END_NOTICE:
        last = following.id  # the notice that ended it
    return max(last, handoff.message_id or 0)


async def _floor(session: AsyncSession, handoff: Handoff) -> int:
    """The last message id of the conversation's previous handoff (0 if none): the span of
    this one starts after it."""
    previous = await session.scalar(
        select(Handoff)
        .where(Handoff.conversation_id == handoff.conversation_id, Handoff.id < handoff.id)
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    return 0 if previous is None else await _end_of(session, previous, handoff.message_id)


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


async def ticket_span(session: AsyncSession, ticket: Ticket) -> list[Message]:
    """A ticket's recent messages: the few written up to its creation (at most
    `CONTEXT_BEFORE`, never reaching into an earlier handoff's span or before an earlier
    ticket), then what followed — the confirmation, replies — until the ticket was done,
    the next ticket was made or the next handoff was asked for (at most `TICKET_AFTER`)."""
    mine = Message.conversation_id == ticket.conversation_id
    created = aware(ticket.created_at)
    last = int(await session.scalar(select(func.max(Message.id)).where(mine, Message.created_at <= created)) or 0)
    floor = 0
    earlier = await session.scalar(
        select(Handoff)
        .where(Handoff.conversation_id == ticket.conversation_id, Handoff.message_id <= last)
        .order_by(Handoff.id.desc())
        .limit(1)
    )
    if earlier is not None:
        floor = await _end_of(session, earlier, last + 1)
    previous = await session.scalar(
        select(Ticket)
        .where(Ticket.conversation_id == ticket.conversation_id, Ticket.id < ticket.id)
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    if previous is not None:
        before_previous = select(func.max(Message.id)).where(mine, Message.created_at <= aware(previous.created_at))
        floor = max(floor, int(await session.scalar(before_previous) or 0))
    before = list(
        await session.scalars(
            select(Message)
            .where(mine, Message.id > floor, Message.id <= last)
            .order_by(Message.id.desc())
            .limit(CONTEXT_BEFORE)
        )
    )[::-1]
    after_query = select(Message).where(mine, Message.id > last).order_by(Message.id).limit(TICKET_AFTER)
    following = await session.scalar(
        select(Ticket)
        .where(Ticket.conversation_id == ticket.conversation_id, Ticket.id > ticket.id)
        .order_by(Ticket.id)
        .limit(1)
    )
    if following is not None:
        after_query = after_query.where(Message.created_at <= aware(following.created_at))
    next_handoff = await session.scalar(
        select(func.min(Handoff.message_id)).where(
            Handoff.conversation_id == ticket.conversation_id, Handoff.message_id > last
        )
    )
    if next_handoff is not None:
        after_query = after_query.where(Message.id < next_handoff)
    if ticket.done_at is not None:
        after_query = after_query.where(Message.created_at <= aware(ticket.done_at) + END_NOTICE)
    return before + list(await session.scalars(after_query))


@dataclass
class Target:
    conversation: Conversation
    municipality: str | None


@dataclass
class TicketView:
    ticket: Ticket
    conversation: Conversation
    messages: list[Message]  # the ticket's span only (`ticket_span`)


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
                        await last_helper(session, conversation.id, handoff.municipality, before=handoff.id),
                        *(head_start(handoff, now) or (None, None)),
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
            if audit_since is None or not await self._opened(session, viewer, audit_since, handoff_id=handoff_id):
                audit(session, viewer, OPEN, conversation.id, handoff_id)
                await session.commit()
        return Transcript(handoff, conversation, messages, brief)

    @staticmethod
    async def _opened(
        session: AsyncSession,
        viewer: Staff,
        since: datetime,
        handoff_id: int | None = None,
        ticket_id: int | None = None,
    ) -> bool:
        found = await session.scalar(
            select(AuditEntry.id)
            .where(
                AuditEntry.at >= since,
                AuditEntry.actor == viewer.username,
                AuditEntry.action == OPEN,
                AuditEntry.handoff_id == handoff_id if handoff_id is not None else AuditEntry.ticket_id == ticket_id,
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

    async def ticket(self, ticket_id: int, viewer: Staff, audit_since: datetime | None = None) -> TicketView:
        """An open or done ticket with its recent messages, if the viewer may see it (else
        404), and an `open` audit row with the ticket's id: opening it is a reading
        (`audit_since` as for `transcript`)."""
        async with self.db.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None or not in_scope(viewer, ticket.municipality):
                raise ConsoleError(404, "no such ticket")
            conversation = await session.get(Conversation, ticket.conversation_id)
            if conversation is None:
                raise ConsoleError(404, "no such ticket")
            messages = await ticket_span(session, ticket)
            if audit_since is None or not await self._opened(session, viewer, audit_since, ticket_id=ticket_id):
                audit(session, viewer, OPEN, conversation.id, ticket_id=ticket.id)
                await session.commit()
        return TicketView(ticket, conversation, messages)

    async def target(self, viewer: Staff, handoff_id: int | None = None, ticket_id: int | None = None) -> Target:
        """The conversation a reply would go to, and the municipality it is answered for —
        only to compose the reply; no text is read, so nothing is audited. 404 outside scope."""
        async with self.db.sessions() as session:
            found = await session.get(Handoff, handoff_id) if handoff_id is not None else None
            ticket = await session.get(Ticket, ticket_id) if ticket_id is not None else None
            owner = found or ticket
            if owner is None or not in_scope(viewer, owner.municipality):
                raise ConsoleError(404, "no such ticket" if ticket_id is not None else "no such handoff")
            conversation = await session.get(Conversation, owner.conversation_id)
            if conversation is None:
                raise ConsoleError(404, "no such handoff")
        return Target(conversation, owner.municipality)

    async def waiting(self, viewer: Staff) -> list[int]:
        """The handoffs of the viewer's municipalities nobody has taken yet (the browser's
        count in the title and its notifications)."""
        async with self.db.sessions() as session:
            found = await session.scalars(
                select(Handoff.id)
                .where(Handoff.status == Status.WAITING.value, *_scoped(Handoff.municipality, viewer))
                .order_by(Handoff.requested_at)
            )
            return list(found)

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
