"""Conversation actions reply in the conversation's language, with the right buttons."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action

from actions.buttons import HUMAN_PAYLOAD, TOPIC_TITLES
from actions.conversation import (
    ActionAffirm,
    ActionBotChallenge,
    ActionDeny,
    ActionGoodbye,
    ActionGreet,
    ActionHelp,
    ActionNotUnderstood,
    ActionOfficeHours,
    ActionOutOfScope,
    ActionRequestHuman,
    ActionThank,
)
from lotsen.languages import supported_codes
from tests.helpers.trackers import tracker_for

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
    ActionRequestHuman: [],
    ActionOfficeHours: ALL_TOPICS,
}


@pytest.mark.parametrize("action_class", list(EXPECTED_PAYLOADS))
async def test_reply_is_translated_for_every_language(action_class: type[Action]) -> None:
    texts = {}
    for language in supported_codes():
        dispatcher = CollectingDispatcher()
        assert await action_class().run(dispatcher, tracker_for("greet", language), {}) == []
        assert len(dispatcher.messages) == 1
        texts[language] = dispatcher.messages[0]["text"]
        assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == EXPECTED_PAYLOADS[action_class]
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
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Housing queue", "payload": "/ask_housing_queue"},
        {"title": "Housing allowance", "payload": "/ask_housing_allowance"},
        {"title": "Talk to a person", "payload": HUMAN_PAYLOAD},
    ]


async def test_unsupported_language_in_metadata_falls_back_to_swedish() -> None:
    swedish, klingon = CollectingDispatcher(), CollectingDispatcher()
    await ActionGreet().run(swedish, tracker_for("greet", "sv"), {})
    await ActionGreet().run(klingon, tracker_for("greet", "tlh"), {})
    assert klingon.messages == swedish.messages


async def test_possible_emergency_puts_the_112_line_before_small_talk() -> None:
    from actions.store import STORE

    tracker = tracker_for("out_of_scope", "ti")
    tracker.latest_message["possible_emergency"] = True
    dispatcher = CollectingDispatcher()
    await ActionOutOfScope().run(dispatcher, tracker, {})
    emergency = STORE.get().by_intent("ask_emergency")
    assert emergency is not None
    assert dispatcher.messages[0]["text"] == emergency.answers["ti"][0]
    assert len(dispatcher.messages) == 2
