"""Small talk, help, and the replies for questions Lotsen cannot or did not understand.

Each is one translated sentence followed by buttons, so they share one base class.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions import names
from actions.buttons import Button, human_button, suggested_topics, topic_buttons
from actions.context import conversation_language
from actions.emergency import emergency_first, note_reading
from actions.local import explain_words
from actions.store import UsesKnowledge, store
from lotsen import protocol
from lotsen.i18n import N_, t


class TranslatedReply(UsesKnowledge, Action, metaclass=ABCMeta):
    """A translated sentence, then buttons. Abstract, so rasa-sdk does not register it.

    It reads the bank only for the 112 line that comes first in a possible emergency.
    """

    @abstractmethod
    def message(self) -> str:
        """The English source sentence, marked with N_ for extraction."""

    def buttons(self, language: str, tracker: Tracker) -> list[Button]:
        return topic_buttons(language)

    def unanswered(self) -> str | None:
        """Why this reply leaves the question unanswered (one of `protocol.UNANSWERED_REASONS`),
        for the editors' feed; None if it does not."""
        return None

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        if reason := self.unanswered():
            dispatcher.utter_message(json_message=protocol.unanswered(reason))
        note_reading(dispatcher, tracker)
        emergency_first(dispatcher, tracker, language, self.store)
        dispatcher.utter_message(text=t(language, self.message()), buttons=self.buttons(language, tracker))
        return []


class ActionGreet(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_GREET

    def message(self) -> str:
        return N_(
            "Hello! I am Lotsen. I answer questions about getting started in Sweden, "
            "for example how to get BankID. What would you like to know?"
        )


class ActionGoodbye(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_GOODBYE

    def message(self) -> str:
        return N_("Goodbye! You are welcome back any time.")

    def buttons(self, language: str, tracker: Tracker) -> list[Button]:
        return []


class ActionThank(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_THANK

    def message(self) -> str:
        return N_("You are welcome! Is there anything else I can help you with?")


class ActionAffirm(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_AFFIRM

    def message(self) -> str:
        return N_("Good. What else would you like to know?")


class ActionDeny(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_DENY

    def message(self) -> str:
        return N_("Okay. Choose a topic, write your question in other words, or talk to a person.")

    def buttons(self, language: str, tracker: Tracker) -> list[Button]:
        return [*topic_buttons(language), human_button(language)]


class ActionBotChallenge(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_BOT_CHALLENGE

    def message(self) -> str:
        return N_(
            "I am a chatbot, a computer program, not a person. "
            "If you want to talk to a staff member, press the button below."
        )

    def buttons(self, language: str, tracker: Tracker) -> list[Button]:
        return [human_button(language)]


class ActionHelp(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_HELP

    def message(self) -> str:
        return N_(
            "I can answer questions about the topics below. Write your question in your own "
            "language, or choose a topic. You can also talk to a person."
        )

    def buttons(self, language: str, tracker: Tracker) -> list[Button]:
        return [*topic_buttons(language), human_button(language)]


class ActionOutOfScope(TranslatedReply):
    def name(self) -> str:
        return names.ACTION_OUT_OF_SCOPE

    def unanswered(self) -> str | None:
        return protocol.OUT_OF_SCOPE

    def message(self) -> str:
        return N_(
            "Sorry, I can only help with questions about getting started in Sweden, "
            "such as BankID, the personal identity number, healthcare and housing."
        )

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if explain_words(dispatcher, tracker, self.store.get()):
            return []
        return await super().run(dispatcher, tracker, domain)


class ActionNotUnderstood(TranslatedReply):
    """The NLU was not confident: never guess. Offer the likeliest topics and a person."""

    def name(self) -> str:
        return names.ACTION_NOT_UNDERSTOOD

    def message(self) -> str:
        return N_("Sorry, I did not understand. Could you say it in another way, or choose a topic below?")

    def unanswered(self) -> str | None:
        return protocol.NOT_UNDERSTOOD

    def buttons(self, language: str, tracker: Tracker) -> list[Button]:
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        return [*suggested_topics(language, ranking), human_button(language)]

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        if explain_words(dispatcher, tracker, self.store.get()):
            return []
        return await super().run(dispatcher, tracker, domain)


class ActionRequestHuman(Action):
    """Ask the gateway to hand the conversation to staff (`protocol.handoff_request()`).

    The gateway owns handoff and says what happens next in the user's language (the
    queue, when the office opens, or that staff chat is switched off), so this action
    sends no text of its own; a possible emergency still gets the 112 line first.
    """

    def name(self) -> str:
        return names.ACTION_REQUEST_HUMAN

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(json_message=protocol.handoff_request())
        emergency_first(dispatcher, tracker, conversation_language(tracker), store())
        return []
