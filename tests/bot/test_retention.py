"""Retention removes old conversations in the gateway and old events in Rasa's tracker,
and nothing newer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update

from bot.db import Conversation, Database, Message
from bot.retention import apply_retention
from tests.helpers.services import POSTGRES_ADMIN_URL, fresh_database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(gateway database URL, Rasa tracker URL): SQLite files, or fresh PostgreSQL databases."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'g.db'}", f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    server = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    with fresh_database("lotsen_retention_gw") as gateway, fresh_database("lotsen_retention_rasa") as tracker:
        yield f"{server.replace('postgresql://', 'postgresql+asyncpg://')}/{gateway}", f"{server}/{tracker}"


async def test_old_conversations_and_tracker_events_are_deleted_everywhere(stores: tuple[str, str]) -> None:
    gateway_url, tracker_url = stores
    db = Database(gateway_url)
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
    tracker = create_engine(tracker_url)
    with tracker.begin() as connection:  # the columns retention uses of Rasa's `events` table
        connection.execute(text("CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id TEXT, timestamp FLOAT)"))
        connection.execute(
            text("INSERT INTO events (sender_id, timestamp) VALUES (:s, :t)"),
            [
                {"s": "web:old", "t": (NOW - timedelta(days=40)).timestamp()},
                {"s": "web:recent", "t": (NOW - timedelta(days=1)).timestamp()},
            ],
        )

    removed = await apply_retention(db, tracker_url, days=30, now=NOW)

    assert (removed.conversations, removed.tracker_events) == (1, 1)
    async with db.sessions() as session:
        assert list(await session.scalars(select(Conversation.sender))) == ["recent"]
        assert list(await session.scalars(select(Message.text))) == ["nytt"]  # messages went with it
    with tracker.connect() as connection:
        assert connection.execute(text("SELECT sender_id FROM events")).fetchall() == [("web:recent",)]
    tracker.dispose()
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
