"""The user's side of a handoff: ask for a person, wait, stop waiting, leave a message,
and the expiry of waits nobody took.

A request joins the queue when the office's chat is open now (Europe/Stockholm, holidays
counted, `lotsen/office_hours.py`); otherwise the user hears when it opens and may leave
a message (a `Ticket`). Each step is one transaction that moves the conversation through
`states.transition`, so a gateway restart loses no queue entry, message or ticket, and
no step can happen out of order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import OutgoingMessage
from bot.db import Conversation, Database, Handoff, Ticket, utcnow
from bot.events import Broker
from bot.flood import HANDOFF_REQUEST, LEFT_MESSAGE, OFFICE_LEFT_MESSAGES, FloodGuard
from bot.handoff import notices
from bot.handoff.callbacks import Callbacks
from bot.handoff.contact import LastHelper, last_helper
from bot.handoff.languages import needs_interpreter, spoken_at
from bot.handoff.states import CALLBACK_STEPS, Event, Stage, Status, Step, stage_of, transition
from bot.outbox import Outbox
from bot.repository import store_messages
from lotsen.i18n import t
from lotsen.knowledge import KnowledgeStore, Office
from lotsen.office_hours import Schedule, format_opening

Clock = Callable[[], datetime]


def move(conversation: Conversation, event: Event) -> Step:
    """Apply `event` to the conversation's stage (IllegalTransitionError if it cannot happen)."""
    step = transition(stage_of(conversation.mode, conversation.leaving_message, conversation.callback_step), event)
    conversation.mode = step.to.mode.value
    conversation.leaving_message = step.to == Stage.LEAVING_MESSAGE
    conversation.callback_step = CALLBACK_STEPS.get(step.to)
    if step.to != Stage.CHOOSING_WINDOW:
        conversation.callback_ticket = None
    return step


def mirror(target: Conversation, source: Conversation) -> None:
    """Copy the stage stored in one session onto the pipeline's copy of the conversation."""
    target.mode, target.leaving_message = source.mode, source.leaving_message
    target.callback_step, target.callback_ticket = source.callback_step, source.callback_ticket


