"""Office hours at the edges: opening minute, weekends, Swedish holidays and eves,
half days, and the days the clocks change (Europe/Stockholm)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from lotsen.knowledge.schema import Hours, Office
from lotsen.office_hours import Schedule, day_off, format_opening

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WEEKDAYS_8_16 = Hours(**{day: ["08:00-16:00"] for day in ("mon", "tue", "wed", "thu", "fri")})


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=STOCKHOLM)


@pytest.fixture
def schedule() -> Schedule:
    office = Office(
        id="test",
        name="Test",
        handoff=True,
        phone="010-123 45 67",
        chat_hours=WEEKDAYS_8_16,
        closed=[{"date": date(2026, 12, 28), "note": "Personaldag"}],  # type: ignore[list-item]
        half_days=[{"date": date(2026, 4, 30), "closes": "12:00"}],  # type: ignore[list-item]
    )
    found = Schedule.chat(office)
    assert found is not None
    return found


def test_opening_minute(schedule: Schedule) -> None:
    assert not schedule.is_open(at(2026, 11, 23, 7, 59))
    assert schedule.is_open(at(2026, 11, 23, 8, 0))
    assert schedule.is_open(at(2026, 11, 23, 15, 59))
    assert not schedule.is_open(at(2026, 11, 23, 16, 0))


def test_saturday_is_closed_and_monday_opens_next(schedule: Schedule) -> None:
    assert not schedule.is_open(at(2026, 11, 21, 11, 0))
    assert schedule.next_opening(at(2026, 11, 21, 11, 0)) == at(2026, 11, 23, 8, 0)


@pytest.mark.parametrize(
    ("day", "name"),
    [(date(2026, 6, 19), "Midsommarafton"), (date(2026, 12, 24), "Julafton"), (date(2026, 12, 31), "Nyårsafton")],
)
def test_de_facto_days_off_are_closed(schedule: Schedule, day: date, name: str) -> None:
    assert day_off(day) == name
    assert not schedule.is_open(datetime.combine(day, datetime.min.time(), STOCKHOLM).replace(hour=10))


def test_public_holiday_and_not_sundays_by_default() -> None:
    assert day_off(date(2026, 4, 3)) == "Långfredagen"
    assert day_off(date(2026, 11, 22)) is None  # an ordinary Sunday is not a "holiday"


def test_after_midsommarafton_the_next_opening_is_monday(schedule: Schedule) -> None:
    assert schedule.next_opening(at(2026, 6, 18, 16, 30)) == at(2026, 6, 22, 8, 0)


def test_christmas_closes_until_after_the_closed_day(schedule: Schedule) -> None:
    # 24–26 Dec are eve/holidays, 27 is Sunday, 28 is the office's own closed day.
    assert schedule.next_opening(at(2026, 12, 23, 17, 0)) == at(2026, 12, 29, 8, 0)


def test_half_day_closes_early(schedule: Schedule) -> None:
    assert schedule.is_open(at(2026, 4, 30, 11, 59))
    assert not schedule.is_open(at(2026, 4, 30, 12, 0))


@pytest.mark.parametrize(
    ("utc", "open_"),
    [
        # Monday after the spring change (UTC+2): 08:00 local is 06:00 UTC.
        (datetime(2026, 3, 30, 5, 59, tzinfo=timezone.utc), False),
        (datetime(2026, 3, 30, 6, 0, tzinfo=timezone.utc), True),
        # Monday after the autumn change (UTC+1): 08:00 local is 07:00 UTC.
        (datetime(2026, 10, 26, 6, 59, tzinfo=timezone.utc), False),
        (datetime(2026, 10, 26, 7, 0, tzinfo=timezone.utc), True),
    ],
)
def test_days_the_clocks_change(schedule: Schedule, utc: datetime, open_: bool) -> None:
    assert schedule.is_open(utc) is open_


def test_next_opening_across_the_spring_change_is_in_summer_time(schedule: Schedule) -> None:
    opening = schedule.next_opening(datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc))
    assert opening is not None
    assert opening.astimezone(timezone.utc) == datetime(2026, 3, 30, 6, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("language", "expected"),
    [("sv", "måndag 23 november 2026 08:00"), ("en", "Monday, 23 November 2026 08:00"), ("ar", "الاثنين")],
)
def test_next_opening_is_formatted_for_the_locale(language: str, expected: str) -> None:
    text = format_opening(at(2026, 11, 23, 8, 0), language)
    assert expected in text.replace("\u202f", " ")
