"""Limits at the gateway's edge, so that no one request can stall or exhaust it.

Two layers, each of which alone answers an oversized request quickly:

- `EdgeLimits`, a pure ASGI middleware, first in the app's stack: a request target over
  `MAX_TARGET_BYTES` gets 414 and too many or too large headers 431 before any other
  part of the gateway sees (or logs) the request, and a request body is counted while it
  streams in — a declared `Content-Length` over `MAX_BODY_BYTES` gets 413 without
  reading a byte, a chunked one gets 413 as soon as the count passes the limit. The same
  limits hold for every route (chat API, Telegram webhook, staff forms).
- `BoundedHttpToolsProtocol`, uvicorn's httptools protocol with the same limits applied
  while the request head is parsed (httptools itself has none: it accepted a 1 MB header
  and 20,000 headers), and a deadline for a request head to arrive (a client trickling
  its headers, or connecting and sending nothing, is cut off). `python -m bot` serves
  with it (`server_config`).

Every refusal is `{"error": …}` with `Connection: close`.

uvicorn's access lines and WebSocket lines carry the path without the query string
(`QueryStringFilter`): a query is free text anyone can put in a log, and none of the
gateway's routes needs one logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.errors import ApiError

MAX_TARGET_BYTES = 8 * 1024  # path and query string
MAX_BODY_BYTES = 64 * 1024  # every HTTP body; the chat API's and the WebSocket's messages are as large
MAX_HEADERS = 100
MAX_HEADER_BYTES = 32 * 1024  # names and values together
# A request head (request line and headers) still incomplete after this many bytes is
# refused with 431 (httptools would otherwise buffer a header of any length).
MAX_HEAD_BYTES = MAX_TARGET_BYTES + MAX_HEADER_BYTES + 4 * 1024
HEAD_TIMEOUT_SECONDS = 20.0  # from a connection (or a request's first byte) to the end of its headers
LOGGED_PATH_CHARS = 256


class BodyTooLargeError(ApiError):
    """A request body passed the limit while it was being read. An ApiError, so whichever
    layer catches it first answers 413 (the app's error handler or EdgeLimits)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes", {"Connection": "close"})


def _refusal_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode("utf-8")


async def _refuse(send: Send, status: int, message: str) -> None:
    body = _refusal_body(message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode("ascii")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def head_refusal(
    scope: Scope,
    max_target: int = MAX_TARGET_BYTES,
    max_headers: int = MAX_HEADERS,
    max_header_bytes: int = MAX_HEADER_BYTES,
) -> tuple[int, str] | None:
    """(status, reason) if the request's target or headers are over the limits."""
    target = len(scope.get("raw_path") or scope.get("path", "").encode("utf-8")) + len(scope.get("query_string", b""))
    if target > max_target:
        return 414, f"the request target is longer than {max_target} bytes"
    headers = scope.get("headers", [])
    if len(headers) > max_headers:
        return 431, f"more than {max_headers} request headers"
    if sum(len(name) + len(value) for name, value in headers) > max_header_bytes:
        return 431, f"request headers are larger than {max_header_bytes} bytes"
    return None


class EdgeLimits:
    """The ASGI middleware (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        max_target: int = MAX_TARGET_BYTES,
        max_body: int = MAX_BODY_BYTES,
        max_headers: int = MAX_HEADERS,
        max_header_bytes: int = MAX_HEADER_BYTES,
    ) -> None:
        self.app = app
        self.max_target = max_target
        self.max_body = max_body
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = head_refusal(scope, self.max_target, self.max_headers, self.max_header_bytes)
        if refusal is not None:
            status, message = refusal
            if scope["type"] == "http":
                await _refuse(send, status, message)
            elif "websocket.http.response" in scope.get("extensions", {}):
                await _refuse(_as_websocket_denial(send), status, message)
            else:
                await send({"type": "websocket.close", "code": 1008, "reason": message})
            return
        if scope["type"] == "websocket":  # its messages are limited by the server (ws_max_size)
            await self.app(scope, receive, send)
            return
        await self._http(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _refuse(send, 413, f"request body is larger than {self.max_body} bytes")
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLargeError(self.max_body)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError as exc:
            if started:  # too late for a status: the connection is closed without one
                raise
            await _refuse(send, exc.status, exc.message)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _as_websocket_denial(send: Send) -> Send:
    """The handshake refused with an HTTP status (ASGI's WebSocket Denial Response)."""

    async def deny(message: Message) -> None:
        kind = (
            "websocket.http.response.start"
            if message["type"] == "http.response.start"
            else "websocket.http.response.body"
        )
        await send({**message, "type": kind})

    return deny


# -- the same limits in uvicorn, while the head is parsed ----------------------------------


class _RefusedError(Exception):
    pass


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the request head and a deadline for it.

    A limit passed inside a parser callback raises; httptools turns that into a parser
    error, uvicorn answers a parser error with `send_400_response`, and that answers with
    the refusal noted here instead (414 or 431).
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._refusal: tuple[int, str] | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._begin_head()

    def _begin_head(self) -> None:
        self._reading_head = True
        self._head_bytes = self._target_bytes = self._header_count = self._header_bytes = 0
        if self._head_timer is not None:
            self._head_timer.cancel()
        self._head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._head_too_slow)

    def _end_head(self) -> None:
        self._reading_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if not self._reading_head or self.transport.is_closing():
            return
        if self._head_bytes == 0 and self.cycle is None:  # connected and said nothing: just close
            self.transport.close()
        else:
            self._send_refusal(408, f"the request head did not arrive within {HEAD_TIMEOUT_SECONDS:.0f} s")

    def connection_lost(self, exc: Exception | None) -> None:
        self._end_head()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._send_refusal(431, f"the request head is larger than {MAX_HEAD_BYTES} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._reading_head:  # the next request on a kept-alive connection
            self._begin_head()

    def on_url(self, url: bytes) -> None:
        self._target_bytes += len(url)
        if self._target_bytes > MAX_TARGET_BYTES:
            self._refuse(414, f"the request target is longer than {MAX_TARGET_BYTES} bytes")
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        self._header_bytes += len(name) + len(value)
        if self._header_count > MAX_HEADERS:
            self._refuse(431, f"more than {MAX_HEADERS} request headers")
        if self._header_bytes > MAX_HEADER_BYTES:
            self._refuse(431, f"request headers are larger than {MAX_HEADER_BYTES} bytes")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._end_head()
        super().on_headers_complete()

    def _refuse(self, status: int, message: str) -> None:
        self._refusal = (status, message)
        raise _RefusedError(message)

    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
        else:
            self._send_refusal(*self._refusal)

    def _send_refusal(self, status: int, message: str) -> None:
        self._end_head()
        body = _refusal_body(message)
        reason = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}
        head = [b"HTTP/1.1 %d %s\r\n" % (status, reason.get(status, b"Bad Request"))]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body))
        self.transport.write(b"".join(head) + body)
        self.transport.close()


