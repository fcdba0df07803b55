"""Local events (issue 21): information evenings, theme weeks, language cafés with a date.

Editors keep them in `data/knowledge/events/<id>.yml` (validated and published like
associations). Times are written as Swedish local time ("2026-12-10 18:00"), as on a
poster, and read in Europe/Stockholm; an event drops out of every answer once it has
ended (or, without an end, two hours after it started), so nobody edits past events away
for the bot to be right.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from pydantic import Field, HttpUrl, field_validator, model_validator

from lotsen.knowledge.schema import (
    Description,
    SpokenLanguage,
    Strict,
    _check_languages,
    _check_municipality,
    _check_spoken,
)
from lotsen.languages import languages

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ASSUMED_LENGTH = timedelta(hours=2)
Title = Annotated[str, Field(min_length=1, max_length=120)]
TopicTag = Annotated[str, Field(pattern=r"^ask_[a-z_]+$")]


class Event(Strict):
    """`data/knowledge/events/<id>.yml`: one dated event in one municipality."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
    title: dict[str, Title] = Field(min_length=1)
    description: dict[str, Description] = Field(min_length=1)
    starts: datetime
    ends: datetime | None = None
    place: str = Field(min_length=1, max_length=160)
    municipality: str
    languages: list[SpokenLanguage] = Field(min_length=1)  # spoken there
    topics: list[TopicTag] = Field(default_factory=list)  # the topics it is about, for "events about work"
    registration: HttpUrl | None = None
    association: str | None = None  # an association's id: its listing mentions the event

    @field_validator("title", "description")
    @classmethod
    def _texts(cls, texts: dict[str, str]) -> dict[str, str]:
        _check_languages(texts)
        return texts

    @field_validator("municipality")
    @classmethod
    def _known(cls, municipality: str) -> str:
        return _check_municipality(municipality)

    @field_validator("languages")
    @classmethod
    def _spoken(cls, codes: list[str]) -> list[str]:
        return _check_spoken(codes)

    @field_validator("starts", "ends")
    @classmethod
    def _stockholm(cls, moment: datetime | None) -> datetime | None:
        """Local time as written; a time with an explicit offset is converted."""
        if moment is None:
            return None
        return moment.replace(tzinfo=STOCKHOLM) if moment.tzinfo is None else moment.astimezone(STOCKHOLM)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Event:
        if self.ends is not None and self.ends <= self.starts:
            raise ValueError("ends must be after starts")
        return self

    @property
    def over_at(self) -> datetime:
        return self.ends or self.starts + ASSUMED_LENGTH

    def is_over(self, now: datetime) -> bool:
        return now >= self.over_at


def upcoming(
    events: list[Event],
    municipality: str | None,
    now: datetime,
    topic: str | None = None,
    association: str | None = None,
) -> list[Event]:
    """Events not over yet, soonest first; in `municipality` (none: nothing is local),
    about `topic` and run by `association` when given."""
    return sorted(
        (
            event
            for event in events
            if not event.is_over(now)
            and (municipality is None or event.municipality == municipality)
            and (topic is None or topic in event.topics)
            and (association is None or event.association == association)
        ),
        key=lambda event: (event.starts, event.id),
    )


def when(event: Event, language: str) -> str:
    """The day and time in the user's language, CLDR's own order and words via Babel
    ("torsdag 10 december 2026, 18:00–20:00"), always in Swedish time, where it happens."""
    lang = languages().get(language)
    locale = lang.locale if lang else "en"
    starts = event.starts.astimezone(STOCKHOLM)
    text = f"{format_date(starts.date(), 'full', locale=locale)}, {format_time(starts.time(), 'short', locale=locale)}"
    if event.ends is not None and event.ends.astimezone(STOCKHOLM).date() == starts.date():
        text += "–" + format_time(event.ends.astimezone(STOCKHOLM).time(), "short", locale=locale)
    return text