class HandoffService:
    enabled = True

    def __init__(
        self,
        db: Database,
        store: KnowledgeStore,
        claim_timeout: timedelta,
        broker: Broker,
        outbox: Outbox,
        default_language: str,
        flood: FloodGuard,
        queue_cap: int,
        clock: Clock = lambda: datetime.now(timezone.utc),
        head_start: timedelta = timedelta(minutes=2),
    ) -> None:
        self.db = db
        self.store = store
        self.claim_timeout = claim_timeout
        self.broker = broker
        self.outbox = outbox
        self.default_language = default_language
        self.flood = flood
        self.queue_cap = queue_cap
        self.clock = clock
        self.head_start = head_start  # for the staff member who helped a returning user (contact.py)
        # The lambda reads the clock at each call: tests swap `self.clock`.
        self.callbacks = Callbacks(db, self.office_for, broker, move, mirror, lambda: self.clock())

    def office_for(self, municipality: str | None) -> Office | None:
        return self.store.get().handoff_office(municipality)

    async def request(
        self,
        conversation: Conversation,
        language: str,
        reason: str,
        message_id: int | None = None,
        requester: str | None = None,
        anyway: bool = False,
    ) -> list[OutgoingMessage]:
        """Queue the conversation for a person, or say when staff are back — or, when the
        office's queue is full or this place asked too often, what to do instead.
        `requester` is what the per-address limit counts (IncomingMessage.flood_key).
        When nobody at the office speaks the user's language they are told so first and
        offered the staff's languages or an interpreter callback; `anyway` queues them
        regardless (they chose to wait)."""
        if conversation.municipality is None:
            return [notices.which_municipality(language)]
        office = self.office_for(conversation.municipality)
        schedule = Schedule.chat(office) if office else None
        if office is None or schedule is None:
            return [notices.no_staff_chat(language)]
        now = self.clock()
        foreign = needs_interpreter(office, language)
        if not schedule.is_open(now):
            opening = schedule.next_opening(now)
            when = format_opening(opening, language) if opening else t(language, "later")
            return [notices.office_closed(language, when, spoken_at(office) if foreign else None)]
        if foreign and not anyway:
            return [notices.no_shared_language(language, office.name, spoken_at(office))]
        if await self._waiting_at(conversation.municipality) >= self.queue_cap:
            return [notices.queue_full(language, office.name, office.phone)]
        if requester and await self.flood.spend(HANDOFF_REQUEST, requester):
            return [notices.asked_too_often(language)]
        position, helper = await self._enqueue(conversation, office, reason, now, message_id)
        if helper is None:
            return [notices.queued(language, office.name, position)]
        return [notices.queued(language, office.name, position), notices.same_person(language, helper.name)]

    async def _waiting_at(self, municipality: str) -> int:
        async with self.db.sessions() as session:
            count = await session.scalar(
                select(func.count()).where(Handoff.status == Status.WAITING.value, Handoff.municipality == municipality)
            )
        return int(count or 0)

    async def _enqueue(
        self, conversation: Conversation, office: Office, reason: str, now: datetime, message_id: int | None
    ) -> tuple[int, LastHelper | None]:
        """The queue position, and who helped this user before if they get it first."""
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            step = move(stored, Event.REQUEST)
            stored.municipality = conversation.municipality  # may have been chosen in this very turn
            helper = await last_helper(session, stored.id, stored.municipality or "") if self.head_start else None
            handoff = Handoff(
                conversation_id=stored.id,
                municipality=stored.municipality or "",
                office_id=office.id,
                reason=reason,
                message_id=message_id,
                status=(step.status or Status.WAITING).value,
                requested_at=now,
                offered_to=helper.staff_id if helper else None,
                # The real clock, as the console's claim and queue read it (`now` is the
                # office-hours clock, which tests move).
                offered_until=utcnow() + self.head_start if helper else None,
            )
            session.add(handoff)
            await session.flush()
            position = await session.scalar(
                select(func.count()).where(
                    Handoff.status == Status.WAITING.value,
                    Handoff.municipality == handoff.municipality,
                    Handoff.id <= handoff.id,
                )
            )
            await session.commit()
        mirror(conversation, stored)
        await self.broker.publish({"type": "queue"})
        return int(position or 1), helper

    async def stop_waiting(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        """The user leaves the queue before anyone took the chat: back to the bot."""
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            step = move(stored, Event.STOP_WAITING)
            await self._end_open_handoff(session, stored.id, step)
            await session.commit()
        mirror(conversation, stored)
        await self.broker.publish({"type": "queue"})
        return [notices.left_queue(language)]

    async def start_message(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            move(stored, Event.LEAVE_MESSAGE)
            await session.commit()
        mirror(conversation, stored)
        return [notices.write_your_message(language)]

    async def take_message(
        self, conversation: Conversation, text: str, language: str, requester: str | None = None
    ) -> list[OutgoingMessage]:
        """Store the user's message for staff as a ticket; back to the bot afterwards. Over
        the office's or this place's hourly limit the text stays in the conversation only,
        and the user hears so, with the office's phone number."""
        accepted = await self._may_leave_message(conversation.municipality, requester)
        async with self.db.sessions() as session:
            stored = await session.get(Conversation, conversation.id)
            assert stored is not None
            move(stored, Event.MESSAGE_LEFT)
            if accepted:
                ticket = Ticket(conversation_id=stored.id, municipality=stored.municipality, text=text, status="open")
                session.add(ticket)
            await session.commit()
        mirror(conversation, stored)
        if not accepted:
            office = self.office_for(conversation.municipality)
            return [notices.messages_full(language, office.name if office else "", office.phone if office else None)]
        await self.broker.publish({"type": "queue"})
        return [notices.message_saved(language)]

    async def _may_leave_message(self, municipality: str | None, requester: str | None) -> bool:
        if await self.flood.spend(OFFICE_LEFT_MESSAGES, municipality or "none"):
            return False
        return not (requester and await self.flood.spend(LEFT_MESSAGE, requester))

    async def start_callback(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        return await self.callbacks.start(conversation, language)

    async def callback_input(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]:
        return await self.callbacks.take_input(conversation, text, language)

    async def choose_callback_window(
        self, conversation: Conversation, window: str | None, language: str
    ) -> list[OutgoingMessage]:
        return await self.callbacks.choose(conversation, window, language)

    async def cancel_callback(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        return await self.callbacks.cancel(conversation, language)

    async def user_wrote(self, conversation: Conversation) -> None:
        """A user in the queue or with staff wrote: open consoles show it."""
        await self.broker.publish({"type": "message", "conversation": conversation.id})

    async def expire_if_unclaimed(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        """If this conversation waited past the claim timeout, end the wait and return the
        notice (the pipeline stores and answers it as this turn's reply)."""
        if conversation.mode != Status.WAITING.value:
            return []
        if not await self._expire(conversation.id, tell=False):
            return []
        conversation.mode = "bot"
        return [notices.expired(language)]

    async def expire_due(self) -> list[int]:
        """The sweep: end every wait older than the claim timeout; each user is told
        through the outbox (they may not be writing)."""
        return await self._expire(None, tell=True)

    async def _expire(self, conversation_id: int | None, tell: bool) -> list[int]:
        deadline = self.clock() - self.claim_timeout
        query = select(Handoff).where(Handoff.status == Status.WAITING.value, Handoff.requested_at <= deadline)
        if conversation_id is not None:
            query = query.where(Handoff.conversation_id == conversation_id)
        expired: list[int] = []
        async with self.db.sessions() as session:
            for handoff in list(await session.scalars(query)):
                conversation = await session.get(Conversation, handoff.conversation_id)
                if conversation is None:
                    continue
                step = move(conversation, Event.EXPIRE)
                handoff.status, handoff.ended_at = (step.status or Status.EXPIRED).value, self.clock()
                if tell:
                    language = conversation.language or self.default_language
                    await store_messages(session, conversation, "system", [notices.expired(language)], push=True)
                expired.append(conversation.id)
            await session.commit()
        if expired:
            await self.broker.publish({"type": "queue"})
        if tell:
            for owner in expired:
                await self.outbox.announce(owner)
        return expired

    async def _end_open_handoff(self, session: AsyncSession, conversation_id: int, step: Step) -> None:
        handoff = await session.scalar(
            select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status == Status.WAITING.value)
        )
        if handoff is not None and step.status is not None:
            handoff.status, handoff.ended_at = step.status.value, self.clock()
