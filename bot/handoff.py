"""Handing a conversation to a person at the user's municipal office, or taking a message.

The gateway owns who answers a conversation (`Conversation.mode`): `bot`, `waiting` (in
the queue) or `human` (claimed by a staff member). A request opens a `Handoff` if the
office's chat is open now (Europe/Stockholm, holidays counted, `lotsen/office_hours.py`);
otherwise the user hears when it opens and may leave a message, stored as a `Ticket`.
A handoff nobody claims in time expires: the user is told and offered to leave a message.

Every step is a database transaction, so a gateway restart loses no queue entry,
message or ticket.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select, update

from bot.channels.base import OutgoingMessage
from bot.console.live import Broker
from bot.db import Conversation, Database, Handoff, Message, Ticket
from lotsen.i18n import t
from lotsen.knowledge import KnowledgeStore, Office
from lotsen.municipalities import municipalities
from lotsen.office_hours import Schedule, format_opening

HUMAN_COMMANDS = ("/human", "/request_human")
LEAVE_MESSAGE = "/leave_message"
STOP_WAITING = "/stop_waiting"
HUMAN_PATTERN = re.compile(r"^/(?:human|request_human)(\{.*\})?$")
OPEN_STATUSES = ("waiting", "claimed")

Clock = Callable[[], datetime]


def parse_human_request(text: str) -> tuple[bool, str | None]:
    """(is it a request for a person, the municipality a button chose with it)."""
    found = HUMAN_PATTERN.match(text.strip())
    if not found:
        return False, None
    if found.group(1):
        try:
            value = json.loads(found.group(1)).get("municipality")
        except (json.JSONDecodeError, AttributeError):
            return True, None
        return True, value if value in municipalities() else None
    return True, None


def human_payload(municipality: str) -> str:
    return "/human" + json.dumps({"municipality": municipality}, separators=(",", ":"))


class HandoffService:
    def __init__(
        self,
        db: Database,
        store: KnowledgeStore,
        claim_timeout: timedelta,
        broker: Broker,
        clock: Clock = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.db = db
        self.store = store
        self.claim_timeout = claim_timeout
        self.broker = broker
        self.clock = clock

    def office_for(self, municipality: str | None) -> Office | None:
        return self.store.get().handoff_office(municipality)

    async def request(
        self, conversation: Conversation, language: str, reason: str, message_id: int | None = None
    ) -> list[OutgoingMessage]:
        """Queue the conversation for a person, or say when staff are back."""
        municipality = conversation.municipality
        if municipality is None:
            buttons = [{"title": name, "payload": human_payload(code)} for code, name in municipalities().items()]
            question = t(language, "Which municipality do you live in? Then I can find the right staff.")
            return [OutgoingMessage.with_buttons(question, buttons)]
        office = self.office_for(municipality)
        schedule = Schedule.chat(office) if office else None
        if office is None or schedule is None:
            return [
                OutgoingMessage(
                    t(
                        language,
                        "Lotsen cannot connect you to staff in your municipality. "
                        "Please contact your municipality directly.",
                    )
                )
            ]
        now = self.clock()
        if not schedule.is_open(now):
            opening = schedule.next_opening(now)
            when = format_opening(opening, language) if opening else t(language, "later")
            text = t(
                language,
                "Staff are not available right now. They are back {when}. "
                "You can leave a message, and they will read it when the office opens.",
                when=when,
            )
            return [OutgoingMessage.with_buttons(text, self._closed_buttons(language))]
        position = await self._enqueue(conversation, office, reason, now, message_id)
        text = t(
            language,
            "I am asking a staff member at {office} to take over. You are number {position} in the queue. "
            "You can keep writing here; they will see your messages.",
            office=office.name,
            position=position,
        )
        return [OutgoingMessage.with_buttons(text, [{"title": t(language, "Stop waiting"), "payload": STOP_WAITING}])]

    async def stop_waiting(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        """The user leaves the queue before anyone took the chat: back to the bot."""
        async with self.db.sessions() as session:
            handoff = await session.scalar(
                select(Handoff).where(Handoff.conversation_id == conversation.id, Handoff.status == "waiting")
            )
            if handoff is not None:
                handoff.status, handoff.ended_at = "cancelled", self.clock()
            await session.execute(update(Conversation).where(Conversation.id == conversation.id).values(mode="bot"))
            await session.commit()
        conversation.mode = "bot"
        await self.broker.publish({"type": "queue"})
        return [OutgoingMessage(t(language, "OK, you have left the queue. Ask me anything."))]

    @staticmethod
    def _closed_buttons(language: str) -> list[dict[str, str]]:
        return [{"title": t(language, "Leave a message"), "payload": LEAVE_MESSAGE}]

    async def _enqueue(
        self, conversation: Conversation, office: Office, reason: str, now: datetime, message_id: int | None
    ) -> int:
        async with self.db.sessions() as session:
            handoff = await session.scalar(
                select(Handoff).where(Handoff.conversation_id == conversation.id, Handoff.status.in_(OPEN_STATUSES))
            )
            if handoff is None:
                handoff = Handoff(
                    conversation_id=conversation.id,
                    municipality=conversation.municipality or "",
                    office_id=office.id,
                    reason=reason,
                    message_id=message_id,
                    status="waiting",
                    requested_at=now,
                )
                session.add(handoff)
                await session.execute(
                    update(Conversation).where(Conversation.id == conversation.id).values(mode="waiting")
                )
                conversation.mode = "waiting"
            await session.flush()
            position = await session.scalar(
                select(func.count()).where(
                    Handoff.status == "waiting",
                    Handoff.municipality == handoff.municipality,
                    Handoff.id <= handoff.id,
                )
            )
            await session.commit()
        await self.broker.publish({"type": "queue"})
        return int(position or 1)

    async def start_message(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        async with self.db.sessions() as session:
            await session.execute(
                update(Conversation).where(Conversation.id == conversation.id).values(leaving_message=True)
            )
            await session.commit()
        conversation.leaving_message = True
        return [
            OutgoingMessage(
                t(language, "Write your message now, in one message. Staff will read it when the office opens.")
            )
        ]

    async def take_message(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]:
        """Store the user's message for staff as a ticket; back to the bot afterwards."""
        async with self.db.sessions() as session:
            session.add(
                Ticket(
                    conversation_id=conversation.id, municipality=conversation.municipality, text=text, status="open"
                )
            )
            await session.execute(
                update(Conversation).where(Conversation.id == conversation.id).values(leaving_message=False)
            )
            await session.commit()
        conversation.leaving_message = False
        await self.broker.publish({"type": "queue"})
        return [
            OutgoingMessage(
                t(language, "Thank you. Your message is saved, and staff will read it when the office opens.")
            )
        ]

    async def user_wrote(self, conversation: Conversation) -> None:
        """A user in the queue or with staff wrote: open consoles show it."""
        await self.broker.publish({"type": "message", "conversation": conversation.id})

    async def expire_if_unclaimed(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        """If this conversation waited longer than the claim timeout, end the wait and say
        so (the notice is stored, like every message to the user)."""
        if conversation.mode != "waiting":
            return []
        expired = await self.expire_due(conversation_id=conversation.id)
        if not expired:
            return []
        conversation.mode = "bot"
        return [self._expired_notice(language)]

    def _expired_notice(self, language: str) -> OutgoingMessage:
        text = t(
            language,
            "Sorry, no staff member could take your chat right now. You can leave a message for them, "
            "or keep asking me.",
        )
        return OutgoingMessage.with_buttons(text, self._closed_buttons(language))

    async def expire_due(self, conversation_id: int | None = None) -> list[int]:
        """End every wait older than the claim timeout (or just this conversation's): the
        conversation returns to the bot and the user finds the notice in the chat."""
        deadline = self.clock() - self.claim_timeout
        query = select(Handoff).where(Handoff.status == "waiting", Handoff.requested_at <= deadline)
        if conversation_id is not None:
            query = query.where(Handoff.conversation_id == conversation_id)
        expired: list[int] = []
        notices: list[tuple[int, Message]] = []
        async with self.db.sessions() as session:
            for handoff in list(await session.scalars(query)):
                conversation = await session.get(Conversation, handoff.conversation_id)
                if conversation is None:
                    continue
                handoff.status, handoff.ended_at = "expired", self.clock()
                conversation.mode = "bot"
                notice = self._expired_notice(conversation.language or "sv")
                buttons = [{"title": b.title, "payload": b.payload} for b in notice.buttons]
                stored = Message(conversation_id=conversation.id, author="system", text=notice.text, buttons=buttons)
                session.add(stored)
                notices.append((conversation.id, stored))
                expired.append(conversation.id)
            await session.commit()
        if expired:
            await self.broker.publish({"type": "queue"})
        if conversation_id is None:  # found by the sweep: the user's channel must deliver it
            for owner, stored in notices:
                await self.broker.publish({"type": "deliver", "conversation": owner, "messages": [stored.id]})
        return expired


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
