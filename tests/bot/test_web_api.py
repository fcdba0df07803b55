"""The chat API contract (DESIGN.md): shapes, validation, rate limit and faults."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import Conversation, Message
from lotsen.i18n import t
from tests.helpers.chat import post_chat
from tests.helpers.fake_backends import FakeBackends


def post(client: TestClient, body: Any, **kwargs: Any) -> Any:
    return post_chat(client, body, **kwargs)


def stored_messages(client: TestClient, sender: str) -> list[tuple[str, str]]:
    async def query() -> list[tuple[str, str]]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            rows = await session.execute(
                select(Message.author, Message.text)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Conversation.sender == sender)
                .order_by(Message.id)
            )
            return [(author, text) for author, text in rows]

    return client.portal.call(query)  # type: ignore[union-attr]


def test_swedish_question_is_forwarded_with_language_and_reply_matches_contract(
    client: TestClient, backends: FakeBackends
) -> None:
    backends.rasa_replies = [
        {"recipient_id": "web:anna", "text": "Svar", "buttons": [{"title": "BankID", "payload": "/ask_bankid"}]}
    ]
    response = post(client, {"sender": "anna", "text": "Hur skaffar jag BankID?"})

    assert response.status_code == 200
    body = response.json()
    token = body.pop("token")  # the first reply of a new conversation carries its token
    assert isinstance(token, str) and len(token) >= 32
    assert body == {
        "sender": "anna",
        "language": "sv",
        "mode": "bot",
        "messages": [{"text": "Svar", "buttons": [{"title": "BankID", "payload": "/ask_bankid"}]}],
    }
    assert backends.received == [
        {
            "sender": "web:anna",
            "message": "Hur skaffar jag BankID?",
            "metadata": {"language": "sv", "municipality": None, "channel": "web"},
        }
    ]
    assert "token" not in post(client, {"sender": "anna", "text": "Tack"}).json()  # only the first carries it


def test_explicit_language_and_municipality_are_passed_on(client: TestClient, backends: FakeBackends) -> None:
    response = post(
        client, {"sender": "omar", "text": "hej", "metadata": {"language": "ar-SY", "municipality": "linkoping"}}
    )
    assert response.json()["language"] == "ar"
    assert backends.received[-1]["metadata"] == {"language": "ar", "municipality": "linkoping", "channel": "web"}


def test_language_is_sticky_for_short_messages(client: TestClient) -> None:
    assert post(client, {"sender": "sam", "text": "How do I get a bank account in Sweden?"}).json()["language"] == "en"
    assert post(client, {"sender": "sam", "text": "ok"}).json()["language"] == "en"
    assert post(client, {"sender": "sam", "text": "BankID"}).json()["language"] == "en"


def test_a_short_first_message_does_not_fix_the_language(client: TestClient) -> None:
    assert post(client, {"sender": "new", "text": "hi"}).json()["language"] == "sv"  # the default
    assert post(client, {"sender": "new", "text": "How do I get a bank account?"}).json()["language"] == "en"
    assert post(client, {"sender": "new", "text": "hej"}).json()["language"] == "en"


def test_unsupported_language_hint_is_ignored(client: TestClient) -> None:
    response = post(client, {"sender": "hans", "text": "Hur skaffar jag BankID?", "metadata": {"language": "de"}})
    assert response.json()["language"] == "sv"


def test_both_messages_are_stored(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"recipient_id": "web:lea", "text": "Hej!"}]
    post(client, {"sender": "lea", "text": "hej"})
    assert stored_messages(client, "lea") == [("user", "hej"), ("bot", "Hej!")]


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ('{"sender": "a", "text": ', 400, "valid JSON"),
        ("[1, 2]", 400, "JSON object"),
        ('{"text": "hej"}', 400, "'sender' is required"),
        ('{"sender": "", "text": "hej"}', 400, "'sender' must not be empty"),
        ('{"sender": "   ", "text": "hej"}', 400, "'sender' must not be empty"),
        ('{"sender": 42, "text": "hej"}', 400, "'sender' must be a string"),
        ('{"sender": "' + "s" * 129 + '", "text": "hej"}', 400, "at most 128"),
        ('{"sender": "a"}', 400, "'text' is required"),
        ('{"sender": "a", "text": ""}', 400, "'text' must not be empty"),
        ('{"sender": "a", "text": "  \\n "}', 400, "'text' must not be empty"),
        ('{"sender": "a", "text": ["hej"]}', 400, "'text' must be a string"),
        ('{"sender": "a", "text": "' + "x" * 2001 + '"}', 413, "at most 2000"),
        ('{"sender": "a", "text": "hej", "metadata": "sv"}', 400, "'metadata' must be an object"),
        ('{"sender": "a", "text": "hej", "metadata": {"language": 7}}', 400, "metadata.language"),
        ('{"sender": "a", "text": "hej", "metadata": {"municipality": "gotham"}}', 400, "upplands-vasby"),
    ],
)
def test_bad_input_gets_a_4xx_with_a_reason(
    client: TestClient, backends: FakeBackends, body: str, status: int, reason: str
) -> None:
    response = client.post("/api/messages", content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert backends.received == []


def test_text_of_exactly_2000_characters_is_accepted(client: TestClient) -> None:
    assert post(client, {"sender": "long", "text": "a" * 2000}).status_code == 200


def test_oversized_body_is_rejected_before_parsing(client: TestClient) -> None:
    response = client.post("/api/messages", content=b"{" + b" " * 70_000 + b"}")
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]


def test_flooding_sender_is_rate_limited(client: TestClient) -> None:
    statuses = [post(client, {"sender": "flood", "text": f"hej {i}"}).status_code for i in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = post(client, {"sender": "flood", "text": "hej"})
    assert int(limited.headers["retry-after"]) >= 1
    assert "too many messages" in limited.json()["error"]
    assert post(client, {"sender": "someone-else", "text": "hej"}).status_code == 200


def test_unknown_route_and_wrong_method_answer_json(client: TestClient) -> None:
    assert client.get("/nope").json() == {"error": "Not Found"}
    wrong = client.put("/api/messages", json={})
    assert wrong.status_code == 405
    assert "error" in wrong.json()
    assert client.get("/api/messages").status_code == 401  # polling needs the conversation's token
    assert client.get("/api/messages?after=soon").status_code == 400


def test_rasa_starting_gives_a_translated_try_again(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_mode = "refused"
    response = post(client, {"sender": "early", "text": "hej", "metadata": {"language": "uk"}})
    assert response.status_code == 200
    assert response.json()["messages"] == [
        {"text": t("uk", "I am just starting up. Please try again in a moment."), "buttons": []}
    ]
    assert stored_messages(client, "early")[0] == ("user", "hej")


def test_rasa_loading_model_counts_as_starting(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_mode = "loading"
    response = post(client, {"sender": "early2", "text": "hej"})
    assert response.json()["messages"][0]["text"] == t("sv", "I am just starting up. Please try again in a moment.")


@pytest.mark.parametrize("mode", ["timeout", "error"])
def test_rasa_failing_gives_a_translated_apology(client: TestClient, backends: FakeBackends, mode: str) -> None:
    backends.rasa_mode = mode
    response = post(client, {"sender": "f", "text": "hej", "metadata": {"language": "fa"}})
    assert response.status_code == 200
    expected = t("fa", "Sorry, I am having technical problems right now. Please try again in a few minutes.")
    assert response.json()["messages"][0]["text"] == expected


def test_rasa_down_after_it_was_up_is_not_called_starting(client: TestClient, backends: FakeBackends) -> None:
    post(client, {"sender": "x", "text": "hej"})
    backends.rasa_mode = "refused"
    response = post(client, {"sender": "x", "text": "hej igen"})
    expected = t("sv", "Sorry, I am having technical problems right now. Please try again in a few minutes.")
    assert response.json()["messages"][0]["text"] == expected


def test_action_server_down_gives_apology_then_recovers(client: TestClient, backends: FakeBackends) -> None:
    backends.actions_up = False
    backends.rasa_replies = []  # what Rasa returns when the custom action cannot be reached
    first = post(client, {"sender": "ti-user", "text": "ሰላም ከመይ ኣለኹም", "metadata": {}})
    assert first.json()["language"] == "ti"
    apology = t("ti", "Sorry, I cannot reach my information right now. Please try again in a few minutes.")
    assert first.json()["messages"] == [{"text": apology, "buttons": []}]

    backends.actions_up = True
    backends.rasa_replies = [{"recipient_id": "web:ti-user", "text": "ሰላም!"}]
    second = post(client, {"sender": "ti-user", "text": "ሰላም"})
    assert second.json()["messages"] == [{"text": "ሰላም!", "buttons": []}]


def test_silent_rasa_with_healthy_actions_gives_generic_apology(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = []
    response = post(client, {"sender": "q", "text": "hej"})
    assert response.json()["messages"][0]["text"] == t("sv", "Sorry, something went wrong. Please try again.")


def test_concurrent_first_messages_create_one_conversation(client: TestClient) -> None:
    async def burst() -> None:
        service = client.app.state.pipeline  # type: ignore[attr-defined]
        from bot.channels.base import IncomingMessage

        await asyncio.gather(*(service.handle(IncomingMessage("web", "race", f"hej {i}")) for i in range(4)))

    client.portal.call(burst)  # type: ignore[union-attr]
    assert [a for a, _ in stored_messages(client, "race")].count("user") == 4


def test_index_page_serves_the_try_it_form(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="text"' in page.text
    assert '<script src="/static/try.js"' in page.text  # no inline script: the CSP forbids it
    script = client.get("/static/try.js").text
    assert "/api/messages" in script
    assert ".textContent" in script
    assert ".innerHTML" not in script


def test_two_clear_messages_in_another_language_switch_it(client: TestClient) -> None:
    assert post(client, {"sender": "sw", "text": "Hur skaffar jag ett personnummer?"}).json()["language"] == "sv"
    assert post(client, {"sender": "sw", "text": "How do I register at a health centre?"}).json()["language"] == "sv"
    assert post(client, {"sender": "sw", "text": "Where can I learn Swedish for free?"}).json()["language"] == "en"


def test_language_button_payload_switches_without_asking_rasa(client: TestClient, backends: FakeBackends) -> None:
    post(client, {"sender": "pick", "text": "Hur skaffar jag ett personnummer?"})
    received = len(backends.received)
    response = post(client, {"sender": "pick", "text": '/choose_language{"language":"so"}'}).json()
    assert response["language"] == "so"
    assert response["messages"] == [
        {"text": t("so", "OK, I will write in {language} from now on.", language="Soomaali"), "buttons": []}
    ]
    assert len(backends.received) == received
    post(client, {"sender": "pick", "text": "hej"})
    assert backends.received[-1]["metadata"]["language"] == "so"


def test_language_command_offers_every_language_in_its_own_name(client: TestClient, backends: FakeBackends) -> None:
    response = post(client, {"sender": "cmd", "text": "/language"}).json()
    buttons = response["messages"][0]["buttons"]
    assert [b["title"] for b in buttons] == [
        "Svenska",
        "English",
        "العربية",
        "فارسی",
        "Soomaali",
        "ትግርኛ",
        "Українська",
        "Русский",
    ]
    assert buttons[2]["payload"] == '/choose_language{"language":"ar"}'
    assert backends.received == []


def test_unsupported_language_gets_english_and_swedish_notice(client: TestClient, backends: FakeBackends) -> None:
    response = post(client, {"sender": "de", "text": "Wie bekomme ich eine Wohnung in Stockholm?"}).json()
    text = response["messages"][0]["text"]
    assert text.splitlines() == [
        t("en", "Sorry, I cannot read {language} yet. I understand these languages: {names}.", language="German",
          names="Svenska, English, العربية, فارسی, Soomaali, ትግርኛ, Українська, Русский"),
        t("sv", "Sorry, I cannot read {language} yet. I understand these languages: {names}.", language="tyska",
          names="Svenska, English, العربية, فارسی, Soomaali, ትግርኛ, Українська, Русский"),
    ]  # fmt: skip
    assert len(response["messages"][0]["buttons"]) == 8
    assert backends.received == []
    assert stored_messages(client, "de")[0] == ("user", "Wie bekomme ich eine Wohnung in Stockholm?")


def test_action_can_set_the_language_through_a_custom_message(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [
        {"recipient_id": "web:x", "custom": {"set_language": "uk"}},
        {"recipient_id": "web:x", "text": "Добре"},
    ]
    response = post(client, {"sender": "ask-uk", "text": "kan du prata ukrainska med mig?"}).json()
    assert response["language"] == "uk"
    assert response["messages"] == [{"text": "Добре", "buttons": []}]
    backends.rasa_replies = [{"recipient_id": "web:x", "text": "ok"}]
    post(client, {"sender": "ask-uk", "text": "ok"})
    assert backends.received[-1]["metadata"]["language"] == "uk"


def test_browser_languages_are_a_hint_for_a_new_conversation(client: TestClient) -> None:
    body = {"sender": "browser", "text": "BankID", "metadata": {"browser_languages": ["ti-ER", "en"]}}
    assert post(client, body).json()["language"] == "ti"


def test_browser_languages_must_be_a_list_of_strings(client: TestClient) -> None:
    response = post(client, {"sender": "b", "text": "hej", "metadata": {"browser_languages": "sv"}})
    assert response.status_code == 400
    assert "browser_languages" in response.json()["error"]


def test_emergency_gets_112_first_even_when_rasa_is_down(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_mode = "refused"
    response = post(client, {"sender": "sos", "text": "min pappa andas inte", "metadata": {"language": "sv"}}).json()
    assert response["messages"][0]["text"] == t("sv", "If someone's life or health is in danger, call 112 now.")
    assert "112" in response["messages"][0]["text"]


def test_emergency_in_any_language_is_never_refused_as_unsupported(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"recipient_id": "web:x", "text": "112"}]
    post(client, {"sender": "sos2", "text": "my friend is unconscious and not breathing"})
    assert backends.received[-1]["message"] == "my friend is unconscious and not breathing"


def test_unsupported_language_without_a_known_name() -> None:
    from bot.pipeline.replies import unsupported_language as unsupported_language_notice

    text = unsupported_language_notice("").text
    assert text.startswith("Sorry, I cannot read this language yet.")
    assert "det här språket" in text.splitlines()[1]


def conversation_of(client: TestClient, sender: str) -> Conversation:
    async def query() -> Conversation:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            found = await session.scalar(select(Conversation).where(Conversation.sender == sender))
            assert found is not None
            return found

    return client.portal.call(query)  # type: ignore[union-attr]


def test_municipality_chosen_in_an_answer_is_remembered_and_sent_next_time(
    client: TestClient, backends: FakeBackends
) -> None:
    backends.rasa_replies = [{"custom": {"set_municipality": "linkoping"}}, {"text": "Stångåstaden …"}]
    response = post(client, {"sender": "mona", "text": '/ask_housing_queue{"municipality":"linkoping"}'})
    assert response.json()["messages"] == [{"text": "Stångåstaden …", "buttons": []}]
    assert conversation_of(client, "mona").municipality == "linkoping"

    backends.rasa_replies = [{"text": "ok"}]
    post(client, {"sender": "mona", "text": "Hur får jag BankID?"})
    assert backends.received[-1]["metadata"]["municipality"] == "linkoping"


def test_unknown_municipality_in_a_directive_is_ignored(client: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"custom": {"set_municipality": "atlantis"}}, {"text": "ok"}]
    post(client, {"sender": "nils", "text": "hej", "metadata": {"municipality": "bastad"}})
    assert conversation_of(client, "nils").municipality == "bastad"


def test_municipality_command_offers_every_municipality_and_saves_the_choice(
    client: TestClient, backends: FakeBackends
) -> None:
    response = post(client, {"sender": "omar", "text": "/municipality", "metadata": {"language": "ar"}})
    buttons = response.json()["messages"][0]["buttons"]
    assert [b["payload"] for b in buttons][:2] == [
        '/choose_municipality{"municipality":"upplands-vasby"}',
        '/choose_municipality{"municipality":"stockholm"}',
    ]
    assert buttons[-1]["payload"] == '/choose_municipality{"municipality":"other"}'
    assert response.json()["messages"][0]["text"] == t("ar", "Which municipality do you live in?")

    response = post(client, {"sender": "omar", "text": buttons[2]["payload"]})
    assert conversation_of(client, "omar").municipality == "bastad"
    assert "Båstad" in response.json()["messages"][0]["text"]
    assert response.json()["language"] == "ar"
    assert backends.received == []  # handled by the gateway, without Rasa
