"""Retention removes old conversations in the gateway and old events in Rasa's tracker,
and nothing newer."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, update

from bot.db import Conversation, Database, Message
from bot.retention import apply_retention

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


async def test_old_conversations_and_tracker_events_are_deleted_everywhere(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.create()
    async with db.sessions() as session:
        old, recent = Conversation(channel="web", sender="old"), Conversation(channel="web", sender="recent")
        session.add_all([old, recent])
        await session.flush()
        session.add_all([Message(conversation_id=old.id, author="user", text="gammalt"),
                         Message(conversation_id=recent.id, author="user", text="nytt")])  # fmt: skip
        await session.commit()
        await session.execute(
            update(Conversation).where(Conversation.sender == "old").values(updated_at=NOW - timedelta(days=31))
        )
        await session.execute(
            update(Conversation).where(Conversation.sender == "recent").values(updated_at=NOW - timedelta(days=2))
        )
        await session.commit()
    tracker = tmp_path / "tracker.db"
    with sqlite3.connect(tracker) as connection:
        connection.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp REAL)")
        connection.executemany(
            "INSERT INTO events (sender_id, timestamp) VALUES (?, ?)",
            [
                ("web:old", (NOW - timedelta(days=40)).timestamp()),
                ("web:recent", (NOW - timedelta(days=1)).timestamp()),
            ],
        )

    removed = await apply_retention(db, f"sqlite:///{tracker}", days=30, now=NOW)

    assert (removed.conversations, removed.tracker_events) == (1, 1)
    async with db.sessions() as session:
        assert list(await session.scalars(select(Conversation.sender))) == ["recent"]
        assert list(await session.scalars(select(Message.text))) == ["nytt"]  # messages went with it
    with sqlite3.connect(tracker) as connection:
        assert connection.execute("SELECT sender_id FROM events").fetchall() == [("web:recent",)]
    await db.dispose()


async def test_unreachable_tracker_store_is_reported_not_raised(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.create()
    removed = await apply_retention(db, f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}", days=30, now=NOW)
    assert removed.tracker_events is None
    await db.dispose()


async def test_erasing_one_conversation_removes_its_messages_handoffs_and_tickets(tmp_path: Path) -> None:
    from bot.db import Handoff, Ticket
    from bot.erasure import erase_conversation

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.create()
    async with db.sessions() as session:
        gone, kept = Conversation(channel="telegram", sender="1"), Conversation(channel="web", sender="2")
        session.add_all([gone, kept])
        await session.flush()
        session.add_all(
            [
                Message(conversation_id=gone.id, author="user", text="radera mig"),
                Message(conversation_id=kept.id, author="user", text="behåll mig"),
                Handoff(
                    conversation_id=gone.id, municipality="bastad", office_id="x", reason="asked", status="waiting"
                ),
                Ticket(conversation_id=gone.id, municipality="bastad", text="ring mig", status="open"),
            ]
        )
        await session.commit()
    await erase_conversation(db, gone, tracker_url=None)
    async with db.sessions() as session:
        assert list(await session.scalars(select(Message.text))) == ["behåll mig"]
        assert list(await session.scalars(select(Handoff.id))) == []
        assert list(await session.scalars(select(Ticket.id))) == []
    await db.dispose()
