"""A seeded fuzz run through the gateway's three inputs: the chat API (`POST
/api/messages`), the widget's WebSocket (`/api/ws`) and the Telegram webhook.

Thousands of malformed inputs — bad JSON, wrong types, deep nesting, NUL, lone
surrogates, RTL overrides, 2,000-character words, payload injections such as
`/choose_language{"language":[]}` — and then:

- no answer is a 5xx, and nothing is logged as an unhandled error (an ERROR record with
  a traceback) — the Telegram side included, where updates are handled after the 200;
- every message answered with 200 is stored exactly as sent (what the chat API keeps:
  the text without surrounding white space);
- afterwards the gateway still answers a normal message on all three inputs.

The generator is a plain seeded `random.Random` (no Hypothesis: bounded and repeatable,
and a failure names the input). The counts are printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.app import create_app
from bot.channels.telegram import SECRET_HEADER
from bot.db import Message
from lotsen import protocol
from lotsen.settings import Settings
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.services import POSTGRES_ADMIN_URL, fresh_database
from tests.helpers.trackers import tracker_store

SEED = 15
SECRET = "fuzz-webhook-secret"
RNG = random.Random(SEED)

# Payload names the gateway or Rasa knows, and entity keys, to build injections from.
NAMES = [
    protocol.START, protocol.LANGUAGE, protocol.MUNICIPALITY, protocol.FORGET, protocol.FORGET_CONFIRM,
    protocol.HUMAN, protocol.LEAVE_MESSAGE, protocol.STOP_WAITING, protocol.CHOOSE_LANGUAGE,
    protocol.CHOOSE_MUNICIPALITY, protocol.CALLBACK, protocol.FEEDBACK, protocol.REQUEST_HUMAN,
    "ask_bankid", "ask_emergency", "ask_housing_queue", "greet", "out_of_scope", "unknown_intent",
]  # fmt: skip
KEYS = [
    protocol.KEY_LANGUAGE, protocol.KEY_MUNICIPALITY, protocol.KEY_INTEREST, protocol.KEY_NONCE, protocol.KEY_TOPIC,
    "x",
]  # fmt: skip

INJECTIONS = [
    '/choose_language{"language":[]}',
    '/human{"municipality":{"a":1}}',
    '/forget_confirm{"nonce":null}',
    '/start{"municipality":"../../etc"}',
    '/ask_bankid{"municipality":"<script>"}',
    '/choose_municipality{"municipality":123}',
    '/language{"language":"xx-' + "Y" * 60 + '"}',
    '/feedback{"topic":1e999}',
    '/feedback{"topic":NaN}',
    '/callback{"nonce":"' + "a" * 1000 + '"}',
    '/human{"municipality":"linkoping"}{"x":1}',
    "/human{",
    "/human}{",
    "/start@",
    "/start@" + "x" * 100,
    "/start@lotsen_test_bot extra words",
    '/ask_bankid@0.9{"municipality":"linkoping"}',
    '/ask_bankid{"municipality":"linkoping","interest":"' + "x" * 65 + '"}',
    '/stop_waiting{"x":[[[[[[]]]]]]}',
    '/leave_message{"a":"\u202e"}',
    '/choose_language{"language":"sv","language":["en"]}',
    '/choose_language{"language":"\\u0000"}',
    '/choose_language{"__proto__":{"language":"sv"}}',
    "/" + "a" * 1999,
    "/request_human" + "{}" * 500,
    "/ask_emergency " + "19900101-1234",
]

WEIRD_TEXTS = [
    "a\x00b",
    "\x00",
    "\u202eevil\u202c text",
    "\u2067\u2066\u2068isolates\u2069",
    "\ufeffBOM first",
    "zero\u200bwidth\u200djoiner",
    "e\u0301\u0302\u0303\u0304" * 50,
    "\U0001f600\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "a" * 2000,
    "ب" * 2000,
    "%s%s%n%d{0}{}",
    "'; DROP TABLE messages; --",
    "<script>alert(1)</script>",
    "\x1b[31mred\x1b[0m \r\n\t",
    "line\nbreaks\r\nand\rmore",
    "\u00a0\u3000 wide spaces \u3000",
    "${jndi:ldap://x}",
    "../../../../etc/passwd",
    "1" * 2000,
    "mitt personnummer är 19900101-1234",
    "سلام، من " + "\u202e" + "BankID",
]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of any type, sometimes nested."""
    kind = rng.randrange(11 if depth < 3 else 8)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 2**63, 2**70, 10**400 if False else 1e308, 3.14])
    if kind == 3:
        return ""
    if kind == 4:
        return rng.choice(WEIRD_TEXTS)
    if kind == 5:
        return "x" * rng.choice([1, 64, 65, 129, 2001])
    if kind == 6:
        return rng.choice(["sv", "linkoping", "en", "xx", "../x", "<b>", "\ud800"])
    if kind == 7:
        return rng.choice(INJECTIONS)
    if kind == 8:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 9:
        return {rng.choice([*KEYS, "type", "text"]): random_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return rng.choice([[], {}, [[]], {"a": {"b": {}}}])


def injection(rng: random.Random) -> str:
    """A payload-shaped text with entities of any type."""
    if rng.random() < 0.3:
        return rng.choice(INJECTIONS)
    name = rng.choice(NAMES)
    entities = {rng.choice(KEYS): random_value(rng) for _ in range(rng.randrange(1, 3))}
    try:
        body = json.dumps(entities, ensure_ascii=rng.random() < 0.5)
    except UnicodeEncodeError:
        body = json.dumps(entities)
    return f"/{name}{body}"[:2000]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def dumps(value: Any, rng: random.Random) -> bytes:
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    return text.encode("utf-8", errors="surrogatepass")  # a lone surrogate stays as bytes no decoder accepts


def frame_text(value: Any, rng: random.Random) -> str:
    """JSON for a text frame: always valid Unicode (a lone surrogate cannot travel in a
    text frame, wsproto would refuse it), but JSON may escape one (`\\ud800`)."""
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value)
    return text


