"""Conversation actions reply in the conversation's language, with the right buttons."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action

from actions.conversation import (
    ActionAffirm,
    ActionBotChallenge,
    ActionDeny,
    ActionGoodbye,
    ActionGreet,
    ActionHelp,
    ActionNotUnderstood,
    ActionOutOfScope,
    ActionRequestHuman,
    ActionThank,
)
from actions.store import store
from lotsen import protocol
from lotsen.languages import supported_codes
from lotsen.topics import TOPIC_TITLES
from tests.actions.conftest import Configure
from tests.helpers.trackers import tracker_for

HUMAN_PAYLOAD = "/request_human"  # spelled out: the trained model and the gateway expect exactly this
ALL_TOPICS = [f"/{intent}" for intent in TOPIC_TITLES]

EXPECTED_PAYLOADS: dict[type[Action], list[str]] = {
    ActionGreet: ALL_TOPICS,
    ActionGoodbye: [],
    ActionThank: ALL_TOPICS,
    ActionAffirm: ALL_TOPICS,
    ActionDeny: [*ALL_TOPICS, HUMAN_PAYLOAD],
    ActionBotChallenge: [HUMAN_PAYLOAD],
    ActionHelp: [*ALL_TOPICS, HUMAN_PAYLOAD],
    ActionOutOfScope: ALL_TOPICS,
    ActionNotUnderstood: [HUMAN_PAYLOAD],  # no ranking in the tracker: no suggestions
}


def visible(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the user sees: messages with text (not the directives for the gateway)."""
    return [m for m in messages if m.get("text")]


@pytest.mark.parametrize(
    ("action_class", "reason"), [(ActionNotUnderstood, "not_understood"), (ActionOutOfScope, "out_of_scope")]
)
async def test_unanswered_replies_tell_the_gateway_for_the_editors_feed(
    action_class: type[Action], reason: str
) -> None:
    dispatcher = CollectingDispatcher()
    await action_class().run(dispatcher, tracker_for("nlu_fallback", "en"), {})
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert customs == [{"unanswered": reason}, protocol.reading("nlu_fallback", 0.99)]


async def test_answered_small_talk_is_not_reported_as_unanswered() -> None:
    dispatcher = CollectingDispatcher()
    await ActionGreet().run(dispatcher, tracker_for("greet", "en"), {})
    assert not any("unanswered" in m.get("custom", {}) for m in dispatcher.messages)


@pytest.mark.parametrize("action_class", list(EXPECTED_PAYLOADS))
async def test_reply_is_translated_for_every_language(action_class: type[Action]) -> None:
    texts = {}
    for language in supported_codes():
        dispatcher = CollectingDispatcher()
        assert await action_class().run(dispatcher, tracker_for("greet", language), {}) == []
        shown = visible(dispatcher.messages)
        assert len(shown) == 1
        texts[language] = shown[0]["text"]
        assert [b["payload"] for b in shown[0]["buttons"]] == EXPECTED_PAYLOADS[action_class]
    # Each language has its own text: no catalog silently fell back to English.
    assert len(set(texts.values())) == len(texts)


async def test_not_understood_suggests_the_likeliest_topics() -> None:
    tracker = tracker_for("nlu_fallback", "en")
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "ask_housing_queue", "confidence": 0.3},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_housing_allowance", "confidence": 0.15},
        {"name": "ask_work", "confidence": 0.01},
    ]
    dispatcher = CollectingDispatcher()
    await ActionNotUnderstood().run(dispatcher, tracker, {})
    assert visible(dispatcher.messages)[0]["buttons"] == [
        {"title": "Housing queue", "payload": "/ask_housing_queue"},
        {"title": "Housing allowance", "payload": "/ask_housing_allowance"},
        {"title": "Talk to a person", "payload": HUMAN_PAYLOAD},
    ]


@pytest.mark.parametrize("default", ["sv", "en", "ar"])
@pytest.mark.parametrize("sent", ["tlh", None, ["sv"]])
async def test_unsupported_language_in_metadata_falls_back_to_the_configured_default(
    configure: Configure, default: str, sent: Any
) -> None:
    configure(LOTSEN_DEFAULT_LANGUAGE=default)
    expected, fallback = CollectingDispatcher(), CollectingDispatcher()
    await ActionGreet().run(expected, tracker_for("greet", default), {})
    tracker = tracker_for("greet", None)
    if sent is not None:  # None: no language in the metadata at all
        tracker.latest_message["metadata"]["language"] = sent
    await ActionGreet().run(fallback, tracker, {})
    assert fallback.messages == expected.messages


async def test_possible_emergency_puts_the_112_line_before_small_talk() -> None:
    tracker = tracker_for("out_of_scope", "ti")
    tracker.latest_message["possible_emergency"] = True
    dispatcher = CollectingDispatcher()
    await ActionOutOfScope().run(dispatcher, tracker, {})
    emergency = store().get().by_intent("ask_emergency")
    assert emergency is not None
    shown = visible(dispatcher.messages)
    assert shown[0]["text"] == emergency.answers["ti"][0]
    assert len(shown) == 2


async def test_request_human_asks_the_gateway_for_a_handoff() -> None:
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, tracker_for("request_human", "fa"), {})
    assert dispatcher.messages == [
        {
            "text": None,
            "buttons": [],
            "elements": [],
            "custom": {"handoff": "request"},
            "template": None,
            "response": None,
            "image": None,
            "attachment": None,
        }
    ]  # the gateway says what happens next: queue, opening hours, or handoff switched off
