"""A database restart is ridden out: connection errors are retried, bad queries are not,
and a database that stays away gets a 503 with a reason, not a 500."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.requests import Request

from bot import dbretry
from bot.dbretry import is_connection_error, retry_on_disconnect
from bot.errors import unexpected_error


class ShuttingDownError(Exception):
    sqlstate = "57P01"


def disconnect() -> OperationalError:
    return OperationalError("INSERT …", {}, ConnectionRefusedError("connection refused"))


async def test_connection_errors_are_retried_until_the_database_is_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbretry, "FIRST_DELAY", 0.01)
    calls: list[int] = []

    @retry_on_disconnect
    async def store() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise disconnect()
        return "stored"

    assert await store() == "stored" and len(calls) == 3


async def test_a_bad_query_is_not_retried() -> None:
    calls: list[int] = []

    @retry_on_disconnect
    async def store() -> None:
        calls.append(1)
        raise IntegrityError("INSERT …", {}, ValueError("duplicate"))

    with pytest.raises(IntegrityError):
        await store()
    assert len(calls) == 1


async def test_retries_stop_after_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbretry, "FIRST_DELAY", 0.01)
    monkeypatch.setattr(dbretry, "RETRY_SECONDS", 0.1)

    @retry_on_disconnect
    async def store() -> None:
        raise disconnect()

    with pytest.raises(OperationalError):
        await store()


def test_postgres_shutdown_codes_count_as_connection_errors() -> None:
    from sqlalchemy.exc import DBAPIError

    assert is_connection_error(DBAPIError("SELECT 1", {}, ShuttingDownError()))
    # asyncpg raises CannotConnectNowError (57P03) unwrapped while connecting
    from asyncpg.exceptions import CannotConnectNowError

    assert is_connection_error(CannotConnectNowError("the database system is shutting down"))
    assert not is_connection_error(DBAPIError("SELECT 1", {}, ValueError("syntax")))


async def test_an_unreachable_database_is_a_503_with_a_reason() -> None:
    request = Request({"type": "http", "method": "POST", "path": "/api/messages", "headers": [], "query_string": b""})
    response = await unexpected_error(request, disconnect())
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    assert b"send your message again" in response.body
