"""The Telegram channel: the real python-telegram-bot client against a local fake Bot API.

Recorded `Update` JSON goes in through the webhook route (and the polling path); the
assertions are on what the fake Bot API received. The webhook only queues an update and
answers 200, so a test that feeds one waits with `settle` until the Application has
handled every queued update (its `update_queue.join()`: PTB marks an update done after
its handlers ran, replies included, since the pipeline delivers before it returns), or
with `FakeTelegram.wait_for`/`wait_texts` for what the outbox pushes on its own.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot import outbox as outbox_module
from bot.app import create_app
from bot.channels.telegram import PRIVATE_ONLY, SECRET_HEADER, sending, split_text
from bot.db import Conversation, Message, OutboxEntry, TelegramGroup
from bot.outbox import FIRST_RETRY
from lotsen import sentences
from lotsen.i18n import t
from lotsen.languages import supported_codes
from lotsen.settings import Settings
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.handoff import MONDAY_MORNING, Clock
from tests.helpers.staff import add_account, post_form, staff_client

UPDATES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "data" / "telegram" / "updates.json").read_text(encoding="utf-8")
)
SECRET = "s3cret-token_for-tests"
SETTLE_SECONDS = 20.0
BOT_LINK = "https://t.me/lotsen_test_bot"

WELCOME = (
    "Welcome to Lotsen! I answer questions about getting started in Sweden, in your language. "
    "Is this your language? If not, choose yours."
)
NOT_TEXT = "I can only read text. Please write your question in words."
FORGET_QUESTION = "Do you want me to delete this whole conversation? This cannot be undone."
FORGOTTEN = "Done. I have deleted this conversation and everything Lotsen kept about it."
EXPIRED = "This button has expired. Write /forget again if you want to delete this conversation."
NONCE_PAYLOAD = re.compile(r'^/forget_confirm\{"nonce":"[0-9a-f]{16}"\}$')


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


def telegram_settings(tmp_path: Path, knowledge_dir: Path, telegram: FakeTelegram, webhook: bool) -> Settings:
    env = {
        "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
        "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        "LOTSEN_RASA_URL": "http://rasa.test:5005",
        "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
        "LOTSEN_TELEGRAM_TOKEN": "123456:TEST-token",
        "LOTSEN_TELEGRAM_BASE_URL": telegram.base_url,
        "LOTSEN_RASA_TRACKER_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
    }
    if webhook:
        env["LOTSEN_TELEGRAM_WEBHOOK_URL"] = "https://lotsen.example/telegram/webhook"
        env["LOTSEN_TELEGRAM_WEBHOOK_SECRET"] = SECRET
    return Settings.from_env(env)


@contextmanager
def gateway(settings: Settings, backends: FakeBackends) -> Iterator[TestClient]:
    with TestClient(create_app(settings, transport=backends.transport())) as test_client:
        yield test_client


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, telegram: FakeTelegram) -> Iterator[TestClient]:
    with gateway(telegram_settings(tmp_path, knowledge_dir, telegram, webhook=True), backends) as test_client:
        yield test_client


def quick_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """A send Telegram does not take fails in a blink (not after 1 s + 2 s of back-off),
    and the outbox loop delivers only when woken, never by its own timer: what is
    delivered when is up to the test. Call it before the app starts."""
    monkeypatch.setattr(sending, "NETWORK_BACKOFF", 0.01)
    monkeypatch.setattr(outbox_module, "POLL_SECONDS", 3600.0)


@pytest.fixture
def quick_client(
    tmp_path: Path,
    knowledge_dir: Path,
    backends: FakeBackends,
    telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    """`client`, with `quick_failures`."""
    quick_failures(monkeypatch)
    with gateway(telegram_settings(tmp_path, knowledge_dir, telegram, webhook=True), backends) as test_client:
        yield test_client


# Feeding updates -------------------------------------------------------------------------


def post_update(client: TestClient, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return client.post("/telegram/webhook", json=update, headers=headers)


def settle(client: TestClient) -> None:
    """Wait until every update fed so far has been handled (the webhook does not wait)."""

    async def drained() -> None:
        await asyncio.wait_for(client.app.state.telegram.app.update_queue.join(), SETTLE_SECONDS)  # type: ignore[attr-defined]

    client.portal.call(drained)  # type: ignore[union-attr]


def feed(client: TestClient, update: str | dict[str, Any]) -> None:
    """Post a recorded update (by name) or a built one, and wait until it is handled."""
    response = post_update(client, UPDATES[update] if isinstance(update, str) else update)
    assert response.status_code == 200, response.text
    settle(client)


def message(name: str, update_id: int, text: str | None = None, **fields: Any) -> dict[str, Any]:
    """A recorded message update with a new id, and new text (or other fields)."""
    built = copy.deepcopy(UPDATES[name])
    built["update_id"] = update_id
    body = built["message"]
    body["message_id"] = update_id
    if text is not None:
        body["text"] = text
        body.pop("entities", None)
        if command := re.match(r"^/\S+", text):
            body["entities"] = [{"offset": 0, "length": len(command.group(0)), "type": "bot_command"}]
    body.update(fields)
    return built


def callback(name: str, update_id: int, data: str) -> dict[str, Any]:
    """A button press in the chat of the recorded message update `name`."""
    sender = UPDATES[name]["message"]
    query = copy.deepcopy(UPDATES["callback_language"]["callback_query"])
    query["message"]["chat"] = sender["chat"]
    query.update({"id": f"cb-{update_id}", "from": sender["from"], "data": data})
    return {"update_id": update_id, "callback_query": query}


def texts_to(telegram: FakeTelegram, chat_id: int) -> list[str]:
    return telegram.texts(chat_id)


# Looking into the database ---------------------------------------------------------------


def conversation_of(client: TestClient, chat_id: int) -> Conversation | None:
    async def find() -> Conversation | None:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            found: Conversation | None = await session.scalar(
                select(Conversation).where(Conversation.channel == "telegram", Conversation.sender == str(chat_id))
            )
            return found

    return client.portal.call(find)  # type: ignore[union-attr, no-any-return]


def outbox_rows(client: TestClient) -> list[tuple[str, int, datetime | None]]:
    """(text, attempts, sent_at) of every outbox entry, oldest first."""

    async def rows() -> list[tuple[str, int, datetime | None]]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            result = await session.execute(
                select(Message.text, OutboxEntry.attempts, OutboxEntry.sent_at)
                .join(Message, Message.id == OutboxEntry.message_id)
                .order_by(OutboxEntry.id)
            )
            return [(text, attempts, sent_at) for text, attempts, sent_at in result.all()]

    return client.portal.call(rows)  # type: ignore[union-attr, no-any-return]


def flush_due(client: TestClient) -> int:
    sent: int = client.portal.call(client.app.state.outbox.flush_due)  # type: ignore[attr-defined, union-attr]
    return sent


def frozen_outbox_clock(client: TestClient) -> Clock:
    """The outbox's clock, stopped a minute ahead (entries are created at the real time,
    so they are due at once; a retry is due only when the test moves the clock on)."""
    clock = Clock(datetime.now(timezone.utc) + timedelta(minutes=1))
    client.app.state.outbox.clock = clock  # type: ignore[attr-defined]
    return clock


# Start-up and the webhook ----------------------------------------------------------------


def test_start_registers_commands_in_every_language_and_sets_the_webhook(
    client: TestClient, telegram: FakeTelegram
) -> None:
    registered = telegram.sent("setMyCommands")
    codes = {p.get("language_code") for p in registered}
    assert codes == {None, *supported_codes()}
    arabic = next(p for p in registered if p.get("language_code") == "ar")
    assert [c["command"] for c in arabic["commands"]] == [
        "start",
        "language",
        "municipality",
        "human",
        "help",
        "forget",
    ]
    assert arabic["commands"][3]["description"] == t("ar", "Talk to a person")
    webhook = telegram.sent("setWebhook")[0]
    assert webhook["url"] == "https://lotsen.example/telegram/webhook" and webhook["secret_token"] == SECRET


def test_wrong_or_missing_secret_token_is_403(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    assert post_update(client, UPDATES["text_sv"], secret="wrong").status_code == 403
    assert post_update(client, UPDATES["text_sv"], secret=None).status_code == 403
    settle(client)
    assert telegram.sent() == [] and backends.received == []


def test_not_an_update_is_400(client: TestClient) -> None:
    response = client.post("/telegram/webhook", content=b"[1, 2", headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400
    assert post_update(client, {"no": "update_id"}).status_code == 400


# Conversations ---------------------------------------------------------------------------


def test_start_welcomes_in_the_clients_language_with_language_and_municipality_buttons(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, "start_ar")
    welcome, question = telegram.sent()
    assert welcome["chat_id"] == 555001 and question["chat_id"] == 555001
    assert welcome["text"] == t("ar", WELCOME)
    assert question["text"] == t("ar", "Which municipality do you live in?")
    callbacks = [row[0]["callback_data"] for row in welcome["reply_markup"]["inline_keyboard"]]
    assert '/choose_language{"language":"ar"}' in callbacks
    municipalities = [row[0]["callback_data"] for row in question["reply_markup"]["inline_keyboard"]]
    assert '/choose_municipality{"municipality":"linkoping"}' in municipalities
    assert all(len(c.encode()) <= 64 for c in callbacks + municipalities)
    assert "parse_mode" not in welcome  # plain text: nothing can break formatting
    assert backends.received == []


def test_text_goes_to_rasa_and_buttons_become_an_inline_keyboard(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    backends.rasa_replies = [
        {"text": "BankID får du från banken.", "buttons": [{"title": "Personnummer", "payload": "/ask_personnummer"}]}
    ]
    feed(client, "text_sv")
    assert backends.received[0]["sender"] == "telegram:555002"
    assert backends.received[0]["message"] == "Hur skaffar jag BankID?"
    [sent] = telegram.sent()
    assert sent["chat_id"] == 555002
    assert sent["text"] == "BankID får du från banken."
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "Personnummer", "callback_data": "/ask_personnummer"}]]
    }
    assert any(p["action"] == "typing" and p["chat_id"] == 555002 for p in telegram.sent("sendChatAction"))


@pytest.mark.parametrize("name", ["text_ti", "text_uk"])
def test_text_in_other_scripts_keeps_its_language(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, name: str
) -> None:
    feed(client, name)
    expected = {"text_ti": "ti", "text_uk": "uk"}[name]
    assert backends.received[0]["metadata"]["language"] == expected


def test_callback_is_answered_and_its_payload_handled(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, "start_ar")
    feed(client, "callback_language")
    assert [p["callback_query_id"] for p in telegram.sent("answerCallbackQuery")] == ["4382bfdwdsb323b2d9"]
    texts = texts_to(telegram, 555001)
    assert len(texts) == 3
    assert texts[-1] == t("ar", "OK, I will write in {language} from now on.", language="العربية")


def test_voice_note_gets_a_translated_type_or_ask_for_a_person(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, "voice")
    assert texts_to(telegram, 555005) == [
        t("fa", "I cannot listen to voice messages. Please type your question, or write /human to talk to a person.")
    ]
    assert backends.received == []


@pytest.mark.parametrize(
    ("name", "chat_id", "language"),
    [("photo", 555006, "so"), ("sticker", 555007, "ru"), ("location", 555008, "en"), ("document", 555009, "en")],
)
def test_other_media_get_a_translated_text_only_reply(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, name: str, chat_id: int, language: str
) -> None:
    feed(client, name)
    assert texts_to(telegram, chat_id) == [t(language, NOT_TEXT)]
    assert backends.received == []


def test_a_caption_is_read_as_the_question_and_a_bare_photo_is_not(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    backends.rasa_replies = [{"text": "BankID får du från banken."}]
    feed(client, "photo_caption")
    assert [(r["sender"], r["message"]) for r in backends.received] == [("telegram:555013", "Hur skaffar jag BankID?")]
    assert texts_to(telegram, 555013) == ["BankID får du från banken."]
    feed(client, "photo")  # the same kind of photo, without a caption
    assert len(backends.received) == 1
    assert texts_to(telegram, 555006) == [t("so", NOT_TEXT)]


def test_edited_message_is_answered_as_the_corrected_question(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, "edited")
    assert backends.received[0]["message"] == "Hur skaffar jag id-kort?"
    assert texts_to(telegram, 555002) == ["hello"]


def test_long_reply_is_split_on_sentence_boundaries(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    sentence = "Det här är en mening om bostadskö och kontrakt i Sverige. "
    backends.rasa_replies = [{"text": sentence * 160}]  # ~9,300 characters
    feed(client, "text_sv")
    chunks = texts_to(telegram, 555002)
    assert len(chunks) == 3
    assert all(len(c) <= 4096 and c.endswith(".") for c in chunks)
    assert " ".join(chunks) == (sentence * 160).strip()


def test_split_text_falls_back_to_spaces_and_hard_cuts() -> None:
    assert split_text("a" * 5000) == ["a" * 4096, "a" * 904]
    words = split_text("ord " * 1500)
    assert all(len(c) <= 4096 for c in words) and "".join(words).replace(" ", "") == "ord" * 1500


def test_one_chats_questions_are_answered_in_order_even_when_the_first_is_slow(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    questions = ["Hur skaffar jag BankID?", "Hur får jag ett personnummer?", "Var kan jag lära mig svenska?"]
    backends.replies_for = {q: [{"text": f"Svar {n}"}] for n, q in enumerate(questions, start=1)}
    backends.delays = {questions[0]: 1.0}  # Rasa thinks a while about the first
    for offset, question in enumerate(questions):
        assert post_update(client, message("text_sv", 9300 + offset, question)).status_code == 200
    settle(client)
    assert [r["message"] for r in backends.received] == questions
    assert texts_to(telegram, 555002) == ["Svar 1", "Svar 2", "Svar 3"]


# Commands --------------------------------------------------------------------------------


def test_commands_addressed_to_this_bot_are_answered(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, message("text_sv", 9400, "/start@lotsen_test_bot"))
    assert texts_to(telegram, 555002) == [t("sv", WELCOME), t("sv", "Which municipality do you live in?")]
    feed(client, message("text_sv", 9401, "/language@lotsen_test_bot"))
    question = telegram.sent()[-1]
    assert question["text"] == t("sv", "Which language would you like?")
    buttons = [row[0]["callback_data"] for row in question["reply_markup"]["inline_keyboard"]]
    assert buttons == [b["payload"] for b in sentences.language_buttons()]
    assert backends.received == []


def test_a_command_for_another_bot_is_left_alone(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, message("text_sv", 9410, "/start@some_other_bot"))
    assert telegram.sent() == [] and backends.received == []
    assert conversation_of(client, 555002) is None


def test_a_deep_link_welcomes_and_sets_the_municipality(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, "start_deep_link")
    assert texts_to(telegram, 555014) == [t("sv", WELCOME)]  # the municipality is known: not asked
    stored = conversation_of(client, 555014)
    assert stored is not None and stored.municipality == "linkoping"
    feed(client, message("start_deep_link", 9420, "/start not-a-place"))  # a link to no municipality
    assert texts_to(telegram, 555014)[1:] == [t("sv", WELCOME)]
    stored = conversation_of(client, 555014)
    assert stored is not None and stored.municipality == "linkoping"  # unchanged
    assert backends.received == []


def test_a_deep_link_to_no_known_municipality_only_welcomes(client: TestClient, telegram: FakeTelegram) -> None:
    feed(client, message("start_deep_link", 9430, "/start not-a-place"))
    assert texts_to(telegram, 555014) == [t("sv", WELCOME), t("sv", "Which municipality do you live in?")]
    stored = conversation_of(client, 555014)
    assert stored is not None and stored.municipality is None


# Groups ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "language"),
    [
        pytest.param(UPDATES["group_ar"], "ar", id="arabic-text-from-an-english-client"),
        pytest.param(UPDATES["group_sticker_ar"], "ar", id="sticker-from-an-arabic-client"),
        pytest.param(
            message(
                "group_ar", 9500, "/start@lotsen_test_bot", **{"from": UPDATES["group_sticker_ar"]["message"]["from"]}
            ),
            "ar",
            id="command-from-an-arabic-client",
        ),
    ],
)
def test_a_group_is_told_once_in_its_language_to_write_privately(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, update: dict[str, Any], language: str
) -> None:
    group = int(update["message"]["chat"]["id"])
    feed(client, update)
    notice = t(language, PRIVATE_ONLY, link=BOT_LINK)
    assert BOT_LINK in notice and notice != t("en", PRIVATE_ONLY, link=BOT_LINK)
    assert texts_to(telegram, group) == [notice]
    said = update["message"]
    again = {
        "message_id": 9999,
        "from": said["from"],
        "chat": said["chat"],
        "date": said["date"] + 60,
        "text": "Hallå?",
    }
    feed(client, {"update_id": update["update_id"] + 1000, "message": again})
    assert texts_to(telegram, group) == [notice]  # told once: then ignored
    assert [p["chat_id"] for p in telegram.sent()] == [group]
    assert backends.received == []
    assert conversation_of(client, group) is None

    async def told() -> list[int]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list(await session.scalars(select(TelegramGroup.chat_id)))

    assert client.portal.call(told) == [group]  # type: ignore[union-attr]


# Forgetting ------------------------------------------------------------------------------


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    """Rasa's tracker store, with events of two conversations, for /forget to erase from."""
    path = tmp_path / "tracker.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        db.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [("telegram:555008", "{}"), ("telegram:555010", "{}"), ("web:someone-else", "{}")],
        )
    return path


