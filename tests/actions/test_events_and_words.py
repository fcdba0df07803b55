"""`ask_events` lists the next events in the user's municipality (soonest first, past ones
never, narrowed to a named topic); `ask_word` and a not-understood letter sentence get
the glossary's explanations in the user's language; an association's entry names its
next event. A test writes its own events and words into a copy of the bank."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import ActionNotUnderstood
from actions.knowledge import ActionAnswerTopic
from lotsen.knowledge import KnowledgeStore
from lotsen.knowledge.events import STOCKHOLM
from lotsen.paths import KNOWLEDGE_DIR
from tests.helpers.trackers import tracker_for

LANGS = ("sv", "en", "ar", "fa", "so", "ti", "uk", "ru")


def local(days: float, hour: int = 18) -> str:
    moment = (datetime.now(STOCKHOLM) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return moment.strftime("%Y-%m-%d %H:%M")


def write_event(bank: Path, event_id: str, starts: str, **fields: Any) -> None:
    folder = bank / "events"
    folder.mkdir(exist_ok=True)
    body = {
        "id": event_id,
        "title": {code: f"{event_id} ({code})" for code in LANGS},
        "description": {"sv": "Välkommen!", "en": "Welcome!"},
        "starts": starts,
        "place": "Stadsbiblioteket",
        "municipality": "linkoping",
        "languages": ["sv", "ar"],
        **fields,
    }
    (folder / f"{event_id}.yml").write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def bank_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge"))


async def run(store: KnowledgeStore, intent: str, language: str, **tracker: Any) -> list[dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    action = ActionNotUnderstood(store) if intent == "nlu_fallback" else ActionAnswerTopic(store)
    await action.run(dispatcher, tracker_for(intent, language, **tracker), {})
    return dispatcher.messages


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


async def test_next_events_soonest_first_without_past_ones(bank_dir: Path) -> None:
    write_event(bank_dir, "later", local(9), topics=["ask_work"])
    write_event(bank_dir, "sooner", local(2), registration="https://example.org/anmalan")
    write_event(bank_dir, "over", local(-3))
    write_event(bank_dir, "elsewhere", local(1), municipality="bastad")
    shown = texts(await run(KnowledgeStore(bank_dir), "ask_events", "ar", municipality="linkoping"))
    listed = [line.split("\n")[0] for line in shown if line.split("\n")[0].endswith("(ar)")]
    assert listed == ["sooner (ar)", "later (ar)"]
    sooner = next(line for line in shown if line.startswith("sooner"))
    assert "https://example.org/anmalan" in sooner and "العربية" in sooner  # spoken languages, named in Arabic


async def test_events_about_a_named_topic_come_alone(bank_dir: Path) -> None:
    write_event(bank_dir, "job-fair", local(5), topics=["ask_work"])
    write_event(bank_dir, "parents", local(3), topics=["ask_school"])
    shown = texts(
        await run(KnowledgeStore(bank_dir), "ask_events", "en", municipality="linkoping", text="any events about work?")
    )
    assert any(line.startswith("job-fair") for line in shown)
    assert not any(line.startswith("parents") for line in shown)


async def test_without_events_the_answer_says_where_to_look(bank_dir: Path) -> None:
    store = KnowledgeStore(bank_dir)
    topic = store.get().by_intent("ask_events")
    assert topic is not None
    shown = texts(await run(store, "ask_events", "so", municipality="skelleftea"))
    assert topic.answers["so"][0] in shown


async def test_events_ask_for_the_municipality_first(bank_dir: Path) -> None:
    messages = await run(KnowledgeStore(bank_dir), "ask_events", "en")
    assert any("/ask_events" in b["payload"] for m in messages for b in m.get("buttons") or [])


async def test_an_edited_event_is_served_on_the_next_question(bank_dir: Path) -> None:
    store = KnowledgeStore(bank_dir)
    write_event(bank_dir, "evening", local(4))
    assert any(
        line.startswith("evening (en)")
        for line in texts(await run(store, "ask_events", "en", municipality="linkoping"))
    )
    write_event(bank_dir, "evening", local(4), title={code: f"changed ({code})" for code in LANGS})
    assert any(
        line.startswith("changed (en)")
        for line in texts(await run(store, "ask_events", "en", municipality="linkoping"))
    )


async def test_an_association_names_its_next_event(bank_dir: Path) -> None:
    write_event(bank_dir, "cafe-night", local(6), association="bibliotekens-sprakcafe")
    shown = "\n".join(texts(await run(KnowledgeStore(bank_dir), "ask_associations", "en", municipality="linkoping")))
    assert "Next: cafe-night (en)" in shown


def write_words(bank: Path) -> None:
    """The test's own two words instead of the real glossary (whose texts editors change)."""
    folder = bank / "glossary"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    entries = [
        {"id": "kallelse", "word": "kallelse", "forms": ["kallelse", "kallelsen"],
         "explanations": {code: f"kallelse: {code}" for code in LANGS}},
        {"id": "overklaga", "word": "överklaga", "forms": ["överklaga", "överklagar"],
         "explanations": {code: f"överklaga: {code}" for code in LANGS}},
    ]  # fmt: skip
    (folder / "test.yml").write_text(
        yaml.safe_dump({"review_by": "2027-06-01", "entries": entries}, allow_unicode=True), encoding="utf-8"
    )


