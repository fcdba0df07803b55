"""Erase one person's conversation everywhere Lotsen keeps it: the gateway's database
(conversation, messages, handoffs, tickets — by cascade) and Rasa's tracker store.

Rasa 3.6 has no API that deletes a tracker's events (replacing them keeps the old rows in
the SQL store), so the gateway deletes them in the tracker database itself, which it
reaches through `LOTSEN_RASA_TRACKER_URL` (the stack sets it; SQLite by default).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import create_engine, delete, text
from sqlalchemy.exc import SQLAlchemyError

from bot.db import Conversation, Database

log = logging.getLogger(__name__)


def _erase_tracker(tracker_url: str, sender_id: str) -> int:
    engine = create_engine(tracker_url)
    try:
        with engine.begin() as connection:
            result = connection.execute(text("DELETE FROM events WHERE sender_id = :sender"), {"sender": sender_id})
            return int(result.rowcount or 0)
    finally:
        engine.dispose()


async def erase_conversation(db: Database, conversation: Conversation, tracker_url: str | None) -> bool:
    """Delete the conversation and its Rasa tracker; False if the tracker could not be erased
    (the gateway's rows are deleted regardless, and the failure is logged for a retry)."""
    sender_id = conversation.rasa_sender_id
    async with db.sessions() as session:
        await session.execute(delete(Conversation).where(Conversation.id == conversation.id))
        await session.commit()
    if tracker_url is None:
        log.warning("no LOTSEN_RASA_TRACKER_URL: Rasa's tracker for a forgotten conversation was not erased")
        return False
    try:
        removed = await asyncio.to_thread(_erase_tracker, tracker_url, sender_id)
    except SQLAlchemyError:
        log.exception("erasing Rasa's tracker for a forgotten conversation failed")
        return False
    log.info("forgot a %s conversation (%d tracker events)", conversation.channel, removed)
    return True
