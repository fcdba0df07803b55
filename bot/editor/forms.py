"""Reading the editor's form fields into knowledge-bank values, with every refusal said in
the staff's language next to the field it is about.

The bank's schema (`lotsen.knowledge.schema`) stays the one authority: the pages validate
the entry they would write with it and publish through `Publisher`, which checks the whole
bank. What is here comes first, for the mistakes people make typing into a form — a time
like 25:00, a date in another format, a language code Babel does not know — so that those
get a sentence in Swedish naming the value, not a pydantic message in English. Whatever
the schema or the publisher still refuses is put next to its field by location
(`offices.0.phone`), with the reason as the check gives it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any, TypeVar

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, HttpUrl, TypeAdapter, ValidationError

from bot.staff.accounts import AccountError
from bot.staff.i18n import gettext
from bot.staff.profile import clean_languages
from lotsen.knowledge.schema import Email, Phone
from lotsen.languages import languages, supported_codes
from lotsen.office_hours import days_off

TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
DASHES = re.compile(r"\s*[-–—−]\s*")
SEPARATORS = re.compile(r"[,;\s]+")
# `topics/x.yml:12: offices.0.phone: String should match …` (lotsen.knowledge.files.describe)
LOCATED = re.compile(r"^[^\s:]+\.yml(?::\d+)?: ([A-Za-z0-9_.]+): (.*)$", re.S)
GENERAL = ""  # the key of problems that belong to no one field
# Contact details are checked with the schema's own types, before the whole entry is.
CONTACT_TYPES: dict[str, TypeAdapter[Any]] = {
    "phone": TypeAdapter(Phone),
    "email": TypeAdapter(Email),
    "url": TypeAdapter(HttpUrl),
}


Model = TypeVar("Model", bound=BaseModel)


class FieldError(ValueError):
    """A value the editor typed that cannot be used; the message is already translated."""


@dataclass
class Problems:
    """Refusals per form field (`GENERAL` for the form as a whole), in the staff's language."""

    ui: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        if message not in self.fields.setdefault(name, []):
            self.fields[name].append(message)

    def __bool__(self) -> bool:
        return any(self.fields.values())

    def of(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def schema(self, exc: ValidationError, known: set[str]) -> None:
        """The schema's errors, each at the deepest known field its location names."""
        for error in exc.errors():
            self.located(".".join(str(p) for p in error["loc"]), str(error["msg"]), known)

    def located(self, location: str, reason: str, known: set[str], prefix: tuple[str | int, ...] = ()) -> None:
        """A reason at `location` (below `prefix`, e.g. this office's `offices.0`), shown at
        the deepest field of the form it names, else above the form."""
        reason = reason.removeprefix("Value error, ")
        head = ".".join(str(p) for p in prefix)
        if head and not (location == head or location.startswith(f"{head}.")):
            self.add(GENERAL, gettext(self.ui, "Not saved: %(reason)s", reason=f"{location}: {reason}"))
            return
        parts = location.removeprefix(head).strip(".").split(".") if location else []
        while parts and ".".join(parts) not in known:
            parts.pop()
        self.add(".".join(parts) or GENERAL, gettext(self.ui, "Not saved: %(reason)s", reason=reason))

    def refused(self, problems: list[str], known: set[str], prefix: tuple[str | int, ...] = ()) -> list[str]:
        """Put the publisher's refusals that name a field of this form next to it; the rest
        (rules across the bank) are returned to be listed above the form."""
        rest = []
        for problem in problems:
            found = LOCATED.match(problem)
            head = ".".join(str(p) for p in prefix)
            if found and (not head or found.group(1).startswith(f"{head}.")):
                self.located(found.group(1), found.group(2), known, prefix)
            else:
                rest.append(problem)
        return rest


def clock(text: str, ui: str, *, closing: bool = False) -> str:
    """`8`, `8:00`, `08.00` → `08:00`; 24:00 only as a closing time."""
    found = TIME.match(text.strip())
    if not found:
        raise FieldError(gettext(ui, "“%(value)s” is not a time. Write it like 08:00.", value=text))
    hours, minutes = int(found.group(1)), int(found.group(2) or 0)
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not closing)):
        raise FieldError(gettext(ui, "“%(value)s” is not a time of day (00:00–23:59).", value=text))
    return f"{hours:02d}:{minutes:02d}"


def intervals(text: str, ui: str) -> list[str]:
    """One weekday's opening hours as typed ("8-12, 13:00–16:30") → ["08:00-12:00", "13:00-16:30"],
    in order; refused if one closes before it opens or two overlap."""
    result = []
    for part in SEPARATORS.split(DASHES.sub("-", text.strip())):
        if not part:
            continue
        opens, dash, closes = part.partition("-")
        if not dash or not opens or not closes:
            raise FieldError(gettext(ui, "“%(value)s” is not a time span. Write it like 08:00-12:00.", value=part))
        start, end = clock(opens, ui), clock(closes, ui, closing=True)
        if start >= end:
            raise FieldError(gettext(ui, "%(value)s closes before it opens.", value=f"{start}-{end}"))
        result.append(f"{start}-{end}")
    result.sort()
    for before, after in pairwise(result):
        if after.split("-")[0] < before.split("-")[1]:
            raise FieldError(gettext(ui, "%(first)s and %(second)s overlap.", first=before, second=after))
    return result