def http_bodies(rng: random.Random, count: int) -> Iterator[bytes]:
    """Malformed bodies for the chat API (one in four reaches the turn pipeline)."""
    valid = {"sender": "s", "text": "Hur skaffar jag BankID?", "metadata": {"language": "sv"}}
    fixed = [
        b"", b" ", b"null", b"[]", b"1", b'"text"', b"{", b"}", b"{bad json", b"\xff\xfe\x00", b"\x00" * 10,
        b'{"sender":"s","text":"hej"}garbage', b'{"sender":"s","text":NaN}', b'{"sender":"s","text":Infinity}',
        json.dumps(valid).encode("utf-16"), json.dumps(valid).encode("utf-32"),
        b"\xef\xbb\xbf" + json.dumps(valid).encode(),
        ('{"sender":"s","text":"x","metadata":' + nested(20_000) + "}").encode(),
        ('{"sender":"s","text":"x","metadata":{"a":' + nested(1_000) + "}}").encode(),
        nested(30_000).encode(),
        ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(),
        b'{"sender":"s","text":"' + b"a" * 60_000 + b'"}',
        b'{"sender":"' + b"s" * 200 + b'","text":"hej"}',
        b'{"sender":"s\\u0000","text":"hej"}',
        b'{"sender":"s","text":"\\ud800"}',
        b'{"sender":"s","text":"\\udfff\\ud800 mixed"}',
        b'{"sender":"s","sender":"t","text":"dup"}',
    ]  # fmt: skip
    yield from fixed
    for _ in range(count - len(fixed)):
        roll = rng.random()
        if roll < 0.25:  # well-formed, with text that goes through the pipeline
            text = injection(rng) if rng.random() < 0.6 else rng.choice(WEIRD_TEXTS)
            metadata: Any = {"language": rng.choice(["sv", "ar", "fa", None])}
            yield dumps({"sender": f"fuzz-{rng.randrange(10**9)}", "text": text, "metadata": metadata}, rng)
        elif roll < 0.6:  # wrong types in the fields
            body = dict(valid, sender=f"fuzz-{rng.randrange(10**9)}")
            for name in rng.sample(["sender", "text", "metadata"], rng.randrange(1, 3)):
                body[name] = random_value(rng)
            if rng.random() < 0.5:
                body["metadata"] = {
                    rng.choice(["language", "municipality", "browser_languages", "x"]): random_value(rng)
                    for _ in range(rng.randrange(1, 4))
                }
            yield dumps(body, rng)
        elif roll < 0.8:  # a valid body cut short, or with a byte changed
            raw = bytearray(dumps(dict(valid, sender=f"fuzz-{rng.randrange(10**9)}"), rng))
            if rng.random() < 0.5:
                yield bytes(raw[: rng.randrange(len(raw))])
            else:
                raw[rng.randrange(len(raw))] = rng.randrange(256)
                yield bytes(raw)
        else:  # not even an object
            yield dumps(random_value(rng), rng)


