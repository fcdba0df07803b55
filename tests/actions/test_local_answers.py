"""Answers for the user's municipality: asking for it, remembering it, local overrides,
association search, office hours, and the buttons that end every answer."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import municipality_buttons
from actions.knowledge import ActionAnswerTopic
from actions.offices import ActionOfficeHours
from lotsen.i18n import t
from lotsen.knowledge import KnowledgeStore
from lotsen.municipalities import municipality_ids
from lotsen.office_text import describe_office
from lotsen.paths import KNOWLEDGE_DIR
from lotsen.topics import TOPIC_TITLES
from tests.helpers.trackers import tracker_for

TELEGRAM_CALLBACK_LIMIT = 64
HUMAN_PAYLOAD = "/request_human"  # spelled out: the trained model and the gateway expect exactly this


@pytest.fixture
def store(tmp_path: Path) -> KnowledgeStore:
    shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge")
    return KnowledgeStore(tmp_path / "knowledge")


async def answer(store: KnowledgeStore, intent: str, language: str = "en", **tracker: Any) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    action = ActionOfficeHours(store) if intent == "ask_office_hours" else ActionAnswerTopic(store)
    assert await action.run(dispatcher, tracker_for(intent, language, **tracker), {}) == []
    return dispatcher


def answer_messages(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """What the user reads, without the closing "Did this help?" (tests/actions/test_knowledge_action.py)."""
    return [
        m
        for m in dispatcher.messages
        if m.get("text") and not any("/feedback" in b["payload"] for b in m.get("buttons") or [])
    ]


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["text"] for m in answer_messages(dispatcher)]


def directives(dispatcher: CollectingDispatcher) -> list[dict[str, Any]]:
    """What the action asked the gateway to remember (not the topic and reading notes for staff)."""
    notes = {"topic", "reading"}
    return [m["custom"] for m in dispatcher.messages if m.get("custom") and not notes & set(m["custom"])]


def last_buttons(dispatcher: CollectingDispatcher) -> list[str]:
    return [b["payload"] for b in answer_messages(dispatcher)[-1]["buttons"]]


async def test_local_topic_asks_for_the_municipality_with_buttons(store: KnowledgeStore) -> None:
    dispatcher = await answer(store, "ask_housing_queue", "ar")
    assert len(texts(dispatcher)) == 1  # only the question: no guess at the answer
    payloads = last_buttons(dispatcher)
    assert payloads == [f'/ask_housing_queue{{"municipality":"{m}"}}' for m in [*municipality_ids(), "other"]]
    assert directives(dispatcher) == []


def test_every_municipality_button_fits_a_telegram_callback() -> None:
    for intent in [*TOPIC_TITLES, "ask_office_hours"]:
        for button in municipality_buttons("en", intent):
            assert len(button["payload"].encode("utf-8")) <= TELEGRAM_CALLBACK_LIMIT, button


@pytest.mark.parametrize("municipality", ["stockholm", "upplands-vasby", "skelleftea", "linkoping", "bastad"])
async def test_chosen_municipality_gets_its_local_answer_first_and_is_remembered(
    store: KnowledgeStore, municipality: str
) -> None:
    topic = store.get().by_intent("ask_housing_queue")
    assert topic is not None and municipality in topic.overrides
    dispatcher = await answer(store, "ask_housing_queue", "so", entities={"municipality": municipality})

    assert directives(dispatcher) == [{"set_municipality": municipality}]
    shown = texts(dispatcher)
    local = topic.overrides[municipality].answers["so"]
    assert shown[1 : 1 + len(local)] == local  # after the "I will answer for …" line
    assert shown[1 + len(local)] == topic.answers["so"][0]  # then the national answer
    assert str(topic.overrides[municipality].sources[0].url) in shown[-1]


async def test_remembered_municipality_is_used_without_asking_or_confirming(store: KnowledgeStore) -> None:
    topic = store.get().by_intent("ask_housing_queue")
    assert topic is not None
    dispatcher = await answer(store, "ask_housing_queue", "uk", municipality="linkoping")
    assert directives(dispatcher) == []
    assert texts(dispatcher)[0] == topic.overrides["linkoping"].answers["uk"][0]


async def test_municipality_named_in_the_question_is_used(store: KnowledgeStore) -> None:
    dispatcher = await answer(store, "ask_housing_queue", "ru", text="как встать в очередь на жильё в Линчёпинг")
    assert directives(dispatcher) == [{"set_municipality": "linkoping"}]


async def test_another_municipality_gets_the_national_answer_and_is_not_asked_again(store: KnowledgeStore) -> None:
    topic = store.get().by_intent("ask_housing_queue")
    assert topic is not None
    dispatcher = await answer(store, "ask_housing_queue", "en", entities={"municipality": "other"})
    assert directives(dispatcher) == [{"set_municipality": "other"}]
    assert texts(dispatcher)[: len(topic.answers["en"])] == topic.answers["en"]
    again = await answer(store, "ask_housing_queue", "en", municipality="other")
    assert texts(again)[0] == topic.answers["en"][0]


async def test_national_topic_does_not_ask(store: KnowledgeStore) -> None:
    topic = store.get().by_intent("ask_bankid")
    assert topic is not None
    dispatcher = await answer(store, "ask_bankid", "fa")
    assert texts(dispatcher)[0] == topic.answers["fa"][0]


@pytest.mark.parametrize("intent", list(TOPIC_TITLES))
async def test_every_answer_ends_with_related_topics_and_a_person(store: KnowledgeStore, intent: str) -> None:
    topic = store.get().by_intent(intent)
    assert topic is not None
    dispatcher = await answer(store, intent, "ti", municipality="stockholm")
    expected = [f"/{related}" for related in topic.related]
    buttons = last_buttons(dispatcher)
    assert buttons[-len(expected) - 1 :] == [*expected, HUMAN_PAYLOAD]
    if intent != "ask_associations":  # the directory offers other interests before them
        assert buttons == [*expected, HUMAN_PAYLOAD]
    shown = answer_messages(dispatcher)
    assert all(not m["buttons"] for m in shown[:-1])  # buttons only once, at the end
    # then "Did this help?" — except after the emergency answer
    closing = [m for m in dispatcher.messages if m.get("text")][-1]
    assert (closing not in shown) is (intent != "ask_emergency")


async def test_missing_local_translation_falls_back_with_a_note(store: KnowledgeStore) -> None:
    path = store.directory / "topics" / "housing_queue.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["overrides"]["linkoping"]["answers"]["ti"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    topic = store.get().by_intent("ask_housing_queue")
    assert topic is not None
    dispatcher = await answer(store, "ask_housing_queue", "ti", municipality="linkoping")
    shown = texts(dispatcher)
    assert shown[1] == topic.overrides["linkoping"].answers["en"][0]  # after the one-line note
    assert shown[0] not in topic.answers["ti"]


async def test_association_search_by_interest_button(store: KnowledgeStore) -> None:
    bank = store.get()
    dispatcher = await answer(
        store, "ask_associations", "ar", municipality="stockholm", entities={"interest": "language_cafe"}
    )
    shown = texts(dispatcher)
    listed = [a for a in bank.associations if a.name in "\n".join(shown)]
    assert listed, shown
    assert all("language_cafe" in a.interests for a in listed)
    assert all(a.national or "stockholm" in a.municipalities for a in listed)
    # local groups come before national ones
    order = [shown.index(next(s for s in shown if s.startswith(a.name))) for a in listed]
    local = [i for a, i in zip(listed, order, strict=True) if "stockholm" in a.municipalities]
    national = [i for a, i in zip(listed, order, strict=True) if "stockholm" not in a.municipalities]
    assert not local or not national or max(local) < min(national)
    # the general topic answer is not repeated when an interest was chosen
    topic = bank.by_intent("ask_associations")
    assert topic is not None and topic.answers["ar"][0] not in shown


async def test_association_interest_from_typed_words(store: KnowledgeStore) -> None:
    bank = store.get()
    words = bank.interests["language_cafe"].keywords["sv"][0]
    dispatcher = await answer(store, "ask_associations", "sv", municipality="linkoping", text=f"finns det {words}?")
    interest_name = bank.interests["language_cafe"].names["sv"]
    assert any(interest_name in text for text in texts(dispatcher))


async def test_association_listing_prefers_groups_speaking_the_users_language(store: KnowledgeStore) -> None:
    bank = store.get()
    found = bank.find_associations("stockholm", None, "sv")
    speaking = [("sv" in a.languages) for a in found if "stockholm" in a.municipalities]
    assert speaking == sorted(speaking, reverse=True)


async def test_office_hours_in_the_users_language(store: KnowledgeStore) -> None:
    dispatcher = await answer(store, "ask_office_hours", "sv", municipality="upplands-vasby")
    shown = "\n".join(texts(dispatcher))
    assert "Väsby Direkt" in shown
    assert "mån–ons 08:00–17:00" in shown
    assert "08-590 970 00" in shown
    assert last_buttons(dispatcher) == [HUMAN_PAYLOAD]


async def test_office_hours_ask_for_the_municipality_first(store: KnowledgeStore) -> None:
    dispatcher = await answer(store, "ask_office_hours", "en")
    payloads = last_buttons(dispatcher)
    assert payloads[0] == '/ask_office_hours{"municipality":"upplands-vasby"}'


async def test_interest_buttons_lead_only_to_interests_with_groups(store: KnowledgeStore) -> None:
    bank = store.get()
    dispatcher = await answer(store, "ask_associations", "en", municipality="bastad")
    offered = [p for p in last_buttons(dispatcher) if '"interest"' in p]
    assert offered
    assert offered == [
        f'/ask_associations{{"interest":"{interest}"}}'
        for interest in bank.interests
        if bank.find_associations("bastad", interest)
    ]
    for payload in offered:
        interest = payload.split('"interest":"')[1].rstrip('"}')
        assert bank.find_associations("bastad", interest)


async def test_association_search_by_language_spoken(store: KnowledgeStore) -> None:
    bank = store.get()
    english = await answer(store, "ask_associations", "en", municipality="stockholm", text="groups that speak English")
    listed = [a for a in bank.associations if any(t.startswith(a.name + "\n") for t in texts(english))]
    assert listed and all("en" in a.languages for a in listed)
    # Nobody in the directory is listed as speaking Tigrinya yet: say so, do not pretend.
    tigrinya = await answer(
        store, "ask_associations", "en", municipality="stockholm", text="groups that speak Tigrinya"
    )
    assert not [a for a in bank.associations if any(t.startswith(a.name + "\n") for t in texts(tigrinya))]
    assert any("I do not know a group for that yet" in t for t in texts(tigrinya))


def test_office_says_whether_chat_is_open_counting_holidays(store: KnowledgeStore) -> None:
    office = store.get().handoff_office("linkoping")
    assert office is not None
    stockholm = ZoneInfo("Europe/Stockholm")
    open_now = describe_office(office, "en", datetime(2026, 11, 23, 9, 0, tzinfo=stockholm))
    assert t("en", "Chat is open now.") in open_now
    julafton = describe_office(office, "sv", datetime(2026, 12, 24, 10, 0, tzinfo=stockholm))
    assert "Chatten öppnar nästa gång: måndag 28 december 2026 08:00" in julafton.replace("\u202f", " ")
