"""Change the conversation's language when the user asks for one ("in English please").

The gateway owns the conversation's language, so the action does not set a slot: it
names the chosen language in a `custom` message (`protocol.set_language`) that the
gateway applies, and confirms in the new language. Without a recognisable language
name it offers one button per language, each titled in its own language.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.context import conversation_language
from actions.names import ACTION_CHOOSE_LANGUAGE
from lotsen import protocol, sentences
from lotsen.paths import DATA_DIR
from lotsen_nlu.lexicon import Lexicon


@cache
def lexicon() -> Lexicon:
    return Lexicon.load(DATA_DIR / "lexicon")


class ActionChooseLanguage(Action):
    def name(self) -> str:
        return ACTION_CHOOSE_LANGUAGE

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        chosen = lexicon().language_in(text)
        if chosen is None:
            language = conversation_language(tracker)
            question, buttons = sentences.language_question(language)
            dispatcher.utter_message(text=question, buttons=buttons)
            return []
        dispatcher.utter_message(json_message=protocol.set_language(chosen))
        dispatcher.utter_message(text=sentences.language_confirmation(chosen))
        return []
