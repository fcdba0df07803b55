"""`make run-scaled`: 2 Rasa servers + 2 gateways + 1 action server on this machine,
sharing the local PostgreSQL (gateway database, Rasa's tracker store) and Redis (Rasa's
lock store, live console events) — the layout of docs/deploy.md in miniature.

Configuration is the same environment variables a real deployment sets; this module
only picks local defaults and creates the two databases when they are missing.

    LOTSEN_POSTGRES=postgresql://127.0.0.1:5432   (trust or password in the URL)
    LOTSEN_REDIS=redis://127.0.0.1:6379
"""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lotsen.settings import settings_or_exit
from lotsen.stack import Stack, StackConfig, load_env_file, serve

GATEWAY_DATABASE = "lotsen"
TRACKER_DATABASE = "lotsen_rasa"


def _with_database(server_url: str, database: str, driver: str = "postgresql") -> str:
    parts = urlsplit(server_url)
    return urlunsplit((driver, parts.netloc, f"/{database}", parts.query, ""))


@contextmanager
def _admin_cursor(server_url: str) -> Iterator[Any]:
    """A cursor on the server's `postgres` database in autocommit mode (CREATE/DROP
    DATABASE cannot run in a transaction). A new connection each time: the server may
    have restarted since the last one."""
    import psycopg2  # only needed when PostgreSQL is used

    connection = psycopg2.connect(_with_database(server_url, "postgres"))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        connection.close()


def ensure_databases(server_url: str, names: tuple[str, ...]) -> None:
    """CREATE DATABASE for each missing one (PostgreSQL has no IF NOT EXISTS for it)."""
    with _admin_cursor(server_url) as cursor:
        for name in names:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
                print(f"created PostgreSQL database {name}")


def recreate_databases(server_url: str, names: tuple[str, ...], create: bool = True) -> None:
    """Drop and (unless `create` is false) create again: a benchmark or a test starts
    from empty stores and leaves none behind."""
    with _admin_cursor(server_url) as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                cursor.execute(f'CREATE DATABASE "{name}"')


def scaled_env(
    postgres: str, redis: str, gateway_db: str, tracker_db: str, secret_key: str | None = None
) -> dict[str, str]:
    """The settings that switch every process from the embedded defaults to shared engines."""
    parts = urlsplit(redis)
    return {
        "LOTSEN_DATABASE_URL": _with_database(postgres, gateway_db, "postgresql+asyncpg"),
        "LOTSEN_RASA_TRACKER_URL": _with_database(postgres, tracker_db),
        "LOTSEN_RASA_LOCK_STORE": "redis",
        "LOTSEN_REDIS_HOST": parts.hostname or "127.0.0.1",
        "LOTSEN_REDIS_PORT": str(parts.port or 6379),
        "LOTSEN_REDIS_LOCK_DB": "1",
        "LOTSEN_REDIS_URL": urlunsplit((parts.scheme, parts.netloc, "/0", "", "")),
        # A Rasa server that dies while answering leaves its conversation locked in Redis
        # until the lock expires (Rasa's default: 60 s, longer than the gateway waits).
        # One turn takes well under a second, so 10 s is safe and heals a crash quickly.
        "TICKET_LOCK_LIFETIME": "10",
        # Both gateways must sign staff sessions alike (the settings refuse to start without).
        "LOTSEN_SECRET_KEY": secret_key or secrets.token_urlsafe(32),
    }


def main() -> int:
    load_env_file()
    settings = settings_or_exit()
    postgres, redis = settings.scaled_postgres, settings.scaled_redis
    ensure_databases(postgres, (GATEWAY_DATABASE, TRACKER_DATABASE))
    config = StackConfig.from_settings(settings)
    config.extra_rasa_ports = [config.rasa_port + 1]
    config.extra_gateway_ports = [config.gateway_port + 1]
    secret = str(settings.secret_key) if settings.secret_key else None
    config.extra_env = scaled_env(postgres, redis, GATEWAY_DATABASE, TRACKER_DATABASE, secret)
    gateways = "  ".join(f"http://localhost:{port}/" for port in config.gateway_ports)
    rasas = "  ".join(f"http://127.0.0.1:{port}" for port in config.rasa_ports)
    return serve(
        Stack(config),
        f"  gateways       {gateways}  (put a load balancer in front; any gateway serves anyone)\n"
        f"  Rasa servers   {rasas} (shared tracker store and lock store)\n"
        f"  action server  http://127.0.0.1:{config.actions_port}\n"
        f"  PostgreSQL     {GATEWAY_DATABASE} (gateway), {TRACKER_DATABASE} (Rasa's trackers)\n"
        f"  Redis          {redis} (Rasa's locks, live console events)\n"
        "Press Ctrl-C to stop all five.\n",
    )


if __name__ == "__main__":
    sys.exit(main())
