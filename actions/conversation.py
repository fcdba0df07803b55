"""Small talk and the replies for questions Lotsen cannot or did not understand.

Each is one translated sentence followed by the topic buttons, so they share one base.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.buttons import topic_buttons
from actions.context import conversation_language
from actions.names import ACTION_GREET, ACTION_NOT_UNDERSTOOD, ACTION_OUT_OF_SCOPE
from lotsen.i18n import N_, t


class TopicMenuReply(Action, metaclass=ABCMeta):
    """A translated sentence, then one button per topic. Abstract: rasa-sdk skips it."""

    @abstractmethod
    def message(self) -> str:
        """The English source sentence, marked with N_ for extraction."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        dispatcher.utter_message(text=t(language, self.message()), buttons=topic_buttons(language))
        return []


class ActionGreet(TopicMenuReply):
    """Say hello and show what Lotsen can help with."""

    def name(self) -> str:
        return ACTION_GREET

    def message(self) -> str:
        return N_(
            "Hello! I am Lotsen. I answer questions about getting started in Sweden, "
            "for example how to get BankID. What would you like to know?"
        )


class ActionOutOfScope(TopicMenuReply):
    """Decline an off-topic question politely and point back to the topics."""

    def name(self) -> str:
        return ACTION_OUT_OF_SCOPE

    def message(self) -> str:
        return N_(
            "Sorry, I can only help with questions about getting started in Sweden, "
            "such as BankID, the personal identity number, healthcare and housing."
        )


class ActionNotUnderstood(TopicMenuReply):
    """The NLU was not confident: never guess, ask to rephrase and offer topics."""

    def name(self) -> str:
        return ACTION_NOT_UNDERSTOOD

    def message(self) -> str:
        return N_("Sorry, I did not understand. Could you say it in another way, or choose a topic below?")
