"""Staff-facing text (editor pages now, the console in issue 5) through gettext.

It has its own catalog domain, `console`, so staff text is translated into the staff's
language (Swedish by default, `LOTSEN_CONSOLE_LANGUAGE`) without asking the eight user
languages' translators for it.
"""

from __future__ import annotations

from functools import cache
from gettext import NullTranslations

from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.templating import Jinja2Templates

from lotsen.bidi import isolate_runs
from lotsen.paths import LOCALE_DIR, ROOT

DOMAIN = "console"


@cache
def translations(language: str) -> NullTranslations:
    return Translations.load(str(LOCALE_DIR), [language], DOMAIN)


@cache
def templates(language: str) -> Jinja2Templates:
    """Jinja2 templates with `_()` bound to the staff language; autoescaping stays on."""
    env = Environment(
        loader=FileSystemLoader(ROOT / "bot" / "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["runs"] = isolate_runs  # chat bubbles render as in the widget
    return Jinja2Templates(env=env)


def gettext(language: str, message: str, /, **params: object) -> str:
    text = translations(language).gettext(message)
    return text % params if params else text
