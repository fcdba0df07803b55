"""The knowledge bank's schema: topics, offices, associations and interest tags.

Editors write these as YAML (docs/knowledge.md explains every field with examples); the
pydantic models here are the single definition both the action server and the editor
pages validate against, so an edit that passes one passes the other.

Rules that need the whole bank (a related topic exists, one office per municipality
takes chats…) are checked in `bank.py`; rules about one value are here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from typing import Annotated, Literal

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from lotsen.languages import supported_codes
from lotsen.municipalities import municipality_ids

MAX_MESSAGE_CHARS = 600
MAX_DESCRIPTION_CHARS = 400
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Message = Annotated[str, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 -]{4,20}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
Interval = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$")]


class Strict(BaseModel):
    """Unknown fields are errors: a misspelt key must not silently do nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_languages(texts: Mapping[str, object], *, allow_empty: bool = False) -> None:
    unknown = sorted(set(texts) - set(supported_codes()))
    if unknown:
        raise ValueError(f"unknown language code(s) {', '.join(unknown)}; use one of {', '.join(supported_codes())}")
    if not allow_empty:
        empty = sorted(code for code, value in texts.items() if not value)
        if empty:
            raise ValueError(f"empty text for: {', '.join(empty)}")


def _check_municipality(municipality: str) -> str:
    if municipality not in municipality_ids():
        raise ValueError(f"unknown municipality {municipality!r}; use one of {', '.join(municipality_ids())}")
    return municipality


class Source(Strict):
    """An official page the answer is based on (http or https only)."""

    title: str = Field(min_length=1, max_length=120)
    url: HttpUrl


class Reviewed(Strict):
    """When an editor last verified the facts against the sources (and who), and when
    someone must look again. Content nobody has verified has no `last_checked` — the bot
    then shows no "last checked" date, rather than the day the text was written."""

    last_checked: date | None = None
    checked_by: str | None = Field(default=None, max_length=120)
    review_by: date

    @model_validator(mode="after")
    def _review_after_check(self) -> Reviewed:
        if self.last_checked is not None and self.review_by < self.last_checked:
            raise ValueError("review_by must not be before last_checked")
        return self


Answers = dict[str, list[Message]]


class Override(Strict):
    """What differs in one municipality.

    The local messages come first; `replace: true` drops the national answer after them
    (for topics where the national text would be wrong locally).
    """

    replace: bool = False
    sources: list[Source] = Field(default_factory=list)
    answers: Answers = Field(min_length=1)

    @field_validator("answers")
    @classmethod
    def _languages(cls, answers: Answers) -> Answers:
        _check_languages(answers)
        return answers


class Topic(Reviewed):
    """One topic intent's answer: per language, a list of chat messages.

    `local: true` means the answer depends on where the user lives: Lotsen asks for the
    municipality when it does not know it yet. `related` names the topics offered as
    buttons after the answer.
    """

    id: Slug
    intent: str = Field(pattern=r"^ask_[a-z_]+$")
    local: bool = False
    related: list[Annotated[str, Field(pattern=r"^ask_[a-z_]+$")]] = Field(default_factory=list, max_length=4)
    sources: list[Source] = Field(min_length=1)
    answers: Answers = Field(min_length=1)
    overrides: dict[str, Override] = Field(default_factory=dict)

    @field_validator("answers")
    @classmethod
    def _languages(cls, answers: Answers) -> Answers:
        _check_languages(answers)
        return answers

    @field_validator("overrides")
    @classmethod
    def _municipalities(cls, overrides: dict[str, Override]) -> dict[str, Override]:
        for municipality in overrides:
            _check_municipality(municipality)
        return overrides


class Hours(Strict):
    """Opening intervals per weekday, `"08:00-16:00"`; a missing day is closed."""

    mon: list[Interval] = Field(default_factory=list)
    tue: list[Interval] = Field(default_factory=list)
    wed: list[Interval] = Field(default_factory=list)
    thu: list[Interval] = Field(default_factory=list)
    fri: list[Interval] = Field(default_factory=list)
    sat: list[Interval] = Field(default_factory=list)
    sun: list[Interval] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        for day in WEEKDAYS:
            previous_end = ""
            for interval in getattr(self, day):
                start, end = interval.split("-")
                if start >= end:
                    raise ValueError(f"{day}: {interval} closes before it opens")
                if start < previous_end:
                    raise ValueError(f"{day}: {interval} overlaps the interval before it")
                previous_end = end
        return self

    def on(self, weekday: int) -> list[tuple[time, time]]:
        """The intervals for a weekday (0 = Monday), as times; 24:00 becomes 23:59:59."""
        result = []
        for interval in getattr(self, WEEKDAYS[weekday]):
            start, end = interval.split("-")
            close = time(23, 59, 59) if end == "24:00" else time.fromisoformat(end)
            result.append((time.fromisoformat(start), close))
        return result

    def is_empty(self) -> bool:
        return not any(getattr(self, day) for day in WEEKDAYS)


class ClosedDay(Strict):
    """A date the office is closed beyond public holidays (e.g. a staff training day)."""

    date: date
    note: str = ""


