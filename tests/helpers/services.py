"""The local PostgreSQL and Redis the scale-out tests use (CI has both, like this machine).

A test that needs one is skipped with the reason when it is absent, never silently.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from lotsen.scaled import recreate_databases

REDIS_URL = os.environ.get("LOTSEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_ADMIN_URL = os.environ.get("LOTSEN_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres")
# How this machine (and CI's) starts its Redis; the fault tests restart it the same way.
REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379", "--save", "",
    "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_answers() -> bool:
    return _reachable("127.0.0.1", 6379)


def require_redis() -> str:
    if not _reachable("127.0.0.1", 6379):
        pytest.skip("Redis is not running on 127.0.0.1:6379 (CI runs these tests against it)")
    return REDIS_URL


def require_postgres() -> str:
    if not _reachable("127.0.0.1", 5432):
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 (CI runs these tests against it)")
    return POSTGRES_ADMIN_URL


@contextmanager
def fresh_database(prefix: str = "lotsen_test") -> Iterator[str]:
    """Create an empty PostgreSQL database; yield its name; drop it afterwards."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    recreate_databases(POSTGRES_ADMIN_URL, (name,))
    try:
        yield name
    finally:
        recreate_databases(POSTGRES_ADMIN_URL, (name,), create=False)
