"""The phrasebook in the console: the picker beside the reply box, the preview of what the
user will get, and a sent phrase shown back in the console language.

Staff who speak Swedish and English answer a Tigrinya speaker by choosing a phrase: the
user gets it in Tigrinya with the office's details filled in (`lotsen.phrasebook.render`
in the conversation's language), and the staff message keeps the phrase id, so the
transcript can show staff the same phrase in Swedish. A phrase the conversation cannot
fill (the office lists no phone number) is offered disabled, with the reason, instead of
failing when sent. Phrases with a date or time get it from the picker's date/time input,
read as Stockholm time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.console import names
from bot.console.times import STOCKHOLM
from bot.db import Message
from bot.handoff.staff import StaffActionError
from bot.staff import i18n
from bot.staff.accounts import LATER, gettext
from lotsen import phrasebook
from lotsen.knowledge import Office
from lotsen.languages import languages
from lotsen.phrasebook import Phrase, PhraseContext

TIME_PLACEHOLDERS = frozenset({"date", "time", "weekday"})  # filled from the date/time input

GROUPS = {
    "start": gettext(LATER, "Starting the chat"),
    "waiting": gettext(LATER, "While the user waits"),
    "callback": gettext(LATER, "Calling back"),
    "visit": gettext(LATER, "Visits"),
    "documents": gettext(LATER, "Documents"),
    "end": gettext(LATER, "Ending the chat"),
}

# A placeholder as a reason reads it ("Cannot be sent: missing the office's phone number").
PLACEHOLDERS = {
    "staff": gettext(LATER, "your name"),
    "office": gettext(LATER, "the office's name"),
    "address": gettext(LATER, "the office's address"),
    "phone": gettext(LATER, "the office's phone number"),
    "url": gettext(LATER, "a web address"),
    "visit_hours": gettext(LATER, "the office's opening hours"),
    "phone_hours": gettext(LATER, "the office's phone hours"),
    "date": gettext(LATER, "a date"),
    "time": gettext(LATER, "a time"),
    "weekday": gettext(LATER, "a day"),
}


@dataclass(frozen=True)
class Choice:
    """One phrase in the picker: its label in the console language and, if it cannot be
    sent in this conversation, why."""

    id: str
    label: str
    needs_time: bool
    unavailable: str | None = None


@dataclass(frozen=True)
class Group:
    name: str
    choices: list[Choice]


def needs_time(phrase: Phrase) -> bool:
    return bool(phrase.placeholders & TIME_PLACEHOLDERS)


def context(staff_name: str | None, office: Office | None, when: datetime | None = None) -> PhraseContext:
    return PhraseContext(staff_name=staff_name or None, office=office, when=when)


def _placeholder(name: str, language: str) -> str:
    return i18n.gettext(language, PLACEHOLDERS[name]) if name in PLACEHOLDERS else name


class _Bracketed(Mapping[str, str]):
    """Fills every placeholder with its readable name in brackets ("[a date]")."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __getitem__(self, key: str) -> str:
        return f"[{_placeholder(key, self.language)}]"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def template(phrase: Phrase, language: str) -> str:
    """The phrase in `language` with its placeholders named, not filled ("… on [a date]")."""
    translated = phrasebook.catalog(language).gettext(phrase.source)
    try:
        return translated.format_map(_Bracketed(language))
    except (ValueError, IndexError):  # a broken translation: the English source still reads
        return phrase.source.format_map(_Bracketed(language))


def unavailable(phrase: Phrase, ctx: PhraseContext, language: str) -> str | None:
    """Why the phrase cannot be sent in this conversation (date and time aside: the picker
    asks for them), or None."""
    lacking = [name for name in phrasebook.missing(phrase.id, ctx) if name not in TIME_PLACEHOLDERS]
    if not lacking:
        return None
    named = ", ".join(_placeholder(name, language) for name in lacking)
    return i18n.gettext(language, "Cannot be sent: missing %(what)s", what=named)


def label(phrase: Phrase, ctx: PhraseContext, language: str) -> str:
    """The phrase in the console language, filled as far as the conversation allows (a
    console language the phrasebook does not have gets the English source, unfilled)."""
    if phrasebook.missing(phrase.id, ctx) or language not in languages():
        return template(phrase, language)
    return phrasebook.render(phrase.id, language, ctx)


def picker(ctx: PhraseContext, language: str) -> list[Group]:
    """Every phrase, grouped in the phrasebook's order, labelled in the console language."""
    groups: dict[str, list[Choice]] = {}
    for phrase in phrasebook.phrases():
        groups.setdefault(phrase.group, []).append(
            Choice(phrase.id, label(phrase, ctx, language), needs_time(phrase), unavailable(phrase, ctx, language))
        )
    return [
        Group(i18n.gettext(language, GROUPS[group]) if group in GROUPS else group, choices)
        for group, choices in groups.items()
    ]


def parse_when(value: str | None) -> datetime | None:
    """The picker's date/time input ("2026-12-03T14:30", Stockholm time) as an aware
    datetime; None when empty or not a date and time."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=STOCKHOLM)


def find(phrase_id: str, console_language: str) -> Phrase:
    try:
        return phrasebook.phrase(phrase_id)
    except KeyError:
        raise StaffActionError(422, i18n.gettext(console_language, "There is no such phrase.")) from None


def compose(phrase_id: str, user_language: str, ctx: PhraseContext, console_language: str) -> str:
    """The phrase exactly as the user will get it, in their language; a readable refusal
    (422, in the console language) when it cannot be filled."""
    phrase = find(phrase_id, console_language)
    reason = unavailable(phrase, ctx, console_language)
    if reason is not None:
        raise StaffActionError(422, reason)
    if phrasebook.missing(phrase.id, ctx):  # only the date and time are left
        raise StaffActionError(422, i18n.gettext(console_language, "Choose the date and time first."))
    return phrasebook.render(phrase.id, user_language if user_language in languages() else "en", ctx)


@dataclass(frozen=True)
class Sent:
    """A staff message sent from the phrasebook, as staff read it: the phrase in the
    console language, and in which language the user got it."""

    text: str
    language: str  # the user's language, named in the console language
    exact: bool  # False: the date or time it carried cannot be shown again (see the note)


def shown(message: Message, user_language: str | None, office: Office | None, language: str) -> Sent | None:
    """A phrase message re-rendered in the console language; None for free text (or a phrase
    the phrasebook no longer has: the text is then shown as it was sent).

    The values a phrase was filled with are not stored, only its id: the name is the
    author's, the office today's, and a date or time is shown as a placeholder.
    """
    if message.author != "staff" or not message.phrase:
        return None
    try:
        phrase = phrasebook.phrase(message.phrase)
    except KeyError:
        return None
    ctx = context(message.author_name, office)
    exact = not phrasebook.missing(phrase.id, ctx)
    return Sent(label(phrase, ctx, language), names.language_in_sentence(user_language or "en", language), exact)
