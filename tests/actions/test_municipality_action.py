"""action_set_municipality: "I live in Linköping" is remembered and confirmed; a place
Lotsen does not serve is acknowledged, with national answers and the served ones to pick."""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.municipality import ActionSetMunicipality
from lotsen import protocol, sentences
from tests.helpers.trackers import tracker_for


@pytest.mark.parametrize(
    ("text", "language", "municipality"),
    [
        ("jag bor i Linköping", "sv", "linkoping"),
        ("I live in Skelleftea now", "en", "skelleftea"),
        ("أنا ساكن في لينشوبينغ", "ar", "linkoping"),
        ("мы переехали в Линчёпинг", "ru", "linkoping"),
    ],
)
async def test_a_served_municipality_named_in_a_sentence_is_remembered(
    text: str, language: str, municipality: str
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionSetMunicipality().run(dispatcher, tracker_for("inform_municipality", language, text), {})
    assert [m["custom"] for m in dispatcher.messages if m.get("custom")] == [protocol.set_municipality(municipality)]
    assert dispatcher.messages[-1]["text"] == sentences.municipality_confirmation(language, municipality)


async def test_a_place_lotsen_does_not_serve_gets_national_answers_and_a_choice() -> None:
    dispatcher = CollectingDispatcher()
    await ActionSetMunicipality().run(dispatcher, tracker_for("inform_municipality", "en", "I live in Malmö"), {})
    assert [m["custom"] for m in dispatcher.messages if m.get("custom")] == [protocol.set_municipality("other")]
    payloads = [b["payload"] for b in dispatcher.messages[-1]["buttons"]]
    assert payloads == [
        protocol.municipality_choice(m) for m in ("upplands-vasby", "stockholm", "bastad", "skelleftea", "linkoping")
    ]
