""" "I live in Linköping": remember the municipality the user names in a sentence.

A municipality Lotsen serves (by name or any alias in `data/municipalities.yml`, any
script) is passed to the gateway to remember (`protocol.set_municipality`) and confirmed
in the user's language. A place Lotsen does not serve is acknowledged honestly: the user
gets the answers that apply everywhere in Sweden, with buttons for the served
municipalities in case one of them is meant.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.context import chosen_municipality, conversation_language
from actions.emergency import emergency_first
from actions.names import ACTION_SET_MUNICIPALITY
from actions.store import UsesKnowledge
from lotsen import protocol, sentences
from lotsen.i18n import t
from lotsen.knowledge import OTHER_MUNICIPALITY


class ActionSetMunicipality(UsesKnowledge, Action):
    def name(self) -> str:
        return ACTION_SET_MUNICIPALITY

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        emergency_first(dispatcher, tracker, language, self.store)
        chosen = chosen_municipality(tracker)
        if chosen is not None and chosen != OTHER_MUNICIPALITY:
            dispatcher.utter_message(json_message=protocol.set_municipality(chosen))
            dispatcher.utter_message(text=sentences.municipality_confirmation(language, chosen))
            return []
        dispatcher.utter_message(json_message=protocol.set_municipality(OTHER_MUNICIPALITY))
        text = t(
            language,
            "Lotsen does not have local information for that municipality yet, so I will give you the answers "
            "that apply everywhere in Sweden. If you live in one of these municipalities, choose it:",
        )
        dispatcher.utter_message(text=text, buttons=sentences.municipality_buttons(language)[:-1])
        return []
