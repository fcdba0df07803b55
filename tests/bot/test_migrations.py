"""Alembic migrations build the schema the models describe, and keep old data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from bot.db import Base, Database
from bot.migrate import alembic_config


async def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    await db.create()

    def diff(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []
    await db.dispose()


async def test_database_from_before_migrations_is_upgraded_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the schema `create_all` made before Alembic
        old.executescript(
            """
            CREATE TABLE conversations (id INTEGER PRIMARY KEY, channel VARCHAR(16) NOT NULL,
              sender VARCHAR(128) NOT NULL, language VARCHAR(8), municipality VARCHAR(32),
              mode VARCHAR(8) NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
              CONSTRAINT uq_conversation_channel_sender UNIQUE (channel, sender));
            CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER NOT NULL
              REFERENCES conversations(id) ON DELETE CASCADE, author VARCHAR(8) NOT NULL, text TEXT NOT NULL,
              buttons JSON, created_at DATETIME NOT NULL);
            INSERT INTO conversations VALUES (1, 'web', 'old-user', 'ar', NULL, 'bot', '2026-11-01', '2026-11-01');
            INSERT INTO messages VALUES (1, 1, 'user', 'مرحبا', NULL, '2026-11-01');
            """
        )
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.create()
    await db.dispose()
    with sqlite3.connect(path) as upgraded:
        assert upgraded.execute(
            "SELECT sender, language, pending_language, leaving_message FROM conversations"
        ).fetchall() == [("old-user", "ar", None, 0)]
        assert upgraded.execute("SELECT text, unanswered FROM messages").fetchall() == [("مرحبا", None)]
        assert upgraded.execute("SELECT count(*) FROM staff").fetchall() == [(0,)]
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert head is not None and head >= "0006"
        assert upgraded.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