class HalfDay(Strict):
    """A date the office closes early (e.g. the day before a public holiday)."""

    date: date
    closes: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


SpokenLanguage = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


def _check_spoken(codes: list[str]) -> list[str]:
    """Spoken languages may be any language CLDR knows (staff may speak Pashto or Dari)."""
    for code in codes:
        try:
            Locale.parse(code)
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"unknown language code {code!r}") from None
    return codes


class Office(Strict):
    """A municipal office newcomers can call, visit or chat with.

    `handoff: true` marks the office whose staff answer Lotsen conversations; its
    `chat_hours` decide when a person can take over. `unverified` lists fields copied
    from an old or unofficial source that an editor still has to confirm.
    """

    id: Slug
    name: str = Field(min_length=1, max_length=120)
    handoff: bool = False
    phone: Phone | None = None
    email: Email | None = None
    address: str | None = Field(default=None, max_length=200)
    url: HttpUrl | None = None
    languages: list[SpokenLanguage] = Field(default_factory=list)
    chat_hours: Hours | None = None
    visit_hours: Hours | None = None
    phone_hours: Hours | None = None
    closed: list[ClosedDay] = Field(default_factory=list)
    half_days: list[HalfDay] = Field(default_factory=list)
    unverified: list[str] = Field(default_factory=list)

    @field_validator("languages")
    @classmethod
    def _spoken(cls, codes: list[str]) -> list[str]:
        return _check_spoken(codes)

    @model_validator(mode="after")
    def _consistent(self) -> Office:
        if self.handoff and (self.chat_hours is None or self.chat_hours.is_empty()):
            raise ValueError("the handoff office needs chat_hours")
        if not (self.phone or self.email or self.url or self.address):
            raise ValueError("give at least one way to reach the office: phone, email, url or address")
        fields = set(type(self).model_fields)
        unknown = sorted(set(self.unverified) - fields)
        if unknown:
            raise ValueError(f"unverified names unknown field(s): {', '.join(unknown)}")
        return self


class MunicipalityOffices(Reviewed):
    """`data/knowledge/offices/<municipality>.yml`: one municipality's offices."""

    municipality: str
    offices: list[Office] = Field(min_length=1)

    @field_validator("municipality")
    @classmethod
    def _known(cls, municipality: str) -> str:
        return _check_municipality(municipality)

    @model_validator(mode="after")
    def _one_handoff(self) -> MunicipalityOffices:
        handoff = [office.id for office in self.offices if office.handoff]
        if len(handoff) > 1:
            raise ValueError(f"only one office may take chats; these all say handoff: {', '.join(handoff)}")
        ids = [office.id for office in self.offices]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate office id(s): {', '.join(duplicates)}")
        return self

    @property
    def handoff_office(self) -> Office | None:
        return next((office for office in self.offices if office.handoff), None)


class Interest(Strict):
    """An interest tag for the association search: its name and the words that mean it."""

    id: Slug
    names: dict[str, str]
    keywords: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("names", "keywords")
    @classmethod
    def _languages(cls, texts: dict[str, object]) -> dict[str, object]:
        _check_languages(texts)
        return texts


class Interests(Strict):
    """`data/knowledge/interests.yml`: the tags associations may carry."""

    interests: list[Interest] = Field(min_length=1)


class Contact(Strict):
    url: HttpUrl | None = None
    email: Email | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _some(self) -> Contact:
        if not (self.url or self.email or self.phone):
            raise ValueError("give at least one of url, email or phone")
        return self


Description = Annotated[str, Field(min_length=1, max_length=MAX_DESCRIPTION_CHARS)]


class Association(Reviewed):
    """`data/knowledge/associations/<id>.yml`: a local association or organisation.

    `municipalities` lists where it is active; `national: true` means it is active in
    many places (Lotsen then shows it everywhere and says to check the local group).
    """

    id: Slug
    name: str = Field(min_length=1, max_length=120)
    kind: Literal["association", "organisation", "library", "study_association", "municipal_service"]
    national: bool = False
    municipalities: list[str] = Field(default_factory=list)
    interests: list[str] = Field(min_length=1)
    languages: list[SpokenLanguage] = Field(min_length=1)
    description: dict[str, Description] = Field(min_length=1)
    meets: dict[str, str] = Field(default_factory=dict)
    contact: Contact
    free: bool | None = None

    @field_validator("municipalities")
    @classmethod
    def _known(cls, municipalities: list[str]) -> list[str]:
        for municipality in municipalities:
            _check_municipality(municipality)
        return municipalities

    @field_validator("languages")
    @classmethod
    def _spoken(cls, codes: list[str]) -> list[str]:
        return _check_spoken(codes)

    @field_validator("description", "meets")
    @classmethod
    def _texts(cls, texts: dict[str, str]) -> dict[str, str]:
        _check_languages(texts)
        return texts

    @model_validator(mode="after")
    def _somewhere(self) -> Association:
        if not self.national and not self.municipalities:
            raise ValueError("say where it is active: municipalities, or national: true")
        return self


NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*\.yml$")
