"""What the console calls things, in the console language: why a person was asked for,
the assistant's intents, languages, ticket kinds and callback windows.

Staff read Swedish (or English), while the data speaks in codes (`not_understood`,
`ask_housing_queue`, `ti`, `2026-12-03 morning`). Every code the console shows is named
here, once, so a page never shows a raw code when a readable name exists — and shows the
code itself, rather than nothing, when it meets one it does not know yet.

Module-level strings are marked with `gettext(LATER, …)` (extracted into the `console`
catalog) and translated when shown.
"""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from babel.numbers import format_percent

from bot.console.times import locale_of
from bot.handoff.languages import language_name
from bot.staff import i18n
from bot.staff.accounts import LATER, gettext
from lotsen.i18n import t
from lotsen.municipalities import municipalities
from lotsen.topics import TOPIC_TITLES

REASONS = {
    "asked": gettext(LATER, "the user asked for a person"),
    "not_understood": gettext(LATER, "the bot did not understand twice"),
    "callback": gettext(LATER, "the user asked to be called back"),
}

# The conversation intents (DESIGN.md); topic intents are named by their topic titles.
INTENTS = {
    "greet": gettext(LATER, "Greeting"),
    "goodbye": gettext(LATER, "Goodbye"),
    "thank": gettext(LATER, "Thanks"),
    "affirm": gettext(LATER, "Yes"),
    "deny": gettext(LATER, "No"),
    "request_human": gettext(LATER, "Wants a person"),
    "ask_office_hours": gettext(LATER, "Office hours"),
    "choose_language": gettext(LATER, "Choosing a language"),
    "bot_challenge": gettext(LATER, "Asks whether it is a bot"),
    "help": gettext(LATER, "Asks what Lotsen can do"),
    "out_of_scope": gettext(LATER, "Outside what Lotsen knows"),
    "nlu_fallback": gettext(LATER, "Not understood"),
}

KINDS = {
    "message": gettext(LATER, "Message"),
    "callback": gettext(LATER, "Callback"),
}

PARTS_OF_DAY = {
    "morning": gettext(LATER, "morning"),
    "afternoon": gettext(LATER, "afternoon"),
}


def reason(code: str, language: str) -> str:
    """Why a person was asked for ("the user asked for a person")."""
    return i18n.gettext(language, REASONS[code]) if code in REASONS else code


def topic(intent: str | None, language: str) -> str:
    """A topic intent's title in the console language (the users' catalog has Swedish)."""
    if intent is None:
        return "–"
    return t(language, TOPIC_TITLES[intent]) if intent in TOPIC_TITLES else intent


def intent(name: str | None, language: str) -> str:
    """The assistant's reading of a message, named: a topic title for `ask_*` intents, a
    short name for the conversation intents, the intent itself for one not known here."""
    if name is None:
        return "—"
    if name in TOPIC_TITLES:
        return topic(name, language)
    return i18n.gettext(language, INTENTS[name]) if name in INTENTS else name


def confidence(value: float | None, language: str) -> str:
    """ "87 %" as the console language writes percentages; "—" when unknown."""
    if value is None:
        return "—"
    return format_percent(max(0.0, min(1.0, value)), locale=locale_of(language))


def language(code: str | None, in_language: str) -> str:
    """A language's CLDR name in the console language ("Tigrinja"); "?" when unknown."""
    return language_name(code, in_language) if code else "?"


def language_in_sentence(code: str, in_language: str) -> str:
    """As `language`, written for use inside a sentence ("tigrinja")."""
    return language_name(code, in_language, capitalise=False)


def municipality(municipality_id: str | None) -> str:
    if not municipality_id:
        return "–"
    return municipalities().get(municipality_id, municipality_id)


def kind(code: str, language: str) -> str:
    return i18n.gettext(language, KINDS[code]) if code in KINDS else code


def window(stored: str | None, language: str) -> str:
    """A callback's time window ("torsdag 3 dec. 2026, förmiddag"); None: any time."""
    if not stored:
        return i18n.gettext(language, "any time")
    day_text, _, part = stored.partition(" ")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return stored
    named = format_date(day, "EEEE d MMM y", locale=locale_of(language))
    return f"{named}, {i18n.gettext(language, PARTS_OF_DAY[part]) if part in PARTS_OF_DAY else part}"
