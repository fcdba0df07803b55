"""Does anyone at the office speak the user's language?

Offices list the languages their staff chat in (`Office.languages` in the knowledge bank,
any CLDR code). A conversation in a language nobody there speaks must not be queued as if
it were Swedish: the user is told which languages the staff speak, by name in the user's
own language, and offered an interpreter callback. Dari (`prs`) and Persian (`fa`) count
as one language, as they do everywhere else in Lotsen (`data/languages.yml` aliases).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.lists import format_list

from lotsen.knowledge import Office
from lotsen.languages import languages


def _canonical(code: str) -> str:
    aliases = {alias: lang.code for lang in languages().values() for alias in lang.aliases}
    return aliases.get(code, code)


def spoken_at(office: Office | None) -> list[str]:
    """The languages the office's staff chat in, Dari folded into Persian, in the bank's order."""
    if office is None:
        return []
    seen: list[str] = []
    for code in office.languages:
        canonical = _canonical(code)
        if canonical not in seen:
            seen.append(canonical)
    return seen


def needs_interpreter(office: Office | None, language: str) -> bool:
    """True when the office lists its staff languages and the user's is not among them.

    An office that lists none is not assumed to lack the language (the editor has not
    said), so the user is queued as before.
    """
    spoken = spoken_at(office)
    return bool(spoken) and _canonical(language) not in spoken


def language_name(code: str, in_language: str, *, capitalise: bool = True) -> str:
    """CLDR's name of language `code` written in `in_language` ("Tigrinya" → "ትግርኛ");
    capitalised for a button or a heading, as CLDR writes it for use inside a sentence."""
    supported = languages().get(in_language)
    locale = supported.locale if supported else Locale.parse(in_language)
    try:
        name = Locale.parse(code).get_language_name(locale) or code
    except (ValueError, UnknownLocaleError):
        name = code
    return name[:1].upper() + name[1:] if capitalise else name


def language_names(codes: list[str], in_language: str) -> str:
    """A list of language names joined the CLDR way in `in_language` ("svenska och engelska")."""
    supported = languages().get(in_language)
    locale = supported.locale if supported else Locale.parse(in_language)
    return format_list([language_name(code, in_language, capitalise=False) for code in codes], locale=locale)
