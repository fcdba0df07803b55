"""Limits at the gateway's edge (bot/limits.py, bot/channels/socket.py): no one request
stalls or exhausts the gateway.

Three layers of tests: the middleware on a bare ASGI app (what it reads and when it
stops), the real gateway app in a TestClient (every route is covered), and the real
gateway served by uvicorn exactly as `python -m bot` serves it (`server_config`), where
the figures of issue 15 were measured: a 32 KB URL stalled every other request for 6 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.types import Message, Receive, Scope, Send

from bot import limits
from bot.__main__ import server_config
from bot.app import create_app
from bot.channels import socket as chat_socket
from bot.limits import MAX_BODY_BYTES, MAX_TARGET_BYTES, EdgeLimits, QueryStringFilter, loggable_path
from lotsen.paths import KNOWLEDGE_DIR
from lotsen.settings import Settings
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.fake_telegram import free_port
from tests.helpers.trackers import tracker_store

# -- the middleware on a bare app -----------------------------------------------------------


class Reader:
    """An app that reads the whole body, and a server side that counts what it handed out."""

    def __init__(self) -> None:
        self.read = 0
        self.handed_out = 0

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            message = await receive()
            self.read += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def chunks(self, size: int, count: int) -> Receive:
        async def receive() -> Message:
            self.handed_out += 1
            return {"type": "http.request", "body": b"x" * size, "more_body": self.handed_out < count}

        return receive


async def call(app: Any, scope: Scope, receive: Receive) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def http_scope(
    path: str = "/api/messages", query: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None
) -> Scope:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": headers or [],
    }


def status_and_error(sent: list[Message]) -> tuple[int, str]:
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)["error"]


def test_a_streamed_body_is_cut_as_soon_as_it_passes_the_limit() -> None:
    reader = Reader()
    sent = asyncio.run(call(EdgeLimits(reader.app), http_scope(), reader.chunks(16 * 1024, count=1000)))
    assert status_and_error(sent) == (413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    # 64 KiB in 16 KiB chunks: the fifth passes the limit, and nothing more is asked for.
    assert reader.handed_out == 5
    assert ("connection", "close") in [(k.decode(), v.decode()) for k, v in sent[0]["headers"]]


def test_a_declared_length_over_the_limit_is_refused_without_reading() -> None:
    reader = Reader()
    scope = http_scope(headers=[(b"content-length", str(MAX_BODY_BYTES + 1).encode())])
    sent = asyncio.run(call(EdgeLimits(reader.app), scope, reader.chunks(1, count=1)))
    assert status_and_error(sent)[0] == 413 and reader.handed_out == 0


def test_a_body_at_the_limit_passes() -> None:
    reader = Reader()
    sent = asyncio.run(call(EdgeLimits(reader.app), http_scope(), reader.chunks(1024, count=64)))
    assert sent[0]["status"] == 200 and reader.read == MAX_BODY_BYTES


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        (http_scope("/" + "a" * MAX_TARGET_BYTES), 414),
        (http_scope("/", query=b"q=" + b"a" * MAX_TARGET_BYTES), 414),
        (http_scope(headers=[(b"x-h", b"v")] * (limits.MAX_HEADERS + 1)), 431),
        (http_scope(headers=[(b"cookie", b"c" * limits.MAX_HEADER_BYTES)]), 431),
    ],
    ids=["path", "query", "header count", "header size"],
)
def test_an_oversized_head_is_refused_before_the_app_runs(scope: Scope, status: int) -> None:
    reader = Reader()
    sent = asyncio.run(call(EdgeLimits(reader.app), scope, reader.chunks(1, count=1)))
    assert status_and_error(sent)[0] == status and reader.handed_out == 0


# -- the gateway app -----------------------------------------------------------------------


def test_every_route_refuses_a_long_target_with_414(client: TestClient) -> None:
    for path in ("/", "/api/messages", "/console", "/editor/login", "/telegram/webhook"):
        response = client.get(path.rstrip("/") + "/" + "a" * MAX_TARGET_BYTES)
        assert response.status_code == 414, path
        assert response.json() == {"error": f"the request target is longer than {MAX_TARGET_BYTES} bytes"}
    assert client.get("/api/widget/texts", params={"q": "a" * MAX_TARGET_BYTES}).status_code == 414
    assert client.get("/api/widget/texts", params={"language": "sv", "q": "a" * 7000}).status_code == 200


def test_every_route_caps_bodies_chunked_ones_too(client: TestClient) -> None:
    big = b"a" * (MAX_BODY_BYTES + 1)
    for path in ("/api/messages", "/telegram/webhook", "/editor/login", "/console/login"):
        response = client.post(path, content=big, headers={"content-type": "application/x-www-form-urlencoded"})
        assert response.status_code == 413, path

    def chunked() -> Iterator[bytes]:  # no length declared (the TestClient reads it all first;
        for _ in range(100):  # that the gateway reads no more than the limit is tested above)
            yield b"a" * 1024

    response = client.post("/api/messages", content=chunked(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"].startswith("request body is larger")


def test_a_websocket_with_a_long_target_is_refused_at_the_handshake(client: TestClient) -> None:
    with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/api/ws?" + "a" * 9000):
        pass
    assert denied.value.status_code == 414


def _push_tasks(client: TestClient) -> int:
    async def count() -> int:
        return sum(1 for task in asyncio.all_tasks() if getattr(task.get_coro(), "__name__", "") == "_push")

    return int(client.portal.call(count))  # type: ignore[union-attr]


def test_an_idle_socket_is_closed_with_4408(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_socket, "IDLE_SECONDS", 0.3)
    with client.websocket_connect("/api/ws") as ws:
        ws.send_json({"type": "message", "sender": "idle-1", "text": "hej"})
        assert ws.receive_json()["type"] == "reply"  # a frame from the client restarts the clock
        started = time.monotonic()
        closed = ws.receive()
    assert closed == {"type": "websocket.close", "code": 4408, "reason": "nothing sent for 1 min"}
    assert 0.2 < time.monotonic() - started < 3
    assert _push_tasks(client) == 0  # the pushing side ended with it


def test_one_address_holds_at_most_so_many_sockets(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chat_socket, "MAX_SOCKETS_PER_ADDRESS", 2)
    with client.websocket_connect("/api/ws") as first, client.websocket_connect("/api/ws") as second:
        with client.websocket_connect("/api/ws") as third:
            assert third.receive() == {
                "type": "websocket.close",
                "code": 4429,
                "reason": "too many open chats from this address",
            }
        for ws in (first, second):  # the others work on
            ws.send_json({"type": "message", "text": ""})
            assert ws.receive_json()["status"] == 400
        first.close()
        time.sleep(0.1)
        with client.websocket_connect("/api/ws") as again:  # a place is free again
            again.send_json({"type": "message", "sender": "cap-1", "text": "hej"})
            assert again.receive_json()["type"] == "reply"
    time.sleep(0.1)
    assert client.app.state.open_sockets == {}  # type: ignore[attr-defined]
    assert _push_tasks(client) == 0


def test_a_binary_frame_gets_an_error_not_a_crash(client: TestClient) -> None:
    with client.websocket_connect("/api/ws") as ws:
        ws.send_bytes(b'{"type": "message"}')
        assert ws.receive_json() == {"type": "error", "status": 400, "error": "send JSON in text frames"}


def test_ipv6_clients_are_counted_by_their_64() -> None:
    key = chat_socket._address_key
    assert key("2001:db8:1:2:aaaa::1") == key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert key("192.0.2.7") == "192.0.2.7" and key("testclient") == "testclient"


def test_access_lines_carry_the_path_without_the_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("1.2.3.4:5", "GET", "/api/messages?after=1&pnr=19900101-1234", "1.1", 200),
        None,
    )
    QueryStringFilter().filter(record)
    assert record.getMessage() == '1.2.3.4:5 - "GET /api/messages HTTP/1.1" 200'
    socket_line = logging.LogRecord(
        "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]', ("1.2.3.4:5", "/api/ws?t=x"), None
    )
    QueryStringFilter().filter(socket_line)
    assert socket_line.getMessage() == '1.2.3.4:5 - "WebSocket /api/ws" [accepted]'
    assert loggable_path("/" + "a" * 1000).endswith("…[1001 chars]")


# -- the gateway served by uvicorn, as `python -m bot` serves it ---------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("served")
    knowledge = shutil.copytree(KNOWLEDGE_DIR, tmp / "knowledge")
    settings = Settings.from_env(
        {
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge),
            "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'gateway.db'}",
            "LOTSEN_RASA_URL": "http://rasa.test:5005",
            "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
            "LOTSEN_RASA_TRACKER_URL": tracker_store(tmp),
        }
    )
    settings = dataclasses.replace(settings, host="127.0.0.1", port=free_port())
    saved = {name: _logger_state(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}
    server = uvicorn.Server(server_config(create_app(settings, transport=FakeBackends().transport()), settings))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the gateway did not start"
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        for name, state in saved.items():
            _restore_logger(name, state)


def _logger_state(name: str) -> dict[str, Any]:
    logger = logging.getLogger(name)
    return {
        "handlers": list(logger.handlers),
        "filters": list(logger.filters),
        "level": logger.level,
        "propagate": logger.propagate,
    }


def _restore_logger(name: str, state: dict[str, Any]) -> None:
    logger = logging.getLogger(name)
    logger.handlers, logger.filters = state["handlers"], state["filters"]
    logger.setLevel(state["level"])
    logger.propagate = state["propagate"]


def raw_request(address: str, data: bytes, timeout: float = 10.0) -> tuple[bytes, float]:
    """Send bytes, read the answer's status line; (status line, seconds)."""
    host, port = address.split(":")
    started = time.perf_counter()
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # refused mid-way: the answer is still there to read
            sock.sendall(data)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n", 1)[0], time.perf_counter() - started


