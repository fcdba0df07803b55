"""ActionAnswerTopic: answers from the knowledge bank in the conversation's language."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import ActionAnswerTopic
from lotsen import protocol
from lotsen.i18n import format_day, t
from lotsen.knowledge import KnowledgeStore, load_bank
from lotsen.paths import KNOWLEDGE_DIR
from tests.actions.conftest import Configure
from tests.helpers.trackers import tracker_for


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    return KnowledgeStore(tmp_path / "knowledge")


async def run(action: ActionAnswerTopic, intent: str, language: str | None) -> tuple[list[Any], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker_for(intent, language), {})
    # Without directives for the gateway, and without the closing "Did this help?" (tested below).
    return [m for m in dispatcher.messages if m.get("text") and not is_feedback(m)], events


def is_feedback(message: dict[str, Any]) -> bool:
    return any("/feedback" in b["payload"] for b in message.get("buttons") or [])


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_answer_is_the_topic_text_then_sources(store: KnowledgeStore, language: str) -> None:
    topic = store.get().by_intent("ask_bankid")
    assert topic is not None
    messages, events = await run(ActionAnswerTopic(store), "ask_bankid", language)

    assert events == []
    assert [m["text"] for m in messages[:-1]] == topic.answers[language]
    sources = messages[-1]["text"]
    for source in topic.sources:
        assert str(source.url) in sources
    assert topic.last_checked is None  # nobody has verified it yet: no date is shown
    assert sources == t(language, "Read more:\n{links}", links="\n".join(f"{s.title}: {s.url}" for s in topic.sources))


async def test_a_verified_answer_says_when_it_was_checked(store: KnowledgeStore) -> None:
    path = store.directory / "topics" / "bankid.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["last_checked"], data["checked_by"] = "2026-12-01", "Amina"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    messages, _ = await run(ActionAnswerTopic(store), "ask_bankid", "sv")
    assert format_day("sv", date(2026, 12, 1)) in messages[-1]["text"]


def without_language(store: KnowledgeStore, topic_file: str, language: str) -> None:
    path = store.directory / "topics" / topic_file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["answers"][language]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


async def test_missing_translation_falls_back_to_english_with_a_note(store: KnowledgeStore) -> None:
    without_language(store, "bankid.yml", "so")
    topic = store.get().by_intent("ask_bankid")
    assert topic is not None and "so" not in topic.answers
    messages, _ = await run(ActionAnswerTopic(store), "ask_bankid", "so")

    note = messages[0]["text"]
    assert note != t(
        "en", "This answer is not yet available in your language, so here it is in {language}.", language="x"
    )
    assert "Ingiriis" in note  # English, named in Somali by CLDR
    assert [m["text"] for m in messages[1:-1]] == topic.answers["en"]


@pytest.mark.parametrize("default", ["sv", "fa"])
async def test_no_language_in_metadata_means_the_configured_default(
    store: KnowledgeStore, configure: Configure, default: str
) -> None:
    configure(LOTSEN_DEFAULT_LANGUAGE=default)
    topic = store.get().by_intent("ask_bankid")
    assert topic is not None
    messages, _ = await run(ActionAnswerTopic(store), "ask_bankid", None)
    assert messages[0]["text"] == topic.answers[default][0]


async def test_intent_without_topic_hands_over_to_not_understood(store: KnowledgeStore) -> None:
    messages, events = await run(ActionAnswerTopic(store), "ask_unknown_topic", "sv")
    assert messages == []
    assert events == [{"event": "followup", "timestamp": None, "name": "action_not_understood"}]


async def test_edited_answer_is_served_without_restart(store: KnowledgeStore) -> None:
    action = ActionAnswerTopic(store)
    await run(action, "ask_bankid", "sv")  # the bank is loaded and cached
    path = store.directory / "topics" / "bankid.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answers"]["sv"][0] = "Redigerad av en redaktör."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    messages, _ = await run(action, "ask_bankid", "sv")
    assert messages[0]["text"] == "Redigerad av en redaktör."


async def test_invalid_edit_is_rejected_and_previous_answer_keeps_serving(store: KnowledgeStore) -> None:
    action = ActionAnswerTopic(store)
    before, _ = await run(action, "ask_bankid", "sv")
    path = store.directory / "topics" / "bankid.yml"
    path.write_text(re.sub(r"(?m)^review_by: .*$", "review_by: someday", path.read_text(encoding="utf-8")))

    after, _ = await run(action, "ask_bankid", "sv")
    assert after == before
    assert store.last_error is not None and "bankid.yml" in store.last_error and "review_by" in store.last_error


def test_shipped_bank_loads() -> None:
    bank = load_bank(KNOWLEDGE_DIR)
    assert "ask_bankid" in bank.topics


async def test_possible_emergency_gets_the_112_line_before_the_answer(store: KnowledgeStore) -> None:
    tracker = tracker_for("ask_dental", "uk")
    tracker.latest_message["possible_emergency"] = True
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic(store).run(dispatcher, tracker, {})
    bank = store.get()
    emergency, dental = bank.by_intent("ask_emergency"), bank.by_intent("ask_dental")
    assert emergency is not None and dental is not None
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    assert texts[0] == emergency.answers["uk"][0]
    assert texts[1 : 1 + len(dental.answers["uk"])] == dental.answers["uk"]


@pytest.mark.parametrize("intent", ["ask_violence", "ask_mental_health"])
async def test_an_answer_that_opens_with_112_does_not_get_it_twice(store: KnowledgeStore, intent: str) -> None:
    tracker = tracker_for(intent, "ar")
    tracker.latest_message["possible_emergency"] = True
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic(store).run(dispatcher, tracker, {})
    topic = store.get().by_intent(intent)
    assert topic is not None and "112" in topic.answers["ar"][0]
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    assert texts[0] == topic.answers["ar"][0]  # 112 first, once


async def test_answer_tells_the_gateway_its_topic_for_the_staff_brief(store: KnowledgeStore) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic(store).run(dispatcher, tracker_for("ask_dental", "sv"), {})
    customs = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    # The topic, and how the question was read (intent and confidence) for the brief.
    assert customs == [protocol.reading("ask_dental", 0.99), {"topic": "ask_dental"}]


async def test_without_a_store_of_its_own_the_action_reads_the_configured_bank(
    store: KnowledgeStore, configure: Configure
) -> None:
    """The process's store is made on first use, from LOTSEN_KNOWLEDGE_DIR."""
    path = store.directory / "topics" / "bankid.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["answers"]["sv"][0] = "Ur den konfigurerade kunskapsbanken."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    configure(LOTSEN_KNOWLEDGE_DIR=str(store.directory))
    messages, _ = await run(ActionAnswerTopic(), "ask_bankid", "sv")
    assert messages[0]["text"] == "Ur den konfigurerade kunskapsbanken."


async def test_a_topic_answer_ends_with_did_this_help(store: KnowledgeStore) -> None:
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic(store).run(dispatcher, tracker_for("ask_tax", "so"), {})
    last = [m for m in dispatcher.messages if m.get("text")][-1]
    assert last["text"] == t("so", "Did this help?")
    assert [b["payload"] for b in last["buttons"]] == [
        protocol.feedback("ask_tax", "up"),
        protocol.feedback("ask_tax", "down"),
    ]


@pytest.mark.parametrize("intent", ["ask_emergency", "ask_healthcare"])
async def test_no_survey_after_an_emergency(store: KnowledgeStore, intent: str) -> None:
    tracker = tracker_for(intent, "en")
    tracker.latest_message["possible_emergency"] = True
    dispatcher = CollectingDispatcher()
    await ActionAnswerTopic(store).run(dispatcher, tracker, {})
    assert not any("/feedback" in b["payload"] for m in dispatcher.messages for b in m.get("buttons") or [])
