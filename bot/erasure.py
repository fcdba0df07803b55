"""Erase one person's conversation everywhere Lotsen keeps it, and say so only when true.

The gateway's rows (conversation, messages, handoffs, tickets, outbox — by cascade) are
deleted in one transaction together with an `ErasureJob` for Rasa's tracker store. Rasa
3.6 has no API that deletes a tracker's events (replacing them keeps the old rows in the
SQL store), so the gateway deletes them in the tracker database itself
(`LOTSEN_RASA_TRACKER_URL`). When that works at once, the job is gone and the person
hears "deleted"; when it does not, they hear it will be finished shortly, and
`ErasureJobs` retries until it is done (admins see jobs that keep failing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import create_engine, delete, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.db import Conversation, Database, ErasureJob, utcnow

log = logging.getLogger(__name__)

RETRY_FIRST = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
LOUD_AFTER_ATTEMPTS = 5
POLL_SECONDS = 30.0


def _erase_tracker(tracker_url: str, sender_id: str) -> int:
    engine = create_engine(tracker_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id})
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


async def _try_tracker(tracker_url: str | None, sender_id: str) -> str | None:
    """None when the tracker's events are gone; else why not."""
    if tracker_url is None:
        return "LOTSEN_RASA_TRACKER_URL is not set"
    try:
        await asyncio.to_thread(_erase_tracker, tracker_url, sender_id)
    except SQLAlchemyError as exc:
        return f"{type(exc).__name__}: {str(exc)[:150]}"
    return None


async def erase_conversation(db: Database, conversation: Conversation, tracker_url: str | None) -> bool:
    """Delete the conversation everywhere; True when every store confirmed it now, False
    when Rasa's tracker is left to the durable job (the gateway's rows are gone either way)."""
    sender_id = conversation.rasa_sender_id
    async with db.sessions() as session:
        await session.execute(delete(Conversation).where(Conversation.id == conversation.id))
        job = ErasureJob(rasa_sender_id=sender_id)
        session.add(job)
        await session.commit()
    failure = await _try_tracker(tracker_url, sender_id)
    if failure is None:
        async with db.sessions() as session:
            await session.execute(delete(ErasureJob).where(ErasureJob.id == job.id))
            await session.commit()
        log.info("forgot a %s conversation everywhere", conversation.channel)
        return True
    log.warning(
        "a %s conversation is erased from the gateway; Rasa's copy is queued (%s)", conversation.channel, failure
    )
    await ErasureJobs.failed(db, job.id, failure, attempts=1)
    return False


class ErasureJobs:
    """Finishes erasures Rasa's tracker store could not take at once, with back-off."""

    def __init__(self, db: Database, tracker_url: str | None, clock: Callable[[], datetime] = utcnow) -> None:
        self.db = db
        self.tracker_url = tracker_url
        self.clock = clock

    async def run_due(self) -> int:
        """Try every due job once; returns how many finished."""
        async with self.db.sessions() as session:
            due = list(
                await session.scalars(
                    select(ErasureJob).where(ErasureJob.done_at.is_(None), ErasureJob.next_attempt_at <= self.clock())
                )
            )
        finished = 0
        for job in due:
            failure = await _try_tracker(self.tracker_url, job.rasa_sender_id)
            if failure is None:
                async with self.db.sessions() as session:
                    await session.execute(delete(ErasureJob).where(ErasureJob.id == job.id))
                    await session.commit()
                finished += 1
            else:
                await self.failed(self.db, job.id, failure, job.attempts + 1, self.clock())
        return finished

    @staticmethod
    async def failed(db: Database, job_id: int, reason: str, attempts: int, now: datetime | None = None) -> None:
        delay = min(RETRY_FIRST * 2 ** (attempts - 1), RETRY_MAX)
        level = logging.ERROR if attempts >= LOUD_AFTER_ATTEMPTS else logging.WARNING
        log.log(level, "erasure job %s not finished (attempt %d): %s", job_id, attempts, reason)
        async with db.sessions() as session:
            job = await session.get(ErasureJob, job_id)
            if job is not None:
                job.attempts, job.last_error = attempts, reason[:200]
                job.next_attempt_at = (now or utcnow()) + delay
                await session.commit()

    async def stuck(self, older_than: timedelta = timedelta(hours=1)) -> int:
        """Jobs still open after `older_than`: shown to admins and in /healthz."""
        async with self.db.sessions() as session:
            count = await session.scalar(
                select(func.count()).where(
                    ErasureJob.done_at.is_(None), ErasureJob.requested_at < self.clock() - older_than
                )
            )
        return int(count or 0)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:
                log.exception("erasure jobs round failed; retrying")
            await asyncio.sleep(POLL_SECONDS)
