"""Retention removes old conversations in the gateway and old events in Rasa's tracker,
and nothing newer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text, update
from starlette.testclient import TestClient

from bot.db import Conversation, Database, Message, OutboxEntry, aware
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


async def test_silent_conversations_go_everywhere_and_active_ones_stay(stores: tuple[str, str]) -> None:
    """Age counts from the last message: a conversation created and last changed 40 days
    ago but written in yesterday is kept (the first version counted from `updated_at`,
    which a message does not touch, and deleted it); one silent for 31 days goes from the
    gateway (messages and outbox entries with it) and from Rasa's tracker."""
    gateway_url, tracker_url = stores
    db = Database(gateway_url)
    await db.create()
    async with db.sessions() as session:
        silent, active = Conversation(channel="web", sender="silent"), Conversation(channel="web", sender="active")
        session.add_all([silent, active])
        await session.flush()
        old_message = Message(conversation_id=silent.id, author="bot", text="gammalt")
        session.add_all([old_message, Message(conversation_id=active.id, author="user", text="nytt")])
        await session.flush()
        session.add(OutboxEntry(conversation_id=silent.id, message_id=old_message.id, channel="web"))
        await session.commit()
        long_ago, yesterday = NOW - timedelta(days=40), NOW - timedelta(days=1)
        await session.execute(update(Conversation).values(created_at=long_ago, updated_at=long_ago))
        await session.execute(
            update(Conversation).where(Conversation.sender == "silent").values(last_message_at=NOW - timedelta(days=31))
        )
        await session.execute(
            update(Conversation).where(Conversation.sender == "active").values(last_message_at=yesterday)
        )
        await session.commit()
    tracker = create_engine(tracker_url)
    with tracker.begin() as connection:  # the columns retention uses of Rasa's `events` table
        connection.execute(text("CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id TEXT, timestamp FLOAT)"))
        connection.execute(
            text("INSERT INTO events (sender_id, timestamp) VALUES (:s, :t)"),
            [
                {"s": "web:silent", "t": (NOW - timedelta(days=31)).timestamp()},
                {"s": "web:silent", "t": (NOW - timedelta(days=29)).timestamp()},  # newer than the cut-off: still goes
                {"s": "web:active", "t": yesterday.timestamp()},
                {"s": "web:nobody", "t": (NOW - timedelta(days=45)).timestamp()},  # an orphan past the cut-off
            ],
        )

    removed = await apply_retention(db, tracker_url, days=30, now=NOW)

    assert (removed.conversations, removed.tracker_events) == (1, 3)
    async with db.sessions() as session:
        assert list(await session.scalars(select(Conversation.sender))) == ["active"]
        assert list(await session.scalars(select(Message.text))) == ["nytt"]  # messages went with it
        assert list(await session.scalars(select(OutboxEntry.id))) == []
    with tracker.connect() as connection:
        assert connection.execute(text("SELECT sender_id FROM events")).fetchall() == [("web:active",)]
    tracker.dispose()
    await db.dispose()


async def test_every_message_moves_the_conversation_on(client: TestClient) -> None:
    """Through the chat API: a user message and the bot's reply both set last_message_at."""
    from tests.helpers.chat import post_chat

    post_chat(client, {"sender": "daily", "text": "hej"})

    async def age_it() -> None:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            await session.execute(update(Conversation).values(last_message_at=NOW - timedelta(days=60)))
            await session.commit()

    async def last() -> datetime:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return aware(await session.scalar(select(Conversation.last_message_at)))

    client.portal.call(age_it)  # type: ignore[union-attr]
    post_chat(client, {"sender": "daily", "text": "hej igen"})
    assert client.portal.call(last) > datetime.now(timezone.utc) - timedelta(minutes=1)  # type: ignore[union-attr]


async def test_unreachable_tracker_store_is_reported_not_raised(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.create()
    removed = await apply_retention(db, f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}", days=30, now=NOW)
    assert removed.tracker_events is None
    await db.dispose()


async def test_erasing_one_conversation_removes_its_messages_handoffs_tickets_and_feedback(tmp_path: Path) -> None:
    from bot.db import Feedback, Handoff, Ticket
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
                Ticket(conversation_id=gone.id, kind="callback", text="", phone="+46701234567", interpreter="ti"),
                Feedback(conversation_id=gone.id, topic="ask_tax", value=-1, reason="mitt nummer 070-1234567"),
                Feedback(conversation_id=kept.id, topic="ask_tax", value=1),
            ]
        )
        await session.commit()
    await erase_conversation(db, gone, tracker_url=None)
    async with db.sessions() as session:
        assert list(await session.scalars(select(Message.text))) == ["behåll mig"]
        assert list(await session.scalars(select(Handoff.id))) == []
        assert list(await session.scalars(select(Ticket.id))) == []  # the callback's number with it
        assert list(await session.scalars(select(Feedback.value))) == [1]
    await db.dispose()


async def test_erasure_says_deleted_only_when_every_store_confirmed_and_finishes_later(tmp_path: Path) -> None:
    from bot.db import ErasureJob
    from bot.erasure import ErasureJobs, erase_conversation
    from tests.helpers.trackers import tracker_store

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.create()
    missing = f"sqlite:///{tmp_path / 'not-yet' / 'tracker.db'}"  # Rasa's store cannot be reached
    async with db.sessions() as session:
        gone = Conversation(channel="web", sender="x")
        session.add(gone)
        await session.commit()
    assert await erase_conversation(db, gone, missing) is False  # not "deleted" yet
    async with db.sessions() as session:
        assert list(await session.scalars(select(Conversation.id))) == []  # the chat itself is gone
        [job] = list(await session.scalars(select(ErasureJob)))
        assert job.rasa_sender_id == "web:x" and job.attempts == 1 and job.last_error

    (tmp_path / "not-yet").mkdir()
    url = tracker_store(tmp_path / "not-yet")
    tracker = create_engine(url)
    with tracker.begin() as connection:
        connection.execute(text("INSERT INTO events (sender_id, timestamp) VALUES ('web:x', 1), ('web:y', 1)"))
    jobs = ErasureJobs(db, url, clock=lambda: datetime.now(timezone.utc) + timedelta(hours=2))
    assert await jobs.stuck() == 1
    assert await jobs.run_due() == 1
    with tracker.connect() as connection:
        assert connection.execute(text("SELECT sender_id FROM events")).fetchall() == [("web:y",)]
    async with db.sessions() as session:
        assert list(await session.scalars(select(ErasureJob))) == []  # done: no trace of the id is kept
    assert await jobs.stuck() == 0
    tracker.dispose()
    await db.dispose()