def telegram_updates(rng: random.Random, count: int) -> Iterator[bytes]:
    def message_update(update_id: Any, **fields: Any) -> dict[str, Any]:
        chat_id = 700_000 + update_id if isinstance(update_id, int) else 700_000
        base = {
            "message_id": update_id,
            "from": {"id": chat_id, "is_bot": False, "first_name": "F", "language_code": "sv"},
            "chat": {"id": chat_id, "first_name": "F", "type": "private"},
            "date": 1795430010,
            "text": "hej",
        }
        base.update(fields)
        return {"update_id": update_id, "message": base}

    fixed = [b"", b"{", b"[]", b"null", b'"x"', b"{}", b'{"update_id":"1"}', nested(30_000).encode()]
    yield from fixed
    for n in range(count - len(fixed)):
        update_id = 100_000 + n
        roll = rng.random()
        if roll < 0.3:  # a private text message, text that goes through the pipeline
            text = injection(rng) if rng.random() < 0.6 else rng.choice(WEIRD_TEXTS)
            yield dumps(message_update(update_id, text=text), rng)
        elif roll < 0.7:  # wrong types in a message's fields
            update = message_update(update_id)
            target = update["message"]
            for path in rng.sample(["text", "chat", "chat.id", "chat.type", "from", "date", "entities", "caption"], 2):
                if path.startswith("chat."):
                    if isinstance(target["chat"], dict):
                        target["chat"][path[5:]] = random_value(rng)
                else:
                    target[path] = random_value(rng)
            if rng.random() < 0.3:
                update["update_id"] = random_value(rng)
            yield dumps(update, rng)
        elif roll < 0.85:  # button presses with any data
            chat = {"id": 800_000 + n, "type": "private", "first_name": "F"}
            query = {
                "id": f"cb-{n}",
                "from": {"id": 800_000 + n, "is_bot": False, "first_name": "F"},
                "chat_instance": "1",
                "data": injection(rng) if rng.random() < 0.7 else random_value(rng),
                "message": {"message_id": 1, "date": 1795430010, "chat": chat, "text": "x"},
            }
            if rng.random() < 0.3:
                query[rng.choice(["from", "message", "id"])] = random_value(rng)
            yield dumps({"update_id": update_id, "callback_query": query}, rng)
        else:  # other kinds of update, or none
            kind = rng.choice(["edited_message", "channel_post", "my_chat_member", "poll", "nonsense"])
            yield dumps({"update_id": update_id, kind: random_value(rng)}, rng)


def socket_frames(rng: random.Random, count: int) -> Iterator[tuple[str, Any]]:
    """("text", str) or ("bytes", bytes) frames for the WebSocket."""
    for _ in range(count):
        roll = rng.random()
        if roll < 0.25:
            text = injection(rng) if rng.random() < 0.6 else rng.choice(WEIRD_TEXTS)
            frame = {"type": "message", "sender": f"ws-{rng.randrange(10**9)}", "text": text}
            yield "text", frame_text(frame, rng)
        elif roll < 0.45:
            frame = {"type": random_value(rng), "sender": random_value(rng), "text": random_value(rng)}
            frame["metadata"] = random_value(rng)
            yield "text", frame_text(frame, rng)
        elif roll < 0.55:
            yield "text", frame_text({"type": "auth", "token": random_value(rng)}, rng)
        elif roll < 0.65:
            yield "bytes", rng.randbytes(rng.randrange(1, 64))
        elif roll < 0.8:
            yield "text", rng.choice(["", "{", "null", "[]", "1e999", nested(5_000), '{"type":"message"', "\x00"])
        else:
            yield "text", frame_text(random_value(rng), rng)


@dataclass
class Tally:
    sent: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    server_errors: list[tuple[str, bytes, int, str]] = field(default_factory=list)
    crashes: list[tuple[str, str, str]] = field(default_factory=list)
    stored: Counter[str] = field(default_factory=Counter)  # texts answered 200: they must be in the database

    def count(self, channel: str, status: int, sent: Any, detail: str = "") -> None:
        self.sent[channel] += 1
        self.statuses.setdefault(channel, Counter())[status] += 1
        if 500 <= status < 600:  # (a WebSocket close code, 4401 etc., is counted as it is)
            self.server_errors.append(
                (channel, sent if isinstance(sent, bytes) else repr(sent).encode(), status, detail)
            )


