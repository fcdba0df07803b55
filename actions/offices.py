"""Opening hours and contact details of the user's municipal offices, from the bank.

Hours are shown in the user's language (CLDR weekday names and time formats). Details an
editor has not yet confirmed (`unverified`) come with a line saying so and where to check,
so nobody travels to an office on the strength of an unconfirmed time.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action, Tracker
from rasa_sdk.types import DomainDict

from actions.buttons import human_button
from actions.context import conversation_language
from actions.knowledge import ask_municipality, remember_municipality
from actions.names import ACTION_OFFICE_HOURS
from actions.store import UsesKnowledge
from lotsen.hours import describe_hours
from lotsen.i18n import N_, t
from lotsen.knowledge import Office
from lotsen.languages import languages
from lotsen.office_hours import Schedule, format_opening

OFFICE_HOURS_INTENT = "ask_office_hours"
HOURS_LABELS = (
    ("chat_hours", N_("Chat with staff: {hours}")),
    ("phone_hours", N_("Phone hours: {hours}")),
    ("visit_hours", N_("Visit: {hours}")),
)


def chat_status(office: Office, language: str, now: datetime) -> str | None:
    """ "Open now" or when chat opens next, counting holidays and the office's closed days."""
    schedule = Schedule.chat(office)
    if schedule is None:
        return None
    if schedule.is_open(now):
        return t(language, "Chat is open now.")
    opening = schedule.next_opening(now)
    return t(language, "Chat opens next: {when}", when=format_opening(opening, language)) if opening else None


def describe_office(office: Office, language: str, now: datetime | None = None) -> str:
    locale = languages()[language].locale
    lines = [office.name]
    for field, label in HOURS_LABELS:
        hours = getattr(office, field)
        if hours is not None and not hours.is_empty():
            lines.append(t(language, label, hours="; ".join(describe_hours(hours, language))))
    if status := chat_status(office, language, now or datetime.now(timezone.utc)):
        lines.append(status)
    for value, label in ((office.phone, N_("Telephone: {value}")), (office.address, N_("Address: {value}"))):
        if value:
            lines.append(t(language, label, value=value))
    if office.url:
        lines.append(str(office.url))
    if office.languages:
        names = ", ".join(locale.languages.get(code, code) for code in office.languages)
        lines.append(t(language, "Staff speak: {languages}", languages=names))
    if office.unverified:
        lines.append(t(language, "Some of these details are not confirmed yet. Check the website before you go."))
    return "\n".join(lines)


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
