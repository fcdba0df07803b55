"""Answer topic questions from the knowledge bank, in the conversation's language, for the
user's municipality.

The gateway remembers the municipality and sends it as metadata. When a topic's answer
depends on it (`local: true`) and it is unknown, the action asks with one button per
municipality; the buttons repeat the question with the municipality as an entity, so the
answer follows in one tap, and the action tells the gateway to remember the choice
(`protocol.set_municipality`).
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.associations import ASSOCIATIONS_INTENT, listing
from actions.buttons import feedback_buttons, municipality_buttons, related_buttons
from actions.context import (
    chosen_municipality,
    conversation_language,
    entity_value,
    latest_intent,
    latest_text,
    stored_municipality,
)
from actions.emergency import EMERGENCY_INTENT, emergency_first, note_reading
from actions.language import lexicon
from actions.local import EVENTS_INTENT, WORD_INTENT, event_replies, utter_list, word_replies
from actions.names import ACTION_ANSWER_TOPIC, ACTION_NOT_UNDERSTOOD
from actions.store import UsesKnowledge
from lotsen import protocol, sentences
from lotsen.i18n import format_day, t
from lotsen.knowledge import OTHER_MUNICIPALITY, Answer
from lotsen.languages import languages

log = logging.getLogger(__name__)


def remember_municipality(dispatcher: CollectingDispatcher, tracker: Tracker, language: str) -> tuple[str | None, bool]:
    """The municipality to answer for, and whether it was asked for and is still unknown.

    A municipality chosen in this message (button or named in the text) is passed to the
    gateway to remember, and confirmed to the user.
    """
    stored, chosen = stored_municipality(tracker), chosen_municipality(tracker)
    if chosen and chosen != stored:
        dispatcher.utter_message(json_message=protocol.set_municipality(chosen))
        if chosen != OTHER_MUNICIPALITY:
            dispatcher.utter_message(text=sentences.municipality_confirmation(language, chosen))
    municipality = chosen or stored
    return (None if municipality == OTHER_MUNICIPALITY else municipality), municipality is None


def ask_municipality(dispatcher: CollectingDispatcher, language: str, intent: str) -> None:
    dispatcher.utter_message(
        text=t(language, "Which municipality do you live in? The answer depends on it."),
        buttons=municipality_buttons(language, intent),
    )


def asks_feedback(tracker: Tracker, intent: str) -> bool:
    """ "Did this help?" follows a topic answer — never an emergency answer, and never an
    answer that came after the 112 line (someone who may be in danger is not surveyed)."""
    latest = tracker.latest_message or {}
    return intent != EMERGENCY_INTENT and not latest.get("possible_emergency")


class ActionAnswerTopic(UsesKnowledge, Action):
    """Reply with the topic's answer, its sources and when it was last checked, then
    related-topic buttons and "talk to a person".

    A missing translation falls back to English or Swedish with a one-line note, and is
    logged so editors can see what to translate next. Tests pass their own store.
    """

    def name(self) -> str:
        return ACTION_ANSWER_TOPIC

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        intent = latest_intent(tracker) or ""
        bank = self.store.get()
        topic = bank.by_intent(intent)
        if topic is None:
            log.error("no knowledge topic for intent %r", intent)
            return [FollowupAction(ACTION_NOT_UNDERSTOOD)]

        note_reading(dispatcher, tracker)
        emergency_first(dispatcher, tracker, language, self.store)
        dispatcher.utter_message(json_message=protocol.topic(intent))  # for the staff's handoff brief
        municipality, unknown = remember_municipality(dispatcher, tracker, language)
        if topic.local and unknown:
            ask_municipality(dispatcher, language, intent)
            return []

        if intent in (EVENTS_INTENT, WORD_INTENT):
            text = latest_text(tracker)
            found = (
                event_replies(bank, language, municipality, text)
                if intent == EVENTS_INTENT
                else word_replies(bank, language, text)
            )
            if found:  # the list is the answer; without one, the topic's text says where to look
                utter_list(dispatcher, found, related_buttons(language, topic.related))
                if asks_feedback(tracker, intent):
                    dispatcher.utter_message(
                        text=t(language, "Did this help?"), buttons=feedback_buttons(language, intent)
                    )
                return []

        interest = None
        if intent == ASSOCIATIONS_INTENT:
            interest = entity_value(tracker, protocol.KEY_INTEREST) or bank.interest_finder.find(latest_text(tracker))
        if interest not in bank.interests:
            answer = bank.answer(intent, language, municipality)
            assert answer is not None  # the topic exists
            # The directory that follows ends with the buttons, so they are not shown twice.
            self._utter_answer(dispatcher, answer, language, with_buttons=intent != ASSOCIATIONS_INTENT)
        if intent == ASSOCIATIONS_INTENT:
            chosen = interest if interest in bank.interests else None
            end = related_buttons(language, topic.related)
            speaking = lexicon().language_in(latest_text(tracker))  # "…where they speak Arabic"
            for text, buttons in listing(bank, language, municipality, chosen, end, speaking):
                dispatcher.utter_message(text=text, buttons=buttons)
        if asks_feedback(tracker, intent):
            dispatcher.utter_message(text=t(language, "Did this help?"), buttons=feedback_buttons(language, intent))
        return []

    def _utter_answer(
        self, dispatcher: CollectingDispatcher, answer: Answer, language: str, with_buttons: bool = True
    ) -> None:
        if answer.is_fallback(language):
            log.warning("topic %s has no %s answer; sent %s", answer.topic.id, language, answer.language)
            name = languages()[answer.language].locale.get_display_name(languages()[language].locale)
            dispatcher.utter_message(
                text=t(
                    language,
                    "This answer is not yet available in your language, so here it is in {language}.",
                    language=name,
                )
            )
        for message in answer.messages:
            dispatcher.utter_message(text=message)
        links = "\n".join(f"{source.title}: {source.url}" for source in answer.sources)
        checked = answer.topic.last_checked
        if checked is None:  # nobody has verified it against the sources yet: no date
            text = t(language, "Read more:\n{links}", links=links)
        else:
            text = t(
                language, "Read more:\n{links}\nLast checked {date}.", links=links, date=format_day(language, checked)
            )
        dispatcher.utter_message(
            text=text, buttons=related_buttons(language, answer.topic.related) if with_buttons else []
        )
