"""Answer topic questions from the knowledge bank, in the conversation's language."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.buttons import topic_buttons
from actions.context import conversation_language, latest_intent
from actions.emergency import emergency_first
from actions.names import ACTION_ANSWER_TOPIC, ACTION_NOT_UNDERSTOOD
from actions.store import STORE
from lotsen.i18n import format_day, t
from lotsen.knowledge import KnowledgeStore
from lotsen.languages import languages

log = logging.getLogger(__name__)


class ActionAnswerTopic(Action):
    """Reply with the topic's answer, its sources and when it was last checked.

    A missing translation falls back to English or Swedish with a one-line note, and is
    logged so editors can see what to translate next.
    """

    def __init__(self, store: KnowledgeStore | None = None) -> None:
        self.store = store or STORE

    def name(self) -> str:
        return ACTION_ANSWER_TOPIC

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        intent = latest_intent(tracker) or ""
        bank = self.store.get()
        answer = bank.answer(intent, language)
        if answer is None:
            log.error("no knowledge topic for intent %r", intent)
            return [FollowupAction(ACTION_NOT_UNDERSTOOD)]

        emergency_first(dispatcher, tracker, language, self.store)
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

        links = "\n".join(f"{source.title}: {source.url}" for source in answer.topic.sources)
        dispatcher.utter_message(
            text=t(
                language,
                "Read more:\n{links}\nLast checked {date}.",
                links=links,
                date=format_day(language, answer.topic.last_checked),
            ),
            buttons=topic_buttons(language, exclude=intent),
        )
        return []