def expected_text(raw: bytes) -> str | None:
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    text = body.get("text") if isinstance(body, dict) else None
    return text.strip() if isinstance(text, str) else None


@pytest.fixture
def fuzz_client(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends
) -> Iterator[tuple[TestClient, FakeTelegram]]:
    telegram = FakeTelegram().start()
    settings = Settings.from_env(
        {
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
            "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "LOTSEN_RASA_URL": "http://rasa.test:5005",
            "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
            "LOTSEN_RASA_TRACKER_URL": tracker_store(tmp_path),
            "LOTSEN_TELEGRAM_TOKEN": "123456:TEST-token",
            "LOTSEN_TELEGRAM_BASE_URL": telegram.base_url,
            "LOTSEN_TELEGRAM_WEBHOOK_URL": "https://lotsen.example/telegram/webhook",
            "LOTSEN_TELEGRAM_WEBHOOK_SECRET": SECRET,
            # The fuzz run is one client: budgets out of the way, so inputs reach the turn.
            "LOTSEN_RATE_LIMIT_MESSAGES": "1000000",
            "LOTSEN_ADDRESS_MESSAGES_PER_MINUTE": "1000000",
            "LOTSEN_ADDRESS_NEW_CONVERSATIONS_PER_HOUR": "1000000",
        }
    )
    try:
        with TestClient(create_app(settings, transport=backends.transport()), raise_server_exceptions=False) as client:
            yield client, telegram
    finally:
        telegram.stop()


def stored_user_texts(client: TestClient) -> Counter[str]:
    async def texts() -> list[str]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list((await session.scalars(select(Message.text).where(Message.author == "user"))).all())

    return Counter(client.portal.call(texts))  # type: ignore[union-attr]


def settle_telegram(client: TestClient, timeout: float = 60.0) -> None:
    async def drained() -> None:
        await asyncio.wait_for(client.app.state.telegram.app.update_queue.join(), timeout)  # type: ignore[attr-defined]

    client.portal.call(drained)  # type: ignore[union-attr]


def fuzz_http(client: TestClient, tally: Tally, count: int) -> None:
    for raw in http_bodies(RNG, count):
        headers = {"content-type": "application/json"}
        if RNG.random() < 0.1:
            headers["authorization"] = RNG.choice(
                ["Bearer", "Bearer ", "Basic x", "Bearer " + "a" * 500, "bearer \t x"]
            )
        response = client.post("/api/messages", content=raw, headers=headers)
        tally.count("http", response.status_code, raw, response.text[:200])
        if response.status_code == 200 and (text := expected_text(raw)) is not None:
            tally.stored[text] += 1


def fuzz_socket(client: TestClient, tally: Tally, count: int) -> None:
    frames = list(socket_frames(RNG, count))
    while frames:
        data: Any = None
        try:
            with client.websocket_connect("/api/ws") as ws:
                while frames:
                    kind, data = frames.pop()
                    try:
                        ws.send_bytes(data) if kind == "bytes" else ws.send_text(data)
                        answer = ws.receive_json()
                    except WebSocketDisconnect as closed:  # a wrong token closes the socket: a new one
                        tally.count("websocket", closed.code, data)
                        break
                    raw = data.encode("utf-8") if kind == "text" else data
                    status = 200 if answer.get("type") in ("reply", "auth") else int(answer.get("status", 0))
                    tally.count("websocket", status, raw)
                    if answer.get("type") == "reply" and (text := expected_text(raw)) is not None:
                        tally.stored[text] += 1
                    if RNG.random() < 0.05:  # now and then a fresh socket (a new conversation)
                        break
        except Exception as exc:  # noqa: BLE001 — an exception in the app reaches the test client
            tally.crashes.append(("websocket", repr(data)[:300], repr(exc)))


def fuzz_telegram(client: TestClient, tally: Tally, count: int) -> None:
    for raw in telegram_updates(RNG, count):
        secret = SECRET if RNG.random() > 0.02 else "wrong"
        response = client.post("/telegram/webhook", content=raw, headers={SECRET_HEADER: secret})
        tally.count("telegram", response.status_code, raw, response.text[:200])
    settle_telegram(client)


