"""Opening hours and contact details of the user's municipal offices, from the bank.

Hours are shown in the user's language (CLDR weekday names and time formats). Details an
editor has not yet confirmed (`unverified`) come with a line saying so and where to check,
so nobody travels to an office on the strength of an unconfirmed time.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.buttons import human_button
from actions.context import conversation_language
from actions.knowledge import ask_municipality, remember_municipality
from actions.names import ACTION_OFFICE_HOURS
from actions.store import UsesKnowledge
from lotsen.i18n import t
from lotsen.office_text import describe_office

OFFICE_HOURS_INTENT = "ask_office_hours"


class ActionOfficeHours(UsesKnowledge, Action):
    """The user's municipal offices: hours, phone, address and languages spoken (from the
    process's knowledge store, or the one a test passes)."""

    def name(self) -> str:
        return ACTION_OFFICE_HOURS

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[dict[str, Any]]:
        language = conversation_language(tracker)
        municipality, unknown = remember_municipality(dispatcher, tracker, language)
        if unknown:
            ask_municipality(dispatcher, language, OFFICE_HOURS_INTENT)
            return []
        offices = self.store.get().offices.get(municipality or "")
        if offices is None:
            dispatcher.utter_message(
                text=t(
                    language,
                    "I do not have opening hours for your municipality. Its website lists the contact centre's hours.",
                ),
                buttons=[human_button(language)],
            )
            return []
        for office in offices.offices:
            dispatcher.utter_message(text=describe_office(office, language))
        dispatcher.utter_message(
            text=t(
                language,
                "Offices are closed on public holidays and on midsummer eve, Christmas Eve and New Year's Eve.",
            ),
            buttons=[human_button(language)],
        )
        return []
