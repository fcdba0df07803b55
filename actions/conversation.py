"""Small talk and the replies for questions Lotsen cannot or did not understand."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import topic_buttons
from actions.context import conversation_language
from actions.names import ACTION_GREET, ACTION_NOT_UNDERSTOOD, ACTION_OUT_OF_SCOPE
from lotsen.i18n import t


class ActionGreet(Action):
    """Say hello and show what Lotsen can help with."""

    def name(self) -> str:
        return ACTION_GREET

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        dispatcher.utter_message(
            text=t(
                language,
                "Hello! I am Lotsen. I answer questions about getting started in Sweden, "
                "for example how to get BankID. What would you like to know?",
            ),
            buttons=topic_buttons(language),
        )
        return []


class ActionOutOfScope(Action):
    """Decline an off-topic question politely and point back to the topics."""

    def name(self) -> str:
        return ACTION_OUT_OF_SCOPE

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        dispatcher.utter_message(
            text=t(
                language,
                "Sorry, I can only help with questions about getting started in Sweden, "
                "such as BankID, the personal identity number, healthcare and housing.",
            ),
            buttons=topic_buttons(language),
        )
        return []


class ActionNotUnderstood(Action):
    """The NLU was not confident: never guess, ask to rephrase and offer topics."""

    def name(self) -> str:
        return ACTION_NOT_UNDERSTOOD

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        dispatcher.utter_message(
            text=t(
                language,
                "Sorry, I did not understand. Could you say it in another way, "
                "or choose a topic below?",
            ),
            buttons=topic_buttons(language),
        )
        return []
