"""The staff side of a handoff: claim, reply, hand back, end; and of a ticket (a message
left or a callback asked for): reply in the chat, mark it done.

Claiming is one conditional UPDATE (`… WHERE status = 'waiting'`), so two staff members
clicking at once cannot both win; every later action checks that the actor is the one
who claimed. A staff member acts only on handoffs and tickets of the municipalities they
work for (admins: all); any other is "not found" (404), so its existence is not revealed.
Each action and its audit row are one transaction; what the user must see
(the staff member's reply, "Sara is now chatting with you", "back with Lotsen") is
stored with its outbox entry in that same transaction and then delivered by their channel.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import OutgoingMessage
from bot.db import AuditEntry, Conversation, Database, Handoff, Message, Staff, Ticket, utcnow
from bot.events import Broker
from bot.handoff import notices
from bot.handoff.contact import held_for_another
from bot.handoff.service import move
from bot.handoff.states import Event, IllegalTransitionError, Status, Step
from bot.outbox import Outbox
from bot.repository import store_messages
from bot.staff.accounts import in_scope
from lotsen.knowledge import KnowledgeStore
from lotsen.municipalities import municipalities

MAX_REPLY_CHARS = 4000


class StaffActionError(Exception):
    """A staff action that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def audit(
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


class StaffActions:
    def __init__(
        self, db: Database, store: KnowledgeStore, broker: Broker, outbox: Outbox, default_language: str
    ) -> None:
        self.db = db
        self.store = store
        self.broker = broker
        self.outbox = outbox
        self.default_language = default_language

    async def _tell(
        self, session: AsyncSession, conversation: Conversation, message: OutgoingMessage, author: str = "system"
    ) -> None:
        await store_messages(session, conversation, author, [message], push=True)

    async def _announce(self, conversation_id: int) -> None:
        """Consoles refresh the transcript; the user's channel delivers what was stored."""
        await self.broker.publish({"type": "message", "conversation": conversation_id})
        await self.outbox.announce(conversation_id)

    async def claim(self, handoff_id: int, staff: Staff) -> None:
        async with self.db.sessions() as session:
            # Only the municipality is read (no Handoff object in the session before the UPDATE).
            municipality = await session.scalar(select(Handoff.municipality).where(Handoff.id == handoff_id))
            if municipality is None or not in_scope(staff, municipality):
                raise StaffActionError(404, "no such handoff")
            now = utcnow()
            # Offered first to who helped this user before: nobody else until the head start ends.
            free = or_(Handoff.offered_to.is_(None), Handoff.offered_to == staff.id, Handoff.offered_until <= now)
            result = await session.execute(
                update(Handoff)
                .where(Handoff.id == handoff_id, Handoff.status == Status.WAITING.value, free)
                .values(status=Status.CLAIMED.value, claimed_by=staff.id, claimed_at=now)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                handoff = await session.get(Handoff, handoff_id)
                if handoff is None:
                    raise StaffActionError(404, "no such handoff")
                if handoff.status == Status.CLAIMED.value and handoff.claimed_by == staff.id:
                    return
                if held_for_another(handoff, staff.id, now):
                    raise StaffActionError(409, "offered first to the staff member who helped this user before")
                raise StaffActionError(409, "another staff member has already taken this conversation")
            handoff = await session.get(Handoff, handoff_id)
            assert handoff is not None
            conversation = await self._conversation(session, handoff)
            self._move(conversation, Event.CLAIM)
            office = self.store.get().handoff_office(handoff.municipality)
            office_name = office.name if office else municipalities().get(handoff.municipality, "")
            language = conversation.language or self.default_language
            await self._tell(session, conversation, notices.claimed(language, staff.display_name, office_name))
            audit(session, staff, "claim", conversation.id, handoff_id)
            await session.commit()
        await self.broker.publish({"type": "queue"})
        await self._announce(conversation.id)

    @staticmethod
    def _checked(text: str) -> str:
        text = text.strip()
        if not text:
            raise StaffActionError(400, "the reply is empty")
        if len(text) > MAX_REPLY_CHARS:
            raise StaffActionError(413, "the reply is longer than 4,000 characters")
        return text

    async def _send(
        self, session: AsyncSession, conversation: Conversation, staff: Staff, text: str, phrase: str | None
    ) -> Message:
        """Store the staff message with its outbox entry (the user's channel delivers it);
        `phrase`: the phrasebook id it was rendered from, so staff can read it in Swedish."""
        stored = await store_messages(
            session, conversation, "staff", [OutgoingMessage(text)], push=True, author_name=staff.display_name
        )
        stored[0].phrase = phrase
        return stored[0]

    async def reply(self, handoff_id: int, staff: Staff, text: str, phrase: str | None = None) -> Message:
        text = self._checked(text)
        async with self.db.sessions() as session:
            _, conversation = await self._claimed(session, handoff_id, staff)
            self._move(conversation, Event.REPLY)
            sent = await self._send(session, conversation, staff, text, phrase)
            audit(session, staff, "reply", conversation.id, handoff_id)
            await session.commit()
        await self._announce(conversation.id)
        return sent

    async def end(self, handoff_id: int, staff: Staff, event: Event) -> None:
        """Hand the conversation back to the bot (HAND_BACK) or end the chat (END)."""
        if event not in (Event.HAND_BACK, Event.END):
            raise StaffActionError(404, "no such action")
        async with self.db.sessions() as session:
            handoff, conversation = await self._claimed(session, handoff_id, staff)
            step = self._move(conversation, event)
            assert step.status is not None
            handoff.status, handoff.ended_at = step.status.value, utcnow()
            language = conversation.language or self.default_language
            notice = notices.handed_back(language) if event is Event.HAND_BACK else notices.chat_ended(language)
            await self._tell(session, conversation, notice)
            audit(session, staff, step.status.value, conversation.id, handoff_id)
            await session.commit()
        await self.broker.publish({"type": "queue"})
        await self._announce(conversation.id)

    async def _ticket(self, session: AsyncSession, ticket_id: int, staff: Staff) -> Ticket:
        """The ticket if it exists and is in the staff member's municipalities, else 404."""
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None or not in_scope(staff, ticket.municipality):
            raise StaffActionError(404, "no such ticket")
        return ticket

    async def ticket_reply(self, ticket_id: int, staff: Staff, text: str, phrase: str | None = None) -> Message:
        """Answer a left message or a callback request in the chat: delivered to the user's
        channel through the outbox like a reply in a handoff, whoever answers the
        conversation now (it is no handoff transition: the user may be with the bot)."""
        text = self._checked(text)
        async with self.db.sessions() as session:
            ticket = await self._ticket(session, ticket_id, staff)
            if ticket.status != "open":
                raise StaffActionError(409, "this ticket is already handled")
            conversation = await session.get(Conversation, ticket.conversation_id)
            if conversation is None:
                raise StaffActionError(404, "the conversation was deleted")
            sent = await self._send(session, conversation, staff, text, phrase)
            audit(session, staff, "ticket_reply", conversation.id, ticket_id=ticket_id)
            await session.commit()
        await self._announce(conversation.id)
        return sent

    async def ticket_done(self, ticket_id: int, staff: Staff) -> None:
        async with self.db.sessions() as session:
            ticket = await self._ticket(session, ticket_id, staff)
            if ticket.status == "done":
                return
            ticket.status, ticket.handled_by, ticket.done_at = "done", staff.id, utcnow()
            audit(session, staff, "ticket_done", ticket.conversation_id, ticket_id=ticket_id)
            await session.commit()
        await self.broker.publish({"type": "queue"})

    @staticmethod
    def _move(conversation: Conversation, event: Event) -> Step:
        try:
            return move(conversation, event)
        except IllegalTransitionError as exc:
            raise StaffActionError(409, str(exc)) from None

    @staticmethod
    async def _conversation(session: AsyncSession, handoff: Handoff) -> Conversation:
        conversation = await session.get(Conversation, handoff.conversation_id)
        if conversation is None:
            raise StaffActionError(404, "the conversation was deleted")
        return conversation

    @staticmethod
    async def _handoff(session: AsyncSession, handoff_id: int, staff: Staff) -> Handoff:
        """The handoff if it exists and is in the staff member's municipalities, else 404."""
        handoff = await session.get(Handoff, handoff_id)
        if handoff is None or not in_scope(staff, handoff.municipality):
            raise StaffActionError(404, "no such handoff")
        return handoff

    async def _claimed(self, session: AsyncSession, handoff_id: int, staff: Staff) -> tuple[Handoff, Conversation]:
        handoff = await self._handoff(session, handoff_id, staff)
        if handoff.status != Status.CLAIMED.value:
            raise StaffActionError(409, "claim the conversation first")
        if handoff.claimed_by != staff.id:
            raise StaffActionError(403, "another staff member is handling this conversation")
        return handoff, await self._conversation(session, handoff)
