"""The Telegram channel: the real python-telegram-bot client against a local fake Bot API.

Recorded `Update` JSON goes in through the webhook route (and the polling path); the
assertions are on what the fake Bot API received.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.app import create_app
from bot.channels.telegram import SECRET_HEADER, split_text
from bot.db import Conversation
from lotsen.i18n import t
from lotsen.languages import supported_codes
from lotsen.settings import Settings
from tests.bot.test_console import post_form, staff_client
from tests.bot.test_editor import add_account
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.fake_telegram import FakeTelegram
from tests.helpers.handoff import MONDAY_MORNING, Clock

UPDATES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent.parent / "data" / "telegram" / "updates.json").read_text(encoding="utf-8")
)
SECRET = "s3cret-token_for-tests"


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


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, telegram: FakeTelegram) -> Iterator[TestClient]:
    settings = telegram_settings(tmp_path, knowledge_dir, telegram, webhook=True)
    with TestClient(create_app(settings, transport=backends.transport())) as test_client:
        yield test_client


def feed(client: TestClient, name: str, secret: str | None = SECRET) -> Any:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return client.post("/telegram/webhook", json=UPDATES[name], headers=headers)


def texts_to(telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [str(p["text"]) for p in telegram.sent() if int(p["chat_id"]) == chat_id]


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


def test_wrong_or_missing_secret_token_is_403(client: TestClient, telegram: FakeTelegram) -> None:
    assert feed(client, "text_sv", secret="wrong").status_code == 403
    assert feed(client, "text_sv", secret=None).status_code == 403
    assert telegram.sent() == []


def test_not_an_update_is_400(client: TestClient) -> None:
    response = client.post("/telegram/webhook", content=b"[1, 2", headers={SECRET_HEADER: SECRET})
    assert response.status_code == 400


def test_start_welcomes_in_the_clients_language_with_language_and_municipality_buttons(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    assert feed(client, "start_ar").status_code == 200
    welcome, question = telegram.sent()[:2]
    assert welcome["chat_id"] == 555001
    welcome_text = t(
        "ar",
        "Welcome to Lotsen! I answer questions about getting started in Sweden, in your language. "
        "Is this your language? If not, choose yours.",
    )
    assert welcome["text"] == welcome_text
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
    sent = telegram.sent()[0]
    assert sent["text"] == "BankID får du från banken."
    assert sent["reply_markup"] == {
        "inline_keyboard": [[{"text": "Personnummer", "callback_data": "/ask_personnummer"}]]
    }
    assert any(p["action"] == "typing" for p in telegram.sent("sendChatAction"))


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
    assert telegram.sent("answerCallbackQuery")[0]["callback_query_id"] == "4382bfdwdsb323b2d9"
    assert texts_to(telegram, 555001)[-1] == t("ar", "OK, I will write in {language} from now on.", language="العربية")


def test_voice_note_gets_a_translated_type_or_ask_for_a_person(client: TestClient, telegram: FakeTelegram) -> None:
    feed(client, "voice")
    assert texts_to(telegram, 555005) == [
        t("fa", "I cannot listen to voice messages. Please type your question, or write /human to talk to a person.")
    ]


@pytest.mark.parametrize(
    ("name", "chat_id", "language"),
    [("photo", 555006, "so"), ("sticker", 555007, "ru"), ("location", 555008, "en"), ("document", 555009, "en")],
)
def test_other_media_get_a_translated_text_only_reply(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends, name: str, chat_id: int, language: str
) -> None:
    feed(client, name)
    assert texts_to(telegram, chat_id) == [t(language, "I can only read text. Please write your question in words.")]
    assert backends.received == []


def test_edited_message_is_answered_as_the_corrected_question(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    feed(client, "edited")
    assert backends.received[0]["message"] == "Hur skaffar jag id-kort?"


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


def test_retry_after_is_waited_out_and_the_message_arrives(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    telegram.retry_after_once.add("sendMessage")
    backends.rasa_replies = [{"text": "Svar efter väntan"}]
    feed(client, "text_sv")
    assert texts_to(telegram, 555002) == ["Svar efter väntan"]


def test_network_error_is_retried_with_back_off(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    telegram.bad_gateway_once.add("sendMessage")
    backends.rasa_replies = [{"text": "Svar efter nätverksfel"}]
    feed(client, "text_sv")
    assert texts_to(telegram, 555002) == ["Svar efter nätverksfel"]


def test_staff_reply_reaches_the_telegram_chat(
    client: TestClient, telegram: FakeTelegram, backends: FakeBackends
) -> None:
    client.app.state.handoff.clock = Clock(MONDAY_MORNING)  # type: ignore[attr-defined]
    feed(client, "human_sv")  # no municipality yet: asked with buttons
    client.post(
        "/telegram/webhook",
        json={
            **UPDATES["callback_language"],
            "update_id": 9100,
            "callback_query": {
                **UPDATES["callback_language"]["callback_query"],
                "id": "cb-2",
                "from": UPDATES["human_sv"]["message"]["from"],
                "message": {
                    **UPDATES["callback_language"]["callback_query"]["message"],
                    "chat": UPDATES["human_sv"]["message"]["chat"],
                },
                "data": '/human{"municipality":"linkoping"}',
            },
        },
        headers={SECRET_HEADER: SECRET},
    )
    assert "Kontakt Linköping" in texts_to(telegram, 555010)[-1]

    add_account(client, "sara", "staff")
    sara = staff_client(client, "sara")
    handoff = re.search(r'href="/console/handoffs/(\d+)"', sara.get("/console").text)
    assert handoff
    page = f"/console/handoffs/{handoff.group(1)}"
    post_form(sara, f"{page}/claim", page)
    post_form(sara, f"{page}/reply", page, text="Hej Nora! Vad kan jag hjälpa till med?")
    delivered = telegram.wait_for("sendMessage", count=4)
    assert any(p["text"] == "Hej Nora! Vad kan jag hjälpa till med?" and p["chat_id"] == 555010 for p in delivered)


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
    question = telegram.sent()[-1]
    assert question["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/forget_confirm"
    confirm = {
        "update_id": 9200,
        "callback_query": {
            "id": "cb-forget",
            "from": UPDATES["forget"]["message"]["from"],
            "chat_instance": "1",
            "message": {
                **UPDATES["callback_language"]["callback_query"]["message"],
                "chat": UPDATES["forget"]["message"]["chat"],
            },
            "data": "/forget_confirm",
        },
    }
    client.post("/telegram/webhook", json=confirm, headers={SECRET_HEADER: SECRET})
    assert texts_to(telegram, 555008)[-1] == t(
        "en", "Done. I have deleted this conversation and everything Lotsen kept about it."
    )

    async def conversations() -> list[str]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list(await session.scalars(select(Conversation.sender)))

    assert "555008" not in client.portal.call(conversations)  # type: ignore[union-attr]
    with sqlite3.connect(tmp_path / "tracker.db") as tracker:
        assert tracker.execute("SELECT sender_id FROM events").fetchall() == [("web:someone-else",)]


def test_polling_mode_reads_updates_from_get_updates(
    tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, telegram: FakeTelegram
) -> None:
    settings = telegram_settings(tmp_path, knowledge_dir, telegram, webhook=False)
    backends.rasa_replies = [{"text": "Svar via polling"}]
    telegram.updates.append(UPDATES["text_sv"])
    with TestClient(create_app(settings, transport=backends.transport())) as test_client:
        telegram.wait_for("sendMessage")
        assert texts_to(telegram, 555002) == ["Svar via polling"]
        assert test_client.post("/telegram/webhook", json=UPDATES["text_sv"]).status_code == 404
    assert telegram.sent("setWebhook") == []