# -- what uvicorn logs of a request ---------------------------------------------------------


def loggable_path(path_with_query: str) -> str:
    """The path without its query string, cut to LOGGED_PATH_CHARS."""
    path = path_with_query.split("?", 1)[0]
    return path if len(path) <= LOGGED_PATH_CHARS else f"{path[:LOGGED_PATH_CHARS]}…[{len(path)} chars]"


class QueryStringFilter(logging.Filter):
    """Rewrites uvicorn's access lines (`'%s - "%s %s HTTP/%s" %d'`) and WebSocket lines
    (`'%s - "WebSocket %s" [accepted]'`…) to carry the path without the query string.

    A filter on uvicorn's own loggers rather than `access_log=False` and a line of our
    own: uvicorn's line keeps its format and also covers the answers uvicorn gives itself
    (its 400s, 503s, a failed WebSocket handshake), whichever protocol serves them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not isinstance(record.msg, str):
            return True
        if record.name == "uvicorn.access" and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], loggable_path(args[2]), *args[3:])
        elif record.msg.startswith('%s - "WebSocket %s"') and len(args) >= 2 and isinstance(args[1], str):
            record.args = (args[0], loggable_path(args[1]), *args[2:])
        return True


def install_query_string_filter() -> None:
    """On uvicorn's loggers; call after uvicorn has configured logging (uvicorn.Config)."""
    for name in ("uvicorn.access", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(existing, QueryStringFilter) for existing in logger.filters):
            logger.addFilter(QueryStringFilter())


def server_settings() -> dict[str, Any]:
    """uvicorn's settings for the gateway (bot/__main__.py), kept next to the limits."""
    return {
        "http": BoundedHttpToolsProtocol,
        "ws": "wsproto",
        "ws_max_size": MAX_BODY_BYTES,  # refused by the server (close 1009) before the app buffers more
        "ws_per_message_deflate": False,  # 15 KiB on the wire once inflated to 16 MiB
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,  # if run with http="h11"
        "timeout_keep_alive": 20,
        "access_log": True,
    }