def test_malformed_input_never_breaks_the_gateway(
    fuzz_client: tuple[TestClient, FakeTelegram], caplog: pytest.LogCaptureFixture
) -> None:
    client, telegram = fuzz_client
    tally = Tally()
    started = time.monotonic()
    with caplog.at_level(logging.ERROR):
        fuzz_http(client, tally, 1400)
        fuzz_socket(client, tally, 500)
        fuzz_telegram(client, tally, 400)
    took = time.monotonic() - started
    unhandled = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.exc_info and not r.name.startswith("uvicorn")  # uvicorn: the fake Bot API
    ]

    total = sum(tally.sent.values())
    print(f"\nfuzz run (seed {SEED}): {total} inputs in {took:.1f} s")
    for channel, statuses in tally.statuses.items():
        print(
            f"  {channel:9} sent {tally.sent[channel]:5}  "
            + "  ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
        )
    print(f"  ≥500: {len(tally.server_errors)}, unhandled exceptions: {len(unhandled) + len(tally.crashes)}")

    for channel, raw, status, detail in tally.server_errors[:40]:
        print("  5xx", channel, status, raw[:160], detail[:100])
    for crash in tally.crashes[:20]:
        print("  crash", crash)
    for record in unhandled[:40]:
        print("  unhandled", record.getMessage()[:100], repr(record.exc_info[1])[:200] if record.exc_info else None)
    assert total >= 2000
    assert not tally.server_errors, tally.server_errors[:5]
    assert not tally.crashes, tally.crashes[:5]
    assert not unhandled, [(r.getMessage(), r.exc_info[1] if r.exc_info else None) for r in unhandled[:5]]
    missing = tally.stored - stored_user_texts(client)
    assert not missing, list(missing)[:5]  # every message answered 200 is stored as sent

    # And it still answers normally, on all three inputs.
    response = client.post("/api/messages", json={"sender": "after-fuzz", "text": "Hur skaffar jag BankID?"})
    assert response.status_code == 200 and response.json()["messages"][0]["text"] == "hello"
    with client.websocket_connect("/api/ws") as ws:
        ws.send_json({"type": "message", "sender": "after-fuzz-ws", "text": "hej"})
        assert ws.receive_json()["type"] == "reply"
    update = {
        "update_id": 999_999,
        "message": {
            "message_id": 1,
            "from": {"id": 999_999, "is_bot": False, "first_name": "F"},
            "chat": {"id": 999_999, "type": "private", "first_name": "F"},
            "date": 1795430010,
            "text": "Hur skaffar jag BankID?",
        },
    }
    assert client.post("/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}).status_code == 200
    settle_telegram(client)
    assert "hello" in telegram.wait_texts(999_999)


def test_odd_text_is_stored_or_refused_on_postgresql(knowledge_dir: Path, tmp_path: Path) -> None:
    """PostgreSQL refuses what SQLite stores (a NUL in text): the same odd texts, senders
    and payloads there — each is stored as sent or refused with a 4xx, never a 5xx."""
    with fresh_database("lotsen_fuzz") as name:
        settings = Settings.from_env(
            {
                "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
                "LOTSEN_DATABASE_URL": f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace(
                    "postgresql://", "postgresql+asyncpg://"
                ),
                "LOTSEN_RASA_URL": "http://rasa.test:5005",
                "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
                "LOTSEN_RASA_TRACKER_URL": tracker_store(tmp_path),
                "LOTSEN_ADDRESS_MESSAGES_PER_MINUTE": "1000000",
                "LOTSEN_ADDRESS_NEW_CONVERSATIONS_PER_HOUR": "1000000",
            }
        )
        app = create_app(settings, transport=FakeBackends().transport())
        expected: Counter[str] = Counter()
        statuses: Counter[int] = Counter()
        with TestClient(app, raise_server_exceptions=False) as client:
            texts = [*WEIRD_TEXTS, *INJECTIONS, "\\ud800 escaped", "nul \x00 inside"]
            for n, text in enumerate(texts):
                for sender in (f"pg-{n}", f"pg-{n}\x00", f"pg-{n}\u202e"):
                    response = client.post("/api/messages", content=json.dumps({"sender": sender, "text": text}))
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        expected[text.strip()] += 1
            raw = b'{"sender":"pg-escaped","text":"\\ud800"}'  # a lone surrogate, escaped in JSON
            statuses[client.post("/api/messages", content=raw).status_code] += 1
            missing = expected - stored_user_texts(client)
    print(f"\nPostgreSQL: {sum(statuses.values())} messages: {dict(sorted(statuses.items()))}")
    assert not [status for status in statuses if status >= 500], statuses
    assert not missing, list(missing)[:5]