def worst_health_latency_during(address: str, action: Any) -> tuple[Any, float]:
    """Run `action` while /healthz is polled; (its result, the slowest /healthz in s)."""
    worst = 0.0
    stop = threading.Event()

    def poll() -> None:
        nonlocal worst
        with httpx.Client(base_url=f"http://{address}", timeout=30) as http:
            while not stop.is_set():
                started = time.perf_counter()
                http.get("/healthz")
                worst = max(worst, time.perf_counter() - started)
                time.sleep(0.01)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.2)
    try:
        result = action()
        time.sleep(0.2)
    finally:
        stop.set()
        poller.join()
    return result, worst


@pytest.mark.parametrize("size", [32 * 1024, 100 * 1024, 1024 * 1024])
def test_a_long_url_through_uvicorn_is_a_fast_414_and_stalls_no_one(served: str, size: int) -> None:
    request = b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    (status, took), worst = worst_health_latency_during(served, lambda: raw_request(served, request))
    print(f"{size // 1024} KB URL: {status.decode()} in {took * 1000:.1f} ms; slowest /healthz {worst * 1000:.1f} ms")
    assert status == b"HTTP/1.1 414 URI Too Long"
    assert took < 1.0 and worst < 1.0  # was 6 s for 32 KB


@pytest.mark.parametrize(
    "head",
    [
        b"X-Big: " + b"a" * (1024 * 1024) + b"\r\n",  # one 1 MB header (httptools alone accepted it)
        b"".join(b"X-H%d: v\r\n" % i for i in range(5000)),  # 5,000 headers
    ],
    ids=["1 MB header", "5000 headers"],
)
def test_oversized_headers_through_uvicorn_are_a_fast_431(served: str, head: bytes) -> None:
    status, took = raw_request(served, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n")
    assert status == b"HTTP/1.1 431 Request Header Fields Too Large" and took < 1.0


def test_a_chunked_upload_through_uvicorn_is_cut_at_the_limit(served: str) -> None:
    host, port = served.split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /api/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        answer = b""
        while not answer and sent < 20 * 1024 * 1024:
            sock.sendall(b"4000\r\n" + b"a" * 0x4000 + b"\r\n")
            sent += 0x4000
            sock.settimeout(0.02)
            with contextlib.suppress(TimeoutError):
                answer = sock.recv(4096)
        sock.settimeout(10)
    print(f"chunked upload: answered after {sent // 1024} KiB sent")
    assert answer.startswith(b"HTTP/1.1 413 ") and sent <= 4 * MAX_BODY_BYTES


def test_a_trickled_head_is_cut_off(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "HEAD_TIMEOUT_SECONDS", 0.5)
    host, port = served.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        started = time.monotonic()
        assert sock.recv(4096).startswith(b"HTTP/1.1 408 Request Timeout")
        assert time.monotonic() - started < 3
    with socket.create_connection((host, int(port)), timeout=10) as silent:
        assert silent.recv(4096) == b""  # connected and said nothing: closed


def test_websocket_messages_through_uvicorn_are_capped_and_uncompressed(served: str) -> None:
    import wsproto
    from wsproto.events import AcceptConnection, CloseConnection, Request, TextMessage

    host, port = served.split(":")
    connection = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        request = Request(host=served, target="/api/ws", extensions=[wsproto.extensions.PerMessageDeflate()])
        sock.sendall(connection.send(request))
        events: list[Any] = []
        while not any(isinstance(e, AcceptConnection) for e in events):
            connection.receive_data(sock.recv(65536))
            events += list(connection.events())
        accepted = next(e for e in events if isinstance(e, AcceptConnection))
        assert accepted.extensions == []  # permessage-deflate refused
        sock.sendall(connection.send(TextMessage(data="a" * (MAX_BODY_BYTES + 1))))
        closed = None
        while closed is None:
            data = sock.recv(65536)
            assert data, "closed without a close frame"
            connection.receive_data(data)
            closed = next((e for e in connection.events() if isinstance(e, CloseConnection)), None)
    assert closed.code == 1009


def test_uvicorn_logs_paths_without_query_strings(served: str, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    keep = Keep()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(keep)
    try:
        httpx.get(f"http://{served}/healthz?pnr=19900101-1234&note=hemligt", timeout=10)
        time.sleep(0.1)
    finally:
        access.removeHandler(keep)
    line = next(text for text in seen if "/healthz" in text)
    assert "?" not in line and "hemligt" not in line and "19900101" not in line
