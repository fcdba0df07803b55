"""Retention: delete conversations nobody has written in for `LOTSEN_RETENTION_DAYS`
(default 30) everywhere Lotsen keeps them — the gateway's database (conversation,
messages, handoffs, tickets and outbox entries by cascade) and Rasa's tracker store
(every event of those conversations, and any event older than the cut-off).

Age is measured from the conversation's last message (`last_message_at`, moved on by
every message in or out), so a person who writes every day is never deleted, however
old the conversation.

Runs inside the gateway a minute after start-up and then once a day, and on demand with `python -m bot.retention`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.db import Conversation, Database
from bot.statistics.rollup import freeze_closed_weeks
from lotsen.settings import settings_or_exit

log = logging.getLogger(__name__)
DAY_SECONDS = 24 * 3600
# The first run waits until start-up traffic (migrations, the first users) is over.
FIRST_RUN_SECONDS = 60


@dataclass(frozen=True)
class Removed:
    conversations: int
    tracker_events: int | None  # None: the tracker store could not be reached


def _prune_tracker(tracker_url: str, cutoff: datetime, senders: list[str]) -> int:
    """Every event of the deleted conversations, and whatever else is older than the cut-off."""
    engine = create_engine(tracker_url)
    try:
        with engine.begin() as connection:
            removed = 0
            for sender in senders:
                result = connection.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender})
                removed += int(result.rowcount or 0)
            result = connection.execute(
                text("DELETE FROM events WHERE timestamp < :cutoff"), {"cutoff": cutoff.timestamp()}
            )
            return removed + int(result.rowcount or 0)
    finally:
        engine.dispose()


async def apply_retention(db: Database, tracker_url: str | None, days: int, now: datetime | None = None) -> Removed:
    """Delete conversations silent for `days` (and their tracker events); first, the
    statistics keep every finished week as totals, so the municipality's figures outlive
    the conversations they count (bot/statistics/rollup.py: counts only, no text or ids)."""
    try:
        await freeze_closed_weeks(db, now or datetime.now(timezone.utc))
    except Exception:
        log.exception("retention: the statistics of finished weeks could not be saved")
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    silent = Conversation.last_message_at < cutoff
    async with db.sessions() as session:
        gone = (await session.execute(select(Conversation.channel, Conversation.sender).where(silent))).all()
        await session.execute(delete(Conversation).where(silent))
        await session.commit()
    conversations = len(gone)
    senders = [f"{channel}:{sender}" for channel, sender in gone]  # Conversation.rasa_sender_id
    events: int | None = None
    if tracker_url:
        try:
            events = await asyncio.to_thread(_prune_tracker, tracker_url, cutoff, senders)
        except SQLAlchemyError:
            log.exception("retention: Rasa's tracker store could not be pruned")
    log.info("retention (%d days): %d conversations, %s tracker events removed", days, conversations, events)
    return Removed(conversations, events)


async def retention_forever(db: Database, tracker_url: str | None, days: int) -> None:
    """A minute after start-up, then once a day."""
    await asyncio.sleep(FIRST_RUN_SECONDS)
    while True:
        try:
            await apply_retention(db, tracker_url, days)
        except Exception:
            log.exception("retention run failed")
        await asyncio.sleep(DAY_SECONDS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.retention", description=__doc__)
    settings = settings_or_exit()
    parser.add_argument("--days", type=int, default=settings.retention_days)
    args = parser.parse_args(argv)

    async def run() -> Removed:
        db = Database(settings.database_url)
        await db.create()
        try:
            return await apply_retention(db, settings.rasa_tracker_url, args.days)
        finally:
            await db.dispose()

    removed = asyncio.run(run())
    print(f"removed {removed.conversations} conversation(s) and {removed.tracker_events} tracker event(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
