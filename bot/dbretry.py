"""Riding out a database restart: retry what the gateway stores, for a bounded time.

A PostgreSQL restart (or fail-over) cuts every connection for a second or two. Without
retries, a user's message that arrives in that window would be answered with an error
and never stored. The operations wrapped here are safe to repeat (an insert that did
not commit, an update to the same values), so they are retried with doubling back-off
for up to `RETRY_SECONDS`; after that the error goes up and the client gets a 503 with
a reason (bot/errors.py), never a 500.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
RETRY_SECONDS = 20.0
FIRST_DELAY = 0.2
MAX_DELAY = 2.0

P = ParamSpec("P")
T = TypeVar("T")


def _connection_sqlstate(error: object) -> bool:
    """PostgreSQL class 08 (connection exception) or 57P01-03 (shutting down, starting)."""
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None) or ""
    return str(code).startswith(("08", "57P"))


def is_connection_error(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection (not a bad query)."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        return _connection_sqlstate(exc.orig)
    if _connection_sqlstate(exc):  # asyncpg raises some while connecting, unwrapped
        return True
    return isinstance(exc, OSError)  # ConnectionError is an OSError


def retry_on_disconnect(operation: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    @functools.wraps(operation)
    async def retrying(*args: P.args, **kwargs: P.kwargs) -> T:
        deadline = time.monotonic() + RETRY_SECONDS
        delay = FIRST_DELAY
        while True:
            try:
                return await operation(*args, **kwargs)
            except Exception as exc:
                if not is_connection_error(exc) or time.monotonic() + delay > deadline:
                    raise
                log.warning("database unreachable in %s (%s); retrying in %.1f s", operation.__name__, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_DELAY)

    return retrying