def tracker_senders(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [sender for (sender,) in db.execute("SELECT sender_id FROM events ORDER BY id")]


def forget_nonce_payload(telegram: FakeTelegram, chat_id: int, language: str = "en") -> str:
    """The confirmation payload on the last question /forget asked in the chat."""
    question = telegram.sent()[-1]
    assert question["chat_id"] == chat_id and question["text"] == t(language, FORGET_QUESTION)
    [[button]] = question["reply_markup"]["inline_keyboard"]
    assert button["text"] == t(language, "Yes, delete everything")
    payload = str(button["callback_data"])
    assert NONCE_PAYLOAD.match(payload), payload
    return payload


def test_forget_asks_then_erases_the_conversation_and_the_rasa_tracker(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "tracker.db") as tracker:
        tracker.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        tracker.executemany(
            "INSERT INTO events (sender_id, data) VALUES (?, ?)",
            [("telegram:555008", "{}"), ("telegram:555008", "{}"), ("web:someone-else", "{}")],
        )
    feed(client, "location")  # creates the conversation (chat 555008)
    feed(client, "forget")
    payload = forget_nonce_payload(telegram, 555008)
    assert conversation_of(client, 555008) is not None  # asking deletes nothing
    feed(client, callback("forget", 9200, payload))
    assert conversation_of(client, 555008) is None
    with sqlite3.connect(tmp_path / "tracker.db") as tracker:
        assert tracker.execute("SELECT sender_id FROM events").fetchall() == [("web:someone-else",)]


def test_forget_confirmation_is_told_to_the_chat(client: TestClient, telegram: FakeTelegram, tracker: Path) -> None:
    feed(client, "forget")
    feed(client, callback("forget", 9210, forget_nonce_payload(telegram, 555008)))
    assert conversation_of(client, 555008) is None
    assert texts_to(telegram, 555008)[-1] == t("en", FORGOTTEN)


def test_an_old_wrong_or_expired_confirmation_deletes_nothing(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, tracker: Path
) -> None:
    feed(client, "forget")
    first = forget_nonce_payload(telegram, 555008)
    feed(client, message("forget", 9601, "/forget"))
    second = forget_nonce_payload(telegram, 555008)
    assert second != first

    feed(client, callback("forget", 9602, first))  # the button of the earlier question
    assert texts_to(telegram, 555008)[-1] == t("en", EXPIRED)
    assert conversation_of(client, 555008) is not None

    feed(client, callback("forget", 9603, '/forget_confirm{"nonce":"0000000000000000"}'))  # never issued
    assert texts_to(telegram, 555008)[-1] == t("en", EXPIRED)
    feed(client, message("forget", 9604, '/forget_confirm{"nonce":"0000000000000000"}'))  # typed
    assert texts_to(telegram, 555008)[-1] == t("en", EXPIRED)
    assert conversation_of(client, 555008) is not None

    feed(client, message("forget", 9605, "/forget"))
    late = forget_nonce_payload(telegram, 555008)
    commands = client.app.state.commands  # type: ignore[attr-defined]
    commands.clock = Clock(datetime.now(timezone.utc) + timedelta(minutes=10, seconds=5))
    feed(client, callback("forget", 9606, late))  # pressed after its ten minutes
    assert texts_to(telegram, 555008)[-1] == t("en", EXPIRED)
    assert conversation_of(client, 555008) is not None
    assert "telegram:555008" in tracker_senders(tracker)

    feed(client, message("forget", 9607, "/forget"))
    fresh = forget_nonce_payload(telegram, 555008)
    feed(client, callback("forget", 9608, fresh))
    assert conversation_of(client, 555008) is None
    assert "telegram:555008" not in tracker_senders(tracker)
    assert backends.received == []


def test_forget_and_language_are_answered_while_waiting_for_staff(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, tracker: Path
) -> None:
    client.app.state.handoff.clock = Clock(MONDAY_MORNING)  # type: ignore[attr-defined]
    feed(client, message("human_sv", 9700, '/human{"municipality":"linkoping"}'))
    assert "Kontakt Linköping" in texts_to(telegram, 555010)[-1]
    waiting = conversation_of(client, 555010)
    assert waiting is not None and waiting.mode == "waiting"

    feed(client, message("human_sv", 9701, "/language"))
    question = telegram.sent()[-1]
    assert question["chat_id"] == 555010 and question["text"] == t("sv", "Which language would you like?")
    assert [row[0]["callback_data"] for row in question["reply_markup"]["inline_keyboard"]] == [
        b["payload"] for b in sentences.language_buttons()
    ]

    feed(client, message("human_sv", 9702, "/forget"))
    payload = forget_nonce_payload(telegram, 555010, "sv")
    still = conversation_of(client, 555010)
    assert still is not None and still.mode == "waiting"
    feed(client, callback("human_sv", 9703, payload))
    assert conversation_of(client, 555010) is None
    assert tracker_senders(tracker) == ["telegram:555008", "web:someone-else"]
    assert backends.received == []


# Delivery: retries, the outbox, restarts -------------------------------------------------


def test_retry_after_is_waited_out_logged_at_info_and_the_message_arrives(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    telegram.retry_after_once.add("sendMessage")
    backends.rasa_replies = [{"text": "Svar efter väntan"}]
    feed(client, "text_sv")
    assert texts_to(telegram, 555002) == ["Svar efter väntan"]
    assert "sendMessage" not in telegram.retry_after_once  # the 429 was answered, and waited out
    assert any(r.levelno == logging.INFO and "retry" in r.getMessage().lower() for r in caplog.records)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def test_network_error_is_retried_with_back_off(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    telegram.bad_gateway_once.add("sendMessage")
    backends.rasa_replies = [{"text": "Svar efter nätverksfel"}]
    feed(client, "text_sv")
    assert texts_to(telegram, 555002) == ["Svar efter nätverksfel"]
    assert [p["text"] for _, p in telegram.failed] == ["Svar efter nätverksfel"]


def test_a_reply_telegram_does_not_take_waits_in_the_outbox_and_goes_out_once(
    quick_client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    client = quick_client
    clock = frozen_outbox_clock(client)
    telegram.fail_send_times = 1000  # Telegram is down
    backends.rasa_replies = [{"text": "Svar som väntar"}]
    feed(client, "text_sv")
    assert telegram.sent() == []
    assert [p["text"] for _, p in telegram.failed] == ["Svar som väntar"] * sending.SEND_ATTEMPTS
    assert outbox_rows(client) == [("Svar som väntar", 1, None)]  # kept, not lost

    telegram.fail_send_times = 0  # Telegram is back
    assert flush_due(client) == 0  # not before its retry time
    assert telegram.sent() == []
    clock.now += FIRST_RETRY + timedelta(seconds=1)
    flush_due(client)  # (the outbox's own loop may get there first: either way, once)
    assert texts_to(telegram, 555002) == ["Svar som väntar"]
    assert flush_due(client) == 0
    assert texts_to(telegram, 555002) == ["Svar som väntar"]
    [(_, attempts, sent_at)] = outbox_rows(client)
    assert attempts == 1 and sent_at is not None


def test_a_later_reply_never_overtakes_one_that_failed(quick_client: TestClient, telegram: FakeTelegram) -> None:
    client = quick_client
    clock = frozen_outbox_clock(client)
    telegram.fail_send_times = sending.SEND_ATTEMPTS  # the first reply fails, then Telegram works
    feed(client, "start_ar")  # two replies: the welcome, then the municipality question
    welcome, question = t("ar", WELCOME), t("ar", "Which municipality do you live in?")
    assert [p["text"] for _, p in telegram.failed] == [welcome] * sending.SEND_ATTEMPTS
    assert telegram.sent() == []  # the question waits behind the welcome
    assert outbox_rows(client) == [(welcome, 1, None), (question, 0, None)]
    clock.now += FIRST_RETRY + timedelta(seconds=1)
    flush_due(client)  # (the outbox's own loop may get there first: either way, once and in order)
    assert texts_to(telegram, 555001) == [welcome, question]
    assert flush_due(client) == 0


def test_a_reply_stored_before_a_restart_is_sent_exactly_once_after_it(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick_failures(monkeypatch)
    settings = telegram_settings(tmp_path, knowledge_dir, telegram, webhook=True)
    backends.rasa_replies = [{"text": "Svar över en omstart"}]
    with gateway(settings, backends) as first:
        frozen_outbox_clock(first)
        telegram.fail_send_times = 1000
        feed(first, "text_sv")
        assert outbox_rows(first) == [("Svar över en omstart", 1, None)]
    assert telegram.sent() == []  # the gateway stopped with the reply stored, not sent

    telegram.fail_send_times = 0
    with gateway(settings, backends) as second:
        clock = frozen_outbox_clock(second)
        clock.now += FIRST_RETRY + timedelta(seconds=1)
        assert flush_due(second) == 1
        assert flush_due(second) == 0
        assert [(text, sent_at is not None) for text, _, sent_at in outbox_rows(second)] == [
            ("Svar över en omstart", True)
        ]
    assert texts_to(telegram, 555002) == ["Svar över en omstart"]
    assert len(backends.received) == 1  # answered once: the restart did not ask Rasa again


def test_an_entry_due_at_a_restart_is_sent_once_by_the_outbox_loop(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "NETWORK_BACKOFF", 0.01)
    settings = telegram_settings(tmp_path, knowledge_dir, telegram, webhook=True)
    backends.rasa_replies = [{"text": "Svar efter omstart"}]
    with gateway(settings, backends) as first:
        telegram.fail_send_times = 1000
        feed(first, "text_sv")
    telegram.fail_send_times = 0
    with sqlite3.connect(tmp_path / "gateway.db") as db:  # its retry time passed while the gateway was down
        db.execute("UPDATE outbox SET next_attempt_at = '2000-01-01 00:00:00.000000'")
    with gateway(settings, backends) as second:
        assert telegram.wait_texts(555002, 1) == ["Svar efter omstart"]  # the loop's first round
        assert flush_due(second) == 0
    assert texts_to(telegram, 555002) == ["Svar efter omstart"]
    assert len(backends.received) == 1


# Staff and polling -----------------------------------------------------------------------


def test_staff_reply_reaches_the_telegram_chat(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    client.app.state.handoff.clock = Clock(MONDAY_MORNING)  # type: ignore[attr-defined]
    feed(client, "human_sv")  # no municipality yet: asked with buttons
    feed(client, callback("human_sv", 9100, '/human{"municipality":"linkoping"}'))
    assert "Kontakt Linköping" in texts_to(telegram, 555010)[-1]

    add_account(client, "sara", "staff", ("linkoping",))
    sara = staff_client(client, "sara")
    handoff = re.search(r'href="/console/handoffs/(\d+)"', sara.get("/console").text)
    assert handoff
    page = f"/console/handoffs/{handoff.group(1)}"
    post_form(sara, f"{page}/claim", page)
    post_form(sara, f"{page}/reply", page, text="Hej Nora! Vad kan jag hjälpa till med?")
    texts = telegram.wait_texts(555010, 4)
    assert texts.count("Hej Nora! Vad kan jag hjälpa till med?") == 1


def test_polling_mode_reads_updates_from_get_updates(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(tmp_path, knowledge_dir, telegram, webhook=False)
    backends.rasa_replies = [{"text": "Svar via polling"}]
    telegram.updates.append(UPDATES["text_sv"])
    with gateway(settings, backends) as test_client:
        telegram.wait_for("sendMessage")
        assert texts_to(telegram, 555002) == ["Svar via polling"]
        assert test_client.post("/telegram/webhook", json=UPDATES["text_sv"]).status_code == 404
    assert telegram.sent("setWebhook") == []


# Flood control --------------------------------------------------------------------------


def test_a_flooding_telegram_user_is_told_once_to_slow_down_and_nothing_is_lost(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(tmp_path, knowledge_dir, telegram, webhook=True)
    settings = dataclasses.replace(settings, rate_limit_messages=3)
    backends.rasa_replies = [{"text": "Svar"}]
    with gateway(settings, backends) as client:
        for i in range(6):
            feed(client, message("text_sv", 9700 + i, f"Fråga nummer {i}"))
        slow_down = t("sv", "You are sending messages very quickly. Please wait a moment and try again.")
        assert texts_to(telegram, 555002) == ["Svar", "Svar", "Svar", slow_down]  # then silence
        assert len(backends.received) == 3  # Rasa was asked three times only

        async def stored() -> list[str]:
            async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
                return list(await session.scalars(select(Message.text).where(Message.author == "user")))

        assert client.portal.call(stored) == [f"Fråga nummer {i}" for i in range(6)]  # type: ignore[union-attr]
