"""The association directory as chat messages: who meets near the user, in their language.

Search is by municipality (local groups before national ones), by interest (a button or
words like "språkcafé" in any language, from `data/knowledge/interests.yml`) and by the
languages their people speak (groups speaking the user's language come first and say so).
Each group's next event (data/knowledge/events/) is named under it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from babel import Locale

from actions.buttons import Button
from lotsen import protocol
from lotsen.i18n import t
from lotsen.knowledge import Association, KnowledgeBank, in_language
from lotsen.knowledge.events import Event, upcoming, when
from lotsen.languages import languages
from lotsen.municipalities import municipalities

ASSOCIATIONS_INTENT = "ask_associations"
MAX_LISTED = 5

Reply = tuple[str, list[Button]]


def interest_buttons(
    bank: KnowledgeBank, language: str, municipality: str | None, exclude: str | None = None
) -> list[Button]:
    """One button per interest that has at least one group for this user (no dead ends)."""
    return [
        {
            "title": in_language(interest.names, language)[1],
            "payload": protocol.intent_payload(ASSOCIATIONS_INTENT, **{protocol.KEY_INTEREST: interest.id}),
        }
        for interest in bank.interests.values()
        if interest.id != exclude and bank.find_associations(municipality, interest.id)
    ]


def language_names(codes: list[str], language: str) -> str:
    locale: Locale = languages()[language].locale
    return ", ".join(locale.languages.get(code, code) for code in codes)


def describe(association: Association, language: str, coming: list[Event] | None = None) -> str:
    """One chat message for one association, every label in the user's language, with
    its next event if the bank knows one."""
    lines = [association.name, in_language(association.description, language)[1]]
    if coming:
        event = coming[0]
        title = in_language(event.title, language)[1]
        lines.append(t(language, "Next: {title}, {when}", title=title, when=when(event, language)))
    if association.meets:
        lines.append(t(language, "Meets: {when}", when=in_language(association.meets, language)[1]))
    if language in association.languages:
        lines.append(t(language, "Speaks your language."))
    lines.append(t(language, "Languages: {names}", names=language_names(association.languages, language)))
    contact = association.contact
    ways = [str(way) for way in (contact.url, contact.email, contact.phone) if way]
    lines.append(t(language, "Contact: {ways}", ways=" · ".join(ways)))
    return "\n".join(lines)


def listing(
    bank: KnowledgeBank,
    language: str,
    municipality: str | None,
    interest: str | None,
    end: list[Button],
    speaking: str | None = None,
) -> list[Reply]:
    """A heading, one message per association found (at most MAX_LISTED), then other
    interests to choose, followed by the `end` buttons (related topics, a person)."""
    found = bank.find_associations(municipality, interest, language, speaking)
    place = municipalities().get(municipality or "")
    interest_name = in_language(bank.interests[interest].names, language)[1] if interest in bank.interests else None
    buttons = [*interest_buttons(bank, language, municipality, exclude=interest), *end]
    if not found:
        text = t(
            language,
            "I do not know a group for that yet. Your library or municipality can often tell you more, "
            "or you can choose another interest.",
        )
        return [(text, buttons)]
    if interest_name and place:
        heading = t(language, "Groups for “{interest}” in or near {place}:", interest=interest_name, place=place)
    elif interest_name:
        heading = t(language, "Groups for “{interest}”:", interest=interest_name)
    elif place:
        heading = t(language, "Groups and activities in or near {place}:", place=place)
    else:
        heading = t(language, "Groups and activities across Sweden (ask which one meets near you):")
    replies: list[Reply] = [(heading, [])]
    now = datetime.now(timezone.utc)
    replies += [
        (describe(association, language, upcoming(bank.events, None, now, association=association.id)), [])
        for association in found[:MAX_LISTED]
    ]
    more = t(language, "Looking for something else? Choose an interest:")
    replies.append((more, buttons))
    return replies
