"""The staff phrasebook: the replies staff send most, ready in every language Lotsen speaks.

Most municipal staff write Swedish and English only, yet a person handed over from Lotsen
may read only Tigrinya or Somali. So staff pick a phrase instead of typing, and the person
gets it in their language, with the office's name, address, phone number, opening hours
and the callback time filled in and written the way their language writes them (CLDR dates,
times and weekday names in Europe/Stockholm time; weekday names and hours via Babel).

Source strings are English and live in their own gettext domain, `phrasebook` (marked with
`P_`, extracted by `make extract-messages`), so translators see them apart from the bot's
`messages`. The console asks `missing()` first and disables a phrase the conversation
cannot fill; `render()` refuses such a phrase rather than sending a stray `{phone}`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from gettext import NullTranslations
from string import Formatter

from babel import Locale
from babel.dates import format_date, format_time
from babel.support import Translations

from lotsen.hours import describe_hours
from lotsen.i18n import format_day
from lotsen.knowledge.schema import Hours, Office
from lotsen.languages import languages
from lotsen.office_hours import STOCKHOLM
from lotsen.paths import LOCALE_DIR

DOMAIN = "phrasebook"
GROUPS = ("start", "waiting", "callback", "visit", "documents", "end")  # the picker's order
HOURS_SEPARATOR = "; "


def P_(message: str) -> str:  # noqa: N802 — the gettext convention
    """Mark a phrase for the `phrasebook` domain; it is translated when rendered."""
    return message


@dataclass(frozen=True)
class PhraseContext:
    """What the conversation knows that a phrase may need; None means "not known"."""

    staff_name: str | None = None
    office: Office | None = None
    when: datetime | None = None  # a callback or appointment time
    url: str | None = None  # a booking or information page; else the office's own

    def __post_init__(self) -> None:
        if self.when is not None and self.when.utcoffset() is None:
            raise ValueError("PhraseContext.when must be an aware datetime (with tzinfo), so no time zone is guessed")


# How each placeholder is filled in a language, or None when the context cannot fill it.
# `missing()` asks the same functions, so it can never disagree with `render()`.
Filler = Callable[[PhraseContext, str], str | None]


def _text(value: object | None) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _hours(hours: Hours | None, language: str) -> str | None:
    if hours is None:
        return None
    return HOURS_SEPARATOR.join(describe_hours(hours, language)) or None


def _locale(language: str) -> Locale:
    lang = languages().get(language)
    if lang is None:
        raise ValueError(f"unsupported language {language!r}; use one of {', '.join(languages())}")
    return lang.locale


def _local(context: PhraseContext) -> datetime | None:
    return context.when.astimezone(STOCKHOLM) if context.when else None


def _date(context: PhraseContext, language: str) -> str | None:
    local = _local(context)
    return format_day(language, local.date()) if local else None


def _time(context: PhraseContext, language: str) -> str | None:
    local = _local(context)
    return format_time(local, "short", tzinfo=STOCKHOLM, locale=_locale(language)) if local else None


def _weekday(context: PhraseContext, language: str) -> str | None:
    local = _local(context)
    return format_date(local.date(), "EEEE", locale=_locale(language)) if local else None


def _url(context: PhraseContext, language: str) -> str | None:
    return _text(context.url) or _text(context.office.url if context.office else None)


_FILLERS: dict[str, Filler] = {
    "staff": lambda context, _: _text(context.staff_name),
    "office": lambda context, _: _text(context.office.name if context.office else None),
    "address": lambda context, _: _text(context.office.address if context.office else None),
    "phone": lambda context, _: _text(context.office.phone if context.office else None),
    "url": _url,
    "visit_hours": lambda context, language: _hours(context.office.visit_hours if context.office else None, language),
    "phone_hours": lambda context, language: _hours(context.office.phone_hours if context.office else None, language),
    "date": _date,
    "time": _time,
    "weekday": _weekday,
}


def placeholder_names(text: str) -> list[str]:
    """The `{named}` placeholders of a text, in order of first appearance."""
    names = [name for _, name, _, _ in Formatter().parse(text) if name is not None]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Phrase:
    """One reply staff can send; `source` is English and also the gettext msgid."""

    id: str
    source: str
    group: str
    placeholders: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = placeholder_names(self.source)
        unknown = sorted(set(names) - set(_FILLERS))
        if unknown:
            raise ValueError(f"phrase {self.id!r}: unknown placeholder(s) {', '.join(unknown)}")
        if self.group not in GROUPS:
            raise ValueError(f"phrase {self.id!r}: unknown group {self.group!r}; use one of {', '.join(GROUPS)}")
        object.__setattr__(self, "placeholders", frozenset(names))


# Short, warm, plain: many people read these on a phone in their second language. No
# fact here may be wrong in any municipality; local facts come in through placeholders.
_PHRASES = (
    Phrase("greeting", P_("Hello! My name is {staff}. I work at the municipality and I will help you."), "start"),
    Phrase("how_can_i_help", P_("How can I help you?"), "start"),
    Phrase(
        "write_language",
        P_("Please write in Swedish or English if you can. If not, write in your own language."),
        "start",
    ),
    Phrase("one_question", P_("Please write short messages, one question at a time."), "start"),
    Phrase("interpreter_free", P_("An interpreter is free of charge for you. We book the interpreter."), "start"),
    Phrase("emergency_112", P_("In an emergency, call 112."), "start"),
    Phrase("looking_into_it", P_("I'm looking into it. One moment, please."), "waiting"),
    Phrase("still_here", P_("I'm still here. Thank you for waiting."), "waiting"),
    Phrase("ask_colleague", P_("I will ask a colleague and come back to you."), "waiting"),
    Phrase("rephrase", P_("Can you say that in other words?"), "waiting"),
    Phrase("more_details", P_("Can you tell me a little more?"), "waiting"),
    Phrase("received", P_("We have received your message."), "waiting"),
    Phrase("answer_tomorrow", P_("I will answer your message tomorrow."), "waiting"),
    Phrase("send_phone", P_("Please send your phone number and a good time to call you."), "callback"),
    Phrase(
        "call_interpreter_time",
        # TRANSLATORS: {date} is like "3 Dec 2026" and {time} like "15:30", each in your language's own format.
        P_("We will call you with an interpreter on {date} at {time}."),
        "callback",
    ),
    Phrase("call_interpreter_soon", P_("We will call you with an interpreter as soon as we can."), "callback"),
    Phrase("interpreter_language", P_("Which language and dialect should the interpreter speak?"), "callback"),
    Phrase(
        "missed_call",
        P_("We tried to call you but could not reach you. When is a good time to call?"),
        "callback",
    ),
    Phrase(
        "call_us",
        # TRANSLATORS: {phone_hours} is a list such as "Mon–Fri 08:00–16:00".
        P_("Call us at {phone}. Phone hours: {phone_hours}."),
        "callback",
    ),
    Phrase(
        "visit_us",
        # TRANSLATORS: {visit_hours} is a list such as "Mon–Fri 08:00–16:00".
        P_("Visit us at {address}. Opening hours: {visit_hours}."),
        "visit",
    ),
    Phrase("book_time", P_("You can book a time here: {url}"), "visit"),
    Phrase(
        "appointment",
        # TRANSLATORS: {weekday} is a weekday's dictionary form ("Thursday"): keep it so, e.g. after a colon.
        P_("You have an appointment at {office} on {weekday}, {date}, at {time}."),
        "visit",
    ),
    Phrase("book_interpreter", P_("We will book an interpreter for your visit."), "visit"),
    Phrase("cannot_come", P_("If you cannot come, please tell us as soon as you can."), "visit"),
    Phrase("bring_id", P_("Please bring your ID and your residence permit card."), "documents"),
    Phrase("bring_letter", P_("Please bring the letter you got from us."), "documents"),
    Phrase(
        "no_documents_in_chat",
        P_("Please do not send your personal identity number or photos of documents in this chat."),
        "documents",
    ),
    Phrase("read_more", P_("You can read more here: {url}"), "documents"),
    Phrase("anything_else", P_("Is there anything else I can help you with?"), "end"),
    Phrase("glad_to_help", P_("You're welcome! I'm glad I could help."), "end"),
    Phrase("handing_back", P_("Now I'm handing you back to Lotsen, the automatic assistant."), "end"),
    Phrase("thanks_goodbye", P_("Thank you for writing to us. Goodbye!"), "end"),
)
_BY_ID = {phrase.id: phrase for phrase in _PHRASES}


def phrases() -> list[Phrase]:
    """Every phrase, grouped in the picker's order."""
    return sorted(_PHRASES, key=lambda phrase: GROUPS.index(phrase.group))


def phrase(phrase_id: str) -> Phrase:
    """The phrase with this id; KeyError if there is none."""
    return _BY_ID[phrase_id]


@cache
def catalog(language: str) -> NullTranslations:
    """The compiled phrasebook catalog of a language (English source if there is none)."""
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def missing(phrase_id: str, context: PhraseContext) -> list[str]:
    """The placeholders of a phrase the context cannot fill, in the order the source uses them.

    Whether a value exists does not depend on the language, so English is asked.
    """
    found = phrase(phrase_id)
    return [name for name in placeholder_names(found.source) if _FILLERS[name](context, "en") is None]


def render(phrase_id: str, language: str, context: PhraseContext) -> str:
    """The phrase in `language`, its placeholders filled and formatted in that language.

    Raises KeyError for an unknown phrase and ValueError for an unsupported language or a
    placeholder the context cannot fill (naming it).
    """
    found = phrase(phrase_id)
    _locale(language)
    values = {name: _FILLERS[name](context, language) for name in placeholder_names(found.source)}
    lacking = [name for name, value in values.items() if value is None]
    if lacking:
        raise ValueError(f"phrase {phrase_id!r} needs {', '.join(lacking)}, which this conversation does not know")
    return catalog(language).gettext(found.source).format(**values)