def contact(kind: str, typed: str, ui: str) -> str | None:
    """A phone number, email address or web address (or an address, unchecked here) as
    typed, spaces tidied; None if empty."""
    value = " ".join(typed.split())
    adapter = CONTACT_TYPES.get(kind)
    if not value or adapter is None:
        return value or None
    try:
        adapter.validate_python(value)
    except ValidationError:
        if kind == "phone":
            message = gettext(ui, "“%(value)s” is not a phone number. Write it like 08-590 970 00.", value=value)
        elif kind == "email":
            message = gettext(ui, "“%(value)s” is not an email address.", value=value)
        else:
            message = gettext(
                ui, "“%(value)s” is not a web address. Write it like https://www.example.se/.", value=value
            )
        raise FieldError(message) from None
    return value


def day(text: str, ui: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FieldError(gettext(ui, "“%(value)s” is not a date. Write it like 2026-12-28.", value=text)) from None


def spoken(checked: list[str], other: str, ui: str) -> list[str]:
    """Languages people speak: the checked ones, then other codes (any language CLDR knows;
    the same check as staff profiles)."""
    try:
        return clean_languages(checked, other)
    except AccountError as exc:
        raise FieldError(gettext(ui, exc.message, **exc.params)) from None


def keep_order(old: list[str], chosen: list[str], known: Iterable[str]) -> list[str]:
    """The chosen ones among `known`: those already listed in their order, then the new
    ones in `known`'s order — ticking one more box adds it at the end of the file's line
    instead of rewriting the line."""
    wanted = [item for item in known if item in chosen]
    return [item for item in old if item in wanted] + [item for item in wanted if item not in old]


def language_name(code: str, ui: str) -> str:
    """CLDR's name of a language in the staff's language ("ti" → "tigrinja")."""
    try:
        return Locale.parse(code).get_language_name(Locale.parse(ui)) or code
    except (ValueError, UnknownLocaleError):
        return code


def language_choices(ui: str) -> list[tuple[str, str, str]]:
    """(code, name in the staff's language, name in itself) for Lotsen's eight languages."""
    return [(code, language_name(code, ui), lang.native_name) for code, lang in languages().items()]


def upcoming_days_off(today: date, days: int = 30) -> list[tuple[date, str]]:
    """Public holidays and de facto days off from today through `days` days ahead, with
    their Swedish names: every office is closed then without anyone entering it."""
    end = today + timedelta(days=days)
    found = {**days_off(today.year), **days_off(end.year)}
    return sorted((day, name) for day, name in found.items() if today <= day <= end)


def texts_in_languages(typed: dict[str, str], name: str, max_chars: int, ui: str, problems: Problems) -> dict[str, str]:
    """One text per language as typed (`name.sv`, `name.ar`, …), spaces tidied, the empty
    ones left out; one that is too long is refused at its own field."""
    texts = {code: " ".join(typed.get(code, "").split()) for code in supported_codes()}
    for code, text in texts.items():
        if len(text) > max_chars:
            too_long = gettext(ui, "%(count)d characters; at most %(max)d.", count=len(text), max=max_chars)
            problems.add(f"{name}.{code}", too_long)
    return {code: text for code, text in texts.items() if text}


def language_gaps(refused: list[str], subject: str, fields: dict[str, str], ui: str, problems: Problems) -> list[str]:
    """The bank's "every language" refusals about `subject` (`event kafe-1: no title in ar,
    fa`), said at the form field of that text (`fields`: the check's word → the field) with
    the languages' names; the other refusals are returned, to be listed above the form."""
    gap = re.compile(rf"^{re.escape(subject)}: no (?P<text>[a-z ]+) in (?P<codes>[a-z, ]+)$")
    missing: dict[str, list[str]] = {}  # the publisher names one language a line
    rest = []
    for problem in refused:
        found = gap.match(problem)
        if found and found.group("text") in fields:
            codes = missing.setdefault(fields[found.group("text")], [])
            codes.extend(code.strip() for code in found.group("codes").split(","))
        else:
            rest.append(problem)
    for name, codes in missing.items():
        names = ", ".join(language_name(code, ui) for code in codes)
        problems.add(name, gettext(ui, "Lotsen needs this in every language; missing: %(languages)s.", languages=names))
    return rest


def candidate(model: type[Model], existing: Model | None, values: Mapping[str, object]) -> Model:
    """The entry as it would be saved: `existing` (if any) with the form's values, an empty
    value or None dropping the key (raises the schema's ValidationError)."""
    data = existing.model_dump(mode="json", exclude_none=True) if existing else {}
    for key, value in values.items():
        if value is None or value == [] or value == {}:
            data.pop(key, None)
        else:
            data[key] = value
    return model.model_validate(data)


def changes(stored: Mapping[str, object], values: Mapping[str, object]) -> dict[str, object]:
    """The values that differ from the file's (`stored`, the editable fields as the file has
    them): a list in another order is no change, nor one empty value for another."""
    changed = {}
    for key, value in values.items():
        old = stored.get(key)
        if isinstance(value, list) and isinstance(old, list) and set(value) == set(old):
            continue
        if value != old and not (value in (None, {}, []) and old in (None, {}, [])):
            changed[key] = value
    return changed


def summary(ui: str, typed: str, name: str, created: bool) -> str:
    """The revision's summary: the editor's own, else "Added …" or "Edited …" and the name."""
    typed = " ".join(typed.split())
    if typed:
        return typed
    return gettext(ui, "Added %(name)s", name=name) if created else gettext(ui, "Edited %(name)s", name=name)
