"""ISO weeks in Stockholm time, and their bounds as UTC instants.

Municipalities count weeks the Swedish way (ISO 8601, Monday first, "vecka 48"), and a
week starts at midnight in Stockholm, not in UTC: a message at 23:30 UTC on a Sunday in
winter is already Monday 00:30 in Stockholm, so it belongs to the next week. The
database stores UTC, so the queries compare timestamps with these bounds (computed here,
daylight saving time included) instead of truncating dates in SQL, which SQLite and
PostgreSQL do differently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from zoneinfo import ZoneInfo

from bot.db import aware

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKS_BACK = (4, 12, 26, 52)  # the choices the page offers
DEFAULT_WEEKS_BACK = 12


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(), STOCKHOLM).astimezone(timezone.utc)


@dataclass(frozen=True, order=True)
class Week:
    """One ISO week, named by its Monday (a Stockholm calendar date)."""

    monday: date

    @property
    def year(self) -> int:
        return self.monday.isocalendar()[0]

    @property
    def number(self) -> int:
        return self.monday.isocalendar()[1]

    @property
    def label(self) -> str:
        """ "2026-W48", the ISO 8601 name (sorts like the weeks do)."""
        return f"{self.year}-W{self.number:02d}"

    @cached_property
    def start(self) -> datetime:
        """Monday 00:00 in Stockholm, as a UTC instant."""
        return _midnight_utc(self.monday)

    @cached_property
    def end(self) -> datetime:
        """The next Monday 00:00 in Stockholm, as a UTC instant (exclusive)."""
        return _midnight_utc(self.monday + timedelta(days=7))

    def next(self) -> Week:
        return Week(self.monday + timedelta(days=7))


def week_of(moment: datetime) -> Week:
    """The Stockholm week a moment falls in (a naive datetime from SQLite is UTC)."""
    day = aware(moment).astimezone(STOCKHOLM).date()
    return Week(day - timedelta(days=day.weekday()))


def last_weeks(now: datetime, count: int) -> list[Week]:
    """The `count` weeks up to and including the current one, oldest first."""
    current = week_of(now)
    return [Week(current.monday - timedelta(days=7 * back)) for back in range(count - 1, -1, -1)]


def weeks_back(value: str | None) -> int:
    """The page's "weeks back" choice; anything else is the default."""
    try:
        number = int(value or "")
    except ValueError:
        return DEFAULT_WEEKS_BACK
    return number if number in WEEKS_BACK else DEFAULT_WEEKS_BACK


def span(weeks: list[Week]) -> list[Week]:
    """Every week from the first to the last of `weeks` (sorted), none skipped: what one
    query covers."""
    if not weeks:
        return []
    first, last = min(weeks), max(weeks)
    count = (last.monday - first.monday).days // 7 + 1
    return [Week(first.monday + timedelta(days=7 * i)) for i in range(count)]
