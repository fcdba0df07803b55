"""When an office is open, in Europe/Stockholm time, and when it opens next.

Opening hours come from the knowledge bank (weekday intervals, extra closed dates, half
days). Swedish public holidays and the de facto days off (midsommarafton, julafton,
nyårsafton) come from the `holidays` library (`PUBLIC` + `DE_FACTO`, Sundays excluded
explicitly because the default changed between releases). Times are wall-clock times in
Stockholm, so the days the clocks change need no special case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from holidays.constants import DE_FACTO, PUBLIC
from holidays.countries.sweden import Sweden

from lotsen.knowledge.schema import Hours, Office
from lotsen.languages import languages

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SEARCH_DAYS = 60  # how far ahead to look for the next opening


@cache
def days_off(year: int) -> dict[date, str]:
    """Public holidays and de facto days off in Sweden, with their Swedish names."""
    found = Sweden(years=year, include_sundays=False, categories=(PUBLIC, DE_FACTO), language="sv")
    return {day: str(name) for day, name in found.items()}


def day_off(day: date) -> str | None:
    return days_off(day.year).get(day)


@dataclass(frozen=True)
class Schedule:
    """One kind of opening hours (e.g. chat) of one office, with its exceptions."""

    hours: Hours
    closed: dict[date, str] = field(default_factory=dict)
    half_days: dict[date, time] = field(default_factory=dict)

    @classmethod
    def chat(cls, office: Office) -> Schedule | None:
        """The office's chat hours, or None if it takes no chats."""
        return cls.of(office, office.chat_hours)

    @classmethod
    def phone(cls, office: Office) -> Schedule | None:
        """When staff can call back: the phone hours, else the chat hours."""
        return cls.of(office, office.phone_hours or office.chat_hours)

    @classmethod
    def of(cls, office: Office, hours: Hours | None) -> Schedule | None:
        """These hours of the office, with its closed days and half days (None: no hours)."""
        if hours is None:
            return None
        return cls(
            hours,
            {entry.date: entry.note for entry in office.closed},
            {entry.date: time.fromisoformat(entry.closes) for entry in office.half_days},
        )

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening intervals as Stockholm times; none on a holiday or closed day."""
        if day_off(day) is not None or day in self.closed:
            return []
        result = []
        closes_early = self.half_days.get(day)
        for start, end in self.hours.on(day.weekday()):
            if closes_early is not None:
                end = min(end, closes_early)
            if start < end:
                result.append((datetime.combine(day, start, STOCKHOLM), datetime.combine(day, end, STOCKHOLM)))
        return result

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(STOCKHOLM)
        return any(start <= local < end for start, end in self.intervals(local.date()))

    def next_opening(self, after: datetime) -> datetime | None:
        """The next time the office opens strictly after `after` (None if not within 60 days)."""
        local = after.astimezone(STOCKHOLM)
        for offset in range(SEARCH_DAYS + 1):
            for start, _ in self.intervals(local.date() + timedelta(days=offset)):
                if start > local:
                    return start
        return None


def format_opening(moment: datetime, language: str) -> str:
    """E.g. "måndag 24 november 2026 08:00": CLDR's full date and short time for the locale."""
    lang = languages().get(language)
    locale = lang.locale if lang else "en"
    local = moment.astimezone(STOCKHOLM)
    return f"{format_date(local, 'full', locale=locale)} {format_time(local, 'short', locale=locale)}"
