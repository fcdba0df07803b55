"""A local fake of Telegram's Bot API, on a free port, for the real python-telegram-bot
client to talk to through `base_url` (Telegram itself is unreachable here).

It answers the methods Lotsen uses the way Telegram documents them, records every call
(method + parameters) for assertions, and serves `getUpdates` from a queue that tests
fill with recorded `Update` JSON, so the polling path runs for real. Faults on demand:
a 429 or a 502 once per method, or `sendMessage` failing `fail_send_times` times (the
refused attempts are kept in `failed`, not in `calls`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TEXT_FIELDS = {"text", "callback_query_id", "url", "secret_token", "language_code", "action"}
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Lotsen", "username": "lotsen_test_bot"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FakeTelegram:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    retry_after_once: set[str] = field(default_factory=set)  # methods that first answer 429
    bad_gateway_once: set[str] = field(default_factory=set)  # methods that first answer 502
    fail_send_times: int = 0  # sendMessage answers 502 this many more times (a large number: "down")
    failed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # calls answered 502
    port: int = field(default_factory=free_port)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def texts(self, chat_id: int) -> list[str]:
        """What reached one chat, in order."""
        return [str(p["text"]) for p in self.sent() if int(p["chat_id"]) == chat_id]

    def wait_texts(self, chat_id: int, count: int = 1, timeout: float = 10.0) -> list[str]:
        """At least `count` messages to the chat (they are pushed after the webhook answered)."""
        deadline = time.monotonic() + timeout
        while len(self.texts(chat_id)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.texts(chat_id))} messages to {chat_id}, expected {count}")
            time.sleep(0.02)
        return self.texts(chat_id)

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.sent(method)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"{method} called {len(self.sent(method))} times, expected {count}: {self.calls}")

    async def _handle(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params: dict[str, Any] = {}
        if request.headers.get("content-type", "").startswith("application/json"):
            params = await request.json()
        else:
            form = await request.form()
            for key, value in form.items():
                text = str(value)
                if key in TEXT_FIELDS:
                    params[key] = text
                    continue
                try:  # numbers, booleans and JSON objects are sent as their JSON text
                    params[key] = json.loads(text)
                except json.JSONDecodeError:
                    params[key] = text
        if method in self.bad_gateway_once:  # a network fault between us and Telegram
            self.bad_gateway_once.discard(method)
            self.failed.append((method, params))
            return JSONResponse({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status_code=502)
        if method == "sendMessage" and self.fail_send_times > 0:
            self.fail_send_times -= 1
            self.failed.append((method, params))
            return JSONResponse({"ok": False, "error_code": 502, "description": "Bad Gateway"}, status_code=502)
        if method in self.retry_after_once:  # refused: not recorded as received
            self.retry_after_once.discard(method)
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status_code=429,
            )
        if method != "getUpdates":
            self.calls.append((method, params))
        return JSONResponse({"ok": True, "result": await self._result(method, params)})

    async def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            while True:
                pending = [u for u in self.updates if u["update_id"] >= offset]
                if pending or time.monotonic() >= deadline:
                    return pending
                await asyncio.sleep(0.05)
        if method in ("sendMessage", "editMessageText"):
            return {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self._chat(int(params["chat_id"])),
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        return True  # setMyCommands, answerCallbackQuery, sendChatAction, setWebhook, deleteWebhook…

    @staticmethod
    def _chat(chat_id: int) -> dict[str, Any]:
        """Telegram's ids: people's chats are positive, groups negative."""
        if chat_id < 0:
            return {"id": chat_id, "type": "supergroup" if chat_id < -(10**12) else "group", "title": "Group"}
        return {"id": chat_id, "type": "private"}

    def start(self) -> FakeTelegram:
        app = Starlette(routes=[Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", ws="wsproto")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("fake Telegram did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
