"""Two answers built from the bank's lists rather than from one text: the next local
events, and what official words in a message mean (issue 21).

`ask_events` lists what is coming up in the user's municipality (soonest first, past
events never), narrowed to a topic when the user names one ("events about work");
`ask_word` explains every glossary word found in the message. When neither finds
anything the topic's own answer says where to look or whom to ask, so the user is never
left with nothing, and never with a guess.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Tracker

from actions.associations import language_names
from actions.buttons import Button, human_button
from actions.context import conversation_language
from actions.emergency import note_reading
from lotsen import protocol
from lotsen.i18n import t
from lotsen.knowledge import KnowledgeBank, in_language
from lotsen.knowledge.events import Event, upcoming, when
from lotsen.knowledge.glossary import GlossaryEntry, words_of
from lotsen.municipalities import municipalities
from lotsen.topics import TOPIC_TITLES, topic_finder

EVENTS_INTENT = "ask_events"
WORD_INTENT = "ask_word"
MAX_EVENTS = 4
MAX_WORDS = 6
MAX_WORDS_ALONE = 3  # a message this short that names a glossary word is asking about it
MIN_WORDS_IN_A_LETTER = 2  # a longer one needs this many glossary words to look like a letter

Reply = tuple[str, list[Button]]


def describe_event(event: Event, language: str) -> str:
    """One chat message per event, every label in the user's language."""
    spoken = language_names(event.languages, language)
    lines = [
        in_language(event.title, language)[1],
        when(event, language),
        t(language, "Place: {place}", place=event.place),
        in_language(event.description, language)[1],
        t(language, "Languages spoken there: {names}", names=spoken),
    ]
    if event.registration:
        lines.append(t(language, "Sign up: {url}", url=str(event.registration)))
    return "\n".join(lines)


def event_replies(
    bank: KnowledgeBank, language: str, municipality: str | None, text: str, now: datetime | None = None
) -> list[Reply]:
    """The heading and the next events, or nothing (the caller then gives the topic's answer)."""
    if municipality is None:
        return []
    now = now or datetime.now(timezone.utc)
    topic = topic_finder().find(text)
    found = upcoming(bank.events, municipality, now, topic=topic) if topic else []
    narrowed = bool(found)
    if not found:
        found = upcoming(bank.events, municipality, now)
    if not found:
        return []
    place = municipalities().get(municipality, municipality)
    if narrowed and topic:
        heading = t(
            language, "Coming up in {place} about “{topic}”:", place=place, topic=t(language, TOPIC_TITLES[topic])
        )
    else:
        heading = t(language, "Coming up in {place}:", place=place)
    return [(heading, []), *((describe_event(event, language), []) for event in found[:MAX_EVENTS])]


def word_replies(bank: KnowledgeBank, language: str, text: str) -> list[Reply]:
    """Each glossary word in the text with its explanation in the user's language."""
    found: list[GlossaryEntry] = bank.glossary_finder.find(text)
    if not found:
        return []
    replies: list[Reply] = [(t(language, "What the words mean:"), [])]
    for entry in found[:MAX_WORDS]:
        replies.append((f"«{entry.word}» – {in_language(entry.explanations, language)[1]}", []))
    return replies


def explain_words(dispatcher: CollectingDispatcher, tracker: Tracker, bank: KnowledgeBank) -> bool:
    """For a message the model did not take for a topic (not understood, out of scope):
    a sentence pasted from a letter is often one, yet the glossary knows its official
    words, so they are explained instead of an apology. Never after the 112 line."""
    latest = tracker.latest_message or {}
    if latest.get("possible_emergency"):
        return False
    language = conversation_language(tracker)
    text = str(latest.get("text") or "")
    # A word alone, or a sentence with several official words, is about the words; one
    # common word ("inom", "senast") inside some other question is not.
    if len(words_of(text)) > MAX_WORDS_ALONE and len(bank.glossary_finder.find(text)) < MIN_WORDS_IN_A_LETTER:
        return False
    found = word_replies(bank, language, text)
    if not found:
        return False
    note_reading(dispatcher, tracker)
    dispatcher.utter_message(json_message=protocol.topic(WORD_INTENT))  # for the staff's brief
    utter_list(dispatcher, found, [human_button(language)])
    return True


def utter_list(dispatcher: CollectingDispatcher, replies: list[Reply], end: list[Button]) -> None:
    """A list's messages, the `end` buttons (related topics, a person) on the last one."""
    *heading, (last, _) = replies
    for text, _buttons in heading:
        dispatcher.utter_message(text=text)
    dispatcher.utter_message(text=last, buttons=end)