async def test_every_word_in_a_pasted_sentence_is_explained_in_the_users_language(bank_dir: Path) -> None:
    write_words(bank_dir)
    text = "Vad betyder det här: Du har fått en kallelse. Du kan överklaga."
    shown = texts(await run(KnowledgeStore(bank_dir), "ask_word", "uk", text=text))
    assert "«kallelse» – kallelse: uk" in shown and "«överklaga» – överklaga: uk" in shown


async def test_no_known_word_gets_the_topics_answer(bank_dir: Path) -> None:
    write_words(bank_dir)
    store = KnowledgeStore(bank_dir)
    topic = store.get().by_intent("ask_word")
    assert topic is not None
    assert topic.answers["fa"][0] in texts(await run(store, "ask_word", "fa", text="این کلمه چیه: blablabla"))


async def test_a_not_understood_letter_sentence_is_explained_not_apologised_for(bank_dir: Path) -> None:
    write_words(bank_dir)
    messages = await run(KnowledgeStore(bank_dir), "nlu_fallback", "ti", text="kallelsen kom idag")
    assert "«kallelse» – kallelse: ti" in texts(messages)
    assert not any((m.get("custom") or {}).get("unanswered") for m in messages)  # not counted as not understood
    plain = await run(KnowledgeStore(bank_dir), "nlu_fallback", "ti", text="asdf qwer")
    assert any((m.get("custom") or {}).get("unanswered") for m in plain)
    # One official word inside some other long message is not a question about the word.
    other = await run(KnowledgeStore(bank_dir), "nlu_fallback", "en", text="who will win the kallelse cup this year")
    assert any((m.get("custom") or {}).get("unanswered") for m in other)
    letter = "Du har fått en kallelse och kan överklaga beslutet"  # several words: a letter
    assert "«kallelse» – kallelse: en" in texts(await run(KnowledgeStore(bank_dir), "nlu_fallback", "en", text=letter))


@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("sv", "vad betyder kallelse?"),
        ("en", "what does kallelse mean"),
        ("ar", "ما معنى kallelse؟"),
        ("fa", "kallelse یعنی چه؟"),
        ("so", "kallelse waa maxay?"),
        ("ti", "kallelse እንታይ ማለት እዩ?"),
        ("uk", "що означає kallelse?"),
        ("ru", "что значит kallelse?"),
    ],
)
async def test_the_real_glossary_answers_in_every_language(bank_dir: Path, language: str, question: str) -> None:
    store = KnowledgeStore(bank_dir)
    entry = store.get().glossary["kallelse"]
    shown = texts(await run(store, "ask_word", language, text=question))
    assert f"«kallelse» – {entry.explanations[language]}" in shown
