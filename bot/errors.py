"""One place that turns errors into HTTP answers: `{"error": "<readable reason>"}`.

Bad input is the client's to fix (4xx with a reason); anything unexpected is logged
with its traceback and answered as a JSON 500 rather than a crash or an HTML page.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.dbretry import is_connection_error

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


async def api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    if is_connection_error(exc):
        # The database stayed unreachable past the retries: a reason and when to retry.
        log.error("database unreachable on %s %s: %s", request.method, request.url.path, exc)
        return JSONResponse(
            {"error": "the service is restarting; please send your message again in a moment"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal error; it has been logged"}, status_code=500)


EXCEPTION_HANDLERS = {ApiError: api_error, HTTPException: http_error, Exception: unexpected_error}
