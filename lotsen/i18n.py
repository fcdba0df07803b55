"""Translated user-facing strings, through gettext catalogs compiled by Babel.

Source strings are English. Call `t(language, "…")` where the language is known at the
call; mark module-level strings with `N_("…")` and translate them later. `make
update-messages` extracts both forms (keywords `t:2` and `N_`).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from gettext import NullTranslations

from babel.dates import format_date
from babel.support import Translations

from lotsen.languages import languages
from lotsen.paths import LOCALE_DIR

DOMAIN = "messages"


@cache
def catalog(language: str) -> NullTranslations:
    """The compiled catalog for a language (English source strings if there is none)."""
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


def t(language: str, message: str, /, **params: object) -> str:
    """Translate `message` into `language` and fill `{named}` placeholders.

    Positional-only, so a placeholder may be called `{language}` too.
    """
    text = catalog(language).gettext(message)
    return text.format(**params) if params else text


def N_(message: str) -> str:  # noqa: N802 — the gettext convention
    """Mark a string for extraction without translating it yet."""
    return message


def format_day(language: str, day: date) -> str:
    """A date in the language's CLDR format (e.g. `23 nov. 2026`)."""
    lang = languages().get(language)
    return format_date(day, format="medium", locale=lang.locale if lang else "en")
