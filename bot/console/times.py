"""Times in the console: Stockholm wall-clock time, with the zone named.

The database stores UTC, and staff may sit anywhere (a laptop at home set to another zone,
a server in UTC), yet they talk with users about "at 14:00" in Swedish time. So every
time the console shows is converted to Europe/Stockholm and says which zone it is in
("14:05 CET" in winter, "14:05 CEST" in summer), written the way the console language
writes times (CLDR, through Babel).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, format_timedelta, get_timezone_name

from bot.db import aware
from lotsen.languages import languages

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def locale_of(language: str) -> Locale:
    """The CLDR locale of a console language (a Lotsen language, or any code Babel knows)."""
    supported = languages().get(language)
    return supported.locale if supported else Locale.parse(language)


def local(moment: datetime) -> datetime:
    """The moment in Stockholm (a naive datetime from SQLite is UTC)."""
    return aware(moment).astimezone(STOCKHOLM)


def zone_name(moment: datetime, language: str) -> str:
    """CLDR's short name of Stockholm's zone at that moment ("CET"/"CEST" in Swedish).

    CLDR has no short name for some locales (English gives "+0100"); the tz database's
    abbreviation is used then, so the zone is always named, never a bare offset.
    """
    there = local(moment)
    name = get_timezone_name(there, "short", locale=locale_of(language))
    if not any(character.isalpha() for character in name) or name.startswith("GMT"):
        return there.tzname() or name
    return name


def clock(moment: datetime, language: str) -> str:
    """ "14:05 CET": the time of day in Stockholm and the zone it is in."""
    there = local(moment)
    return f"{format_time(there, 'short', locale=locale_of(language))} {zone_name(there, language)}"


def day(value: date, language: str) -> str:
    """A calendar date as the console language writes it ("3 dec. 2026")."""
    return format_date(value, "medium", locale=locale_of(language))


def when(moment: datetime, language: str) -> str:
    """ "3 dec. 2026 14:05 CET": the date and time in Stockholm, with the zone."""
    return f"{day(local(moment).date(), language)} {clock(moment, language)}"


def ago(moment: datetime, language: str, now: datetime) -> str:
    """ "12 days ago" / "för 12 dagar sedan", as CLDR says it in the console language."""
    return format_timedelta(moment - now, add_direction=True, locale=locale_of(language))


def stamp(moment: datetime, language: str, now: datetime) -> str:
    """The time only if it is today in Stockholm, else the date too (transcripts)."""
    if local(moment).date() == local(now).date():
        return clock(moment, language)
    return when(moment, language)


class Times:
    """The formatters bound to one console language, for the templates."""

    def __init__(self, language: str, now: datetime) -> None:
        self.language = language
        self.now = now

    def clock(self, moment: datetime | None) -> str:
        return clock(moment, self.language) if moment else "–"

    def when(self, moment: datetime | None) -> str:
        return when(moment, self.language) if moment else "–"

    def stamp(self, moment: datetime | None) -> str:
        return stamp(moment, self.language, self.now) if moment else "–"

    def ago(self, moment: datetime | None) -> str:
        return ago(moment, self.language, self.now) if moment else "–"
