"""A staff member's own profile: the name users and colleagues see, and the languages they
chat in.

The languages let the console suggest who should take a conversation ("you speak
Tigrinya"; "Sara and Olle speak it"). Any language CLDR knows may be listed — staff speak
Pashto or Kurmanji too, not only the eight Lotsen answers in — but each code is checked
with Babel, so a typo cannot sit in the list unnoticed. Dari (`prs`) is kept as Persian
(`fa`), as everywhere else in Lotsen (`data/languages.yml` aliases).

Saving is one transaction with its audit row (`profile`, the username in `target`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from babel import Locale, UnknownLocaleError

from bot.db import Database, Staff
from bot.staff.accounts import LATER, AccountError, audit_account, gettext
from lotsen.languages import languages

PROFILE = "profile"  # the audit action
MAX_NAME_CHARS = 120
MAX_LANGUAGES = 20
_CODE = re.compile(r"^[a-z]{2,3}$")


def canonical(code: str) -> str:
    """The code as Lotsen compares it: an alias (`prs`) as the language it is served in."""
    aliases = {alias: lang.code for lang in languages().values() for alias in lang.aliases}
    return aliases.get(code, code)


def speaks(account: Staff, code: str | None) -> bool:
    """Whether the account lists the language (Dari and Persian count as one)."""
    if not code:
        return False
    return canonical(code) in {canonical(own) for own in account.languages or ()}


def clean_languages(checked: Iterable[str], other: str = "") -> list[str]:
    """The chosen languages: the checked ones, then the free codes (comma or space
    separated), each a language CLDR knows; deduplicated, in that order."""
    codes = [code.strip().lower() for code in checked if code.strip()]
    codes += [part.lower() for part in re.split(r"[\s,;]+", other) if part]
    unknown, known = [], []
    for code in codes:
        try:
            if not _CODE.match(code):
                raise ValueError(code)
            known.append(canonical(Locale.parse(canonical(code)).language))  # kmr → ku
        except (ValueError, UnknownLocaleError):
            unknown.append(code)
    if unknown:
        raise AccountError(gettext(LATER, "Unknown language code: %(codes)s."), codes=", ".join(unknown))
    chosen = list(dict.fromkeys(known))
    if len(chosen) > MAX_LANGUAGES:
        raise AccountError(gettext(LATER, "At most %(count)d languages."), count=MAX_LANGUAGES)
    return chosen


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_CHARS:
        raise AccountError(gettext(LATER, "The name must be 1–%(length)d characters."), length=MAX_NAME_CHARS)
    return cleaned


async def save_profile(db: Database, account_id: int, display_name: str, codes: list[str]) -> Staff:
    """Store the (already cleaned) name and languages of one's own account."""
    async with db.sessions() as session:
        account = await session.get(Staff, account_id)
        if account is None:
            raise AccountError(gettext(LATER, "No such account."))
        account.display_name, account.languages = display_name, codes
        audit_account(session, account.username, PROFILE, account.username)
        await session.commit()
        return account
