"""Alembic environment: runs on the connection the gateway hands over (see bot/migrate.py)."""

from __future__ import annotations

from alembic import context

from bot.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
