"""The whole path, for real: gateway → Rasa → action server → knowledge bank."""

from __future__ import annotations

import httpx
import pytest

from lotsen.i18n import t
from lotsen.knowledge import load_bank
from lotsen.paths import KNOWLEDGE_DIR
from lotsen.stack import Stack
from lotsen.topics import TOPIC_TITLES
from tests.helpers.stack import health, say, wait_for

pytestmark = pytest.mark.integration


def answer(intent: str, language: str) -> list[str]:
    topic = load_bank(KNOWLEDGE_DIR).by_intent(intent)
    assert topic is not None
    return topic.answers[language]


def bankid_answer(language: str) -> list[str]:
    return answer("ask_bankid", language)


def test_before_rasa_is_up_health_and_replies_say_starting(stack: Stack) -> None:
    early = stack.started_without_rasa  # type: ignore[attr-defined]
    assert early.status_code == 503
    assert early.json()["components"]["rasa"] == "starting"
    assert early.json()["components"]["action_server"] == "ok"
    reply = stack.reply_without_rasa  # type: ignore[attr-defined]
    assert reply["language"] == "sv"
    assert reply["messages"] == [
        {"text": t("sv", "I am just starting up. Please try again in a moment."), "buttons": []}
    ]


def test_health_is_ok_with_all_three_up(stack: Stack) -> None:
    response = health(stack)
    assert response is not None and response.status_code == 200
    assert set(response.json()["components"].values()) == {"ok"}


def test_swedish_bankid_question_gets_the_swedish_answer(stack: Stack) -> None:
    reply = say(stack, "it-sv", "Hur skaffar jag BankID?")
    assert reply["language"] == "sv"
    assert reply["mode"] == "bot"
    texts = [m["text"] for m in reply["messages"]]
    assert texts[: len(bankid_answer("sv"))] == bankid_answer("sv")


def test_english_bankid_question_gets_the_english_answer(stack: Stack) -> None:
    reply = say(stack, "it-en", "How can I get BankID?")
    assert reply["language"] == "en"
    assert [m["text"] for m in reply["messages"]][: len(bankid_answer("en"))] == bankid_answer("en")


def test_greeting_and_off_topic_in_swedish(stack: Stack) -> None:
    greeting = say(stack, "it-greet", "hejsan", language="sv")
    buttons = greeting["messages"][0]["buttons"]
    assert buttons[0] == {"title": "BankID", "payload": "/ask_bankid"}
    assert len(buttons) == len(TOPIC_TITLES)  # one per topic
    off_topic = say(stack, "it-greet", "vem vann matchen igår?")
    assert off_topic["messages"][0]["text"] == t(
        "sv",
        "Sorry, I can only help with questions about getting started in Sweden, "
        "such as BankID, the personal identity number, healthcare and housing.",
    )


def test_button_payload_triggers_the_intent(stack: Stack) -> None:
    reply = say(stack, "it-button", "/ask_bankid", language="en")
    assert reply["messages"][0]["text"] == bankid_answer("en")[0]


def test_action_server_down_then_back(stack: Stack) -> None:
    stack.stop_one("actions")
    down = health(stack)
    assert down is not None and down.status_code == 503
    assert down.json()["components"]["action_server"] == "down"

    reply = say(stack, "it-fault", "How do I get BankID?", language="en")
    assert reply["messages"] == [
        {
            "text": t("en", "Sorry, I cannot reach my information right now. Please try again in a few minutes."),
            "buttons": [],
        }
    ]

    stack.restart("actions")
    wait_for(lambda: (r := health(stack)) is not None and r.status_code == 200, timeout=60)
    again = say(stack, "it-fault", "How do I get BankID?")
    assert [m["text"] for m in again["messages"]][: len(bankid_answer("en"))] == bankid_answer("en")


def test_bad_input_is_rejected_by_the_running_gateway(stack: Stack) -> None:
    response = httpx.post(f"{stack.config.gateway_url}/api/messages", content=b"{oops", timeout=5)
    assert response.status_code == 400
    assert response.json() == {"error": "body must be valid JSON"}


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("so", "aabbahay ma neefsanayo, maxaan sameeyaa"),
        ("ar", "صديقي فاقد الوعي ولا يتنفس"),
        ("sv", "det brinner i min lägenhet"),
    ],
)
def test_emergency_starts_with_112(stack: Stack, language: str, text: str) -> None:
    reply = say(stack, f"it-sos-{language}", text)
    assert reply["language"] == language
    first = reply["messages"][0]["text"]
    assert first == answer("ask_emergency", language)[0]
    assert "112" in first


def test_unsupported_language_is_told_in_english_and_swedish(stack: Stack) -> None:
    reply = say(stack, "it-de", "Wie bekomme ich eine Wohnung in Stockholm?")
    lines = reply["messages"][0]["text"].splitlines()
    assert lines[0].startswith("Sorry, I cannot read German yet.")
    assert len(reply["messages"][0]["buttons"]) == 8


def test_asking_for_a_language_in_words_switches_it(stack: Stack) -> None:
    say(stack, "it-lang", "Hur skaffar jag ett personnummer?")
    reply = say(stack, "it-lang", "kan du skriva på engelska?")
    assert reply["language"] == "en"
    assert reply["messages"][-1]["text"] == t("en", "OK, I will write in {language} from now on.", language="English")
    assert say(stack, "it-lang", "hej")["language"] == "en"
