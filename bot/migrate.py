"""Bring the gateway's database to the newest schema with Alembic, at start-up.

Runs on the gateway's own engine (SQLite or PostgreSQL alike). A database made before
migrations existed (tables but no version) is stamped as the first revision, then
upgraded, so no data is lost.
"""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lotsen.paths import ROOT
from lotsen.settings import settings_or_exit

MIGRATIONS = ROOT / "bot" / "migrations"
FIRST_REVISION = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


# Any constant: gateways starting together on one PostgreSQL database take turns.
MIGRATION_LOCK = 4_711_2026


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Two gateways starting at once would both try to create the tables; the second
        # waits here (released at commit) and then finds the schema up to date.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite rebuilds a table for some ALTERs (Alembic's batch mode); with foreign keys
        # on, dropping the old conversations table would cascade-delete every message.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        config = alembic_config(connection)
        tables = set(inspect(connection).get_table_names())
        if "conversations" in tables and "alembic_version" not in tables:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, "head")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


async def upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def main() -> int:
    """`make migrate`: bring the configured database (LOTSEN_DATABASE_URL) to the newest
    schema now, e.g. before a rolling deploy; gateways also do it when they start."""

    async def run() -> None:
        engine = create_async_engine(settings_or_exit().database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database schema is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
