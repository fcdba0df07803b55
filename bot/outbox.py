"""The durable outbox: every message that must reach a user outside a request's response
(a Telegram reply, a staff reply, a notice found by the sweep) is delivered from here.

The message and its `OutboxEntry` are written in one transaction (`store_messages(...,
push=True)`), so a message is never stored without being queued, nor queued without
being stored. Delivery then goes conversation by conversation, in message order:

- one gateway at a time takes a conversation's pending entries by a lease (a conditional
  UPDATE that works on SQLite and PostgreSQL alike), so several gateways never send the
  same entry at once, and an entry whose gateway died is taken over when the lease ends;
- an entry is marked sent as soon as its channel took it; a failure leaves it (and the
  entries after it, so order holds) for a retry with doubling back-off.

That is at-least-once delivery: a gateway killed between the platform's "ok" and the
commit of `sent_at` sends that one message again after the restart. The message id is
the idempotency key where a receiver can use it (the widget drops ids it has shown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update

from bot.channels.base import DeliveryFailedError, OutputChannel, UndeliverableError
from bot.db import Conversation, Database, Message, OutboxEntry, aware, utcnow
from bot.events import Broker
from bot.locks import KeyedLocks

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
FIRST_RETRY = timedelta(seconds=2)
MAX_RETRY = timedelta(minutes=10)
POLL_SECONDS = 5.0
LOUD_AFTER_ATTEMPTS = 5  # log at ERROR from here on, once per entry
WAKE_EVENT = "outbox"

Clock = Callable[[], datetime]


def retry_delay(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s … capped at ten minutes."""
    delay: timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY)
    return delay


class Outbox:
    def __init__(
        self, db: Database, channels: Mapping[str, OutputChannel], broker: Broker, clock: Clock = utcnow
    ) -> None:
        self.db = db
        self.channels = channels
        self.broker = broker
        self.clock = clock
        self.owner = secrets.token_hex(8)
        self._locks = KeyedLocks()
        self._wake = asyncio.Event()

    async def announce(self, conversation_id: int) -> None:
        """New entries were committed: deliver them here now, and wake other gateways."""
        await self.flush(conversation_id)
        await self.broker.publish({"type": WAKE_EVENT})

    async def flush(self, conversation_id: int) -> int:
        """Deliver this conversation's due entries now, in order; returns how many went."""
        async with self._locks.hold(conversation_id):
            return await self._deliver(conversation_id)

    async def flush_due(self) -> int:
        """Every conversation with a due entry (the loop, and tests after a restart)."""
        now = self.clock()
        async with self.db.sessions() as session:
            due = await session.scalars(
                select(OutboxEntry.conversation_id)
                .where(OutboxEntry.sent_at.is_(None), OutboxEntry.next_attempt_at <= now)
                .distinct()
            )
            conversations = list(due)
        sent = 0
        for conversation_id in conversations:
            try:
                sent += await self.flush(conversation_id)
            except Exception:  # one broken conversation must not hold up everyone else's
                log.exception("outbox: delivering conversation %s failed; the others go on", conversation_id)
        return sent

    async def run_forever(self) -> None:
        """Deliver what is due every few seconds, or at once when another gateway (or the
        sweep) says it queued something."""
        events = self.broker.subscribe()
        waker = asyncio.create_task(self._listen(events))
        try:
            while True:
                try:
                    await self.flush_due()
                except Exception:
                    log.exception("outbox delivery round failed; retrying")
                self._wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
        finally:
            waker.cancel()
            self.broker.unsubscribe(events)

    async def _listen(self, events: asyncio.Queue[dict[str, object]]) -> None:
        while True:
            if (await events.get()).get("type") == WAKE_EVENT:
                self._wake.set()

    async def _lease(self, conversation_id: int, now: datetime) -> list[tuple[OutboxEntry, Message]]:
        """Take this conversation's pending entries for this gateway, oldest first."""
        async with self.db.sessions() as session:
            free = or_(
                OutboxEntry.lease_until.is_(None), OutboxEntry.lease_until < now, OutboxEntry.lease_owner == self.owner
            )
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.conversation_id == conversation_id, OutboxEntry.sent_at.is_(None), free)
                .values(lease_owner=self.owner, lease_until=now + LEASE)
            )
            await session.commit()
            rows = await session.execute(
                select(OutboxEntry, Message)
                .join(Message, Message.id == OutboxEntry.message_id)
                .where(
                    and_(
                        OutboxEntry.conversation_id == conversation_id,
                        OutboxEntry.sent_at.is_(None),
                        OutboxEntry.lease_owner == self.owner,
                    )
                )
                .order_by(OutboxEntry.id)
            )
            return [(entry, message) for entry, message in rows.all()]

    async def _deliver(self, conversation_id: int) -> int:
        now = self.clock()
        leased = await self._lease(conversation_id, now)
        if not leased:
            return 0
        if aware(leased[0][0].next_attempt_at) > now:  # the first is waiting for its retry
            await self._release([entry.id for entry, _ in leased])
            return 0
        async with self.db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
        channel = self.channels.get(conversation.channel) if conversation else None
        if conversation is None or channel is None:
            log.warning("outbox: no channel for conversation %s; entries kept", conversation_id)
            await self._release([entry.id for entry, _ in leased])
            return 0
        sent = 0
        for index, (entry, message) in enumerate(leased):
            try:
                await channel.deliver(conversation, [message])
            except UndeliverableError as exc:
                log.warning("outbox entry %s cannot be delivered, kept in the transcript: %s", entry.id, exc)
                await self._mark_sent(entry.id, error=str(exc))
                continue
            except DeliveryFailedError as exc:
                await self._failed(entry, str(exc))
                await self._release([later.id for later, _ in leased[index + 1 :]])
                break
            await self._mark_sent(entry.id)
            sent += 1
        return sent

    async def _mark_sent(self, entry_id: int, error: str | None = None) -> None:
        """Done with the entry: taken by the channel, or (`error`) refused for good."""
        values: dict[str, object] = {"sent_at": self.clock(), "lease_owner": None, "lease_until": None}
        if error is not None:
            values["last_error"] = f"undeliverable: {error}"[:200]
        async with self.db.sessions() as session:
            await session.execute(update(OutboxEntry).where(OutboxEntry.id == entry_id).values(**values))
            await session.commit()

    async def _failed(self, entry: OutboxEntry, reason: str) -> None:
        attempts = entry.attempts + 1
        delay = retry_delay(attempts)
        level = logging.ERROR if attempts == LOUD_AFTER_ATTEMPTS else logging.WARNING
        log.log(level, "outbox entry %s not delivered (attempt %d, next in %s): %s", entry.id, attempts, delay, reason)
        async with self.db.sessions() as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id == entry.id)
                .values(
                    attempts=attempts,
                    next_attempt_at=self.clock() + delay,
                    last_error=reason[:200],
                    lease_owner=None,
                    lease_until=None,
                )
            )
            await session.commit()

    async def _release(self, entry_ids: list[int]) -> None:
        if not entry_ids:
            return
        async with self.db.sessions() as session:
            await session.execute(
                update(OutboxEntry)
                .where(OutboxEntry.id.in_(entry_ids), OutboxEntry.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None)
            )
            await session.commit()
