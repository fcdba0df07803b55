"""Opening hours as a newcomer reads them: weekdays and times in their own language.

Consecutive days with the same hours are grouped ("mån–fre 08:00–16:00"); names and
time formats come from CLDR through Babel, so Arabic, Persian and Tigrinya users see
their own weekday names and digits.
"""

from __future__ import annotations

from datetime import time

from babel import Locale
from babel.dates import format_time

from lotsen.knowledge.schema import Hours
from lotsen.languages import languages

DAY_COUNT = 7


def _locale(language: str) -> Locale:
    lang = languages().get(language)
    return lang.locale if lang else Locale.parse("en")


def format_interval(language: str, start: time, end: time) -> str:
    locale = _locale(language)
    return f"{format_time(start, 'short', locale=locale)}–{format_time(end, 'short', locale=locale)}"


def describe_hours(hours: Hours, language: str) -> list[str]:
    """One line per group of consecutive weekdays with the same opening intervals."""
    locale = _locale(language)
    day_names = locale.days["format"]["abbreviated"]
    lines: list[str] = []
    day = 0
    while day < DAY_COUNT:
        intervals = hours.on(day)
        last = day
        while last + 1 < DAY_COUNT and hours.on(last + 1) == intervals:
            last += 1
        if intervals:
            days = day_names[day] if last == day else f"{day_names[day]}–{day_names[last]}"
            times = ", ".join(format_interval(language, start, end) for start, end in intervals)
            lines.append(f"{days} {times}")
        day = last + 1
    return lines
