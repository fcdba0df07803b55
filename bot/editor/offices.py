"""`/editor/offices`: the municipal offices' contact details and opening hours, on the web.

Office hours are what newcomers act on ("can I chat with someone now?"), and they change
more often than the answers do: a lunch closure, a staff day, the afternoon before a
holiday. So editors change them here, without YAML: a text field per weekday
("08:00-12:00, 13:00-16:30"), closed days and half days as rows, the staff's languages
as checkboxes (any other language as codes), and a "verified" tick for each detail still
listed as unconfirmed. Before saving they see what users will be told — "chat is open
now" or when it opens next, in every language — and which public holidays of the coming
month close the office anyway.

Only the fields the editor changed are written, into the file as it is (ruamel round trip:
comments and layout stay), and saved like every other change: checked with the whole
bank, recorded as a revision, live on the next question (lotsen/knowledge/publishing.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import zip_longest
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.db import Staff
from bot.editor.entries import after_save, current_bank, parsed_file, shown_outcome
from bot.editor.forms import (
    GENERAL,
    FieldError,
    Problems,
    candidate,
    clock,
    contact,
    day,
    intervals,
    keep_order,
    language_choices,
    language_name,
    spoken,
    upcoming_days_off,
)
from bot.editor.labels import OFFICE_FIELDS
from bot.editor.revisions import journal, publish_error, publisher
from bot.staff.i18n import gettext
from bot.staff.pages import EDITOR, error_page, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.knowledge import KnowledgeError, MunicipalityOffices, Office
from lotsen.knowledge.editing import Values, fingerprint, offices_path, save_edit, with_office
from lotsen.knowledge.schema import WEEKDAYS
from lotsen.languages import languages
from lotsen.municipalities import municipalities
from lotsen.office_hours import STOCKHOLM
from lotsen.office_text import chat_status, describe_office

log = logging.getLogger(__name__)

CONTACT = ("phone", "email", "address", "url")
HOURS = ("chat_hours", "phone_hours", "visit_hours")
BLANK_ROWS = 2  # empty rows under the closed days and half days, for adding without JavaScript
KNOWN_FIELDS = {
    *CONTACT,
    "languages",
    "closed",
    "half_days",
    "unverified",
    *HOURS,
    *(f"{hours}.{day}" for hours in HOURS for day in WEEKDAYS),
}


def now() -> datetime:
    """The moment the previews are for (a test sets it)."""
    return datetime.now(timezone.utc)


Rows = list[tuple[str, str]]


def _padded(rows: Rows) -> Rows:
    filled = [row for row in rows if any(part.strip() for part in row)]
    return [*filled, *[("", "")] * BLANK_ROWS]


@dataclass
class OfficeForm:
    """The form as the editor sees it: every value as typed, so a refused form comes back
    exactly as it was sent."""

    contact: dict[str, str]
    hours: dict[str, dict[str, str]]  # chat_hours → mon → "08:00-12:00, 13:00-16:30"
    languages: list[str]  # checked among Lotsen's eight
    other_languages: str  # other codes, space separated
    closed: Rows  # (date, note)
    half_days: Rows  # (date, closing time)
    verified: list[str] = field(default_factory=list)  # unverified fields ticked as verified
    summary: str = ""

    @classmethod
    def of(cls, office: Office) -> OfficeForm:
        def hours_text(name: str, weekday: str) -> str:
            hours = getattr(office, name)
            return ", ".join(getattr(hours, weekday)) if hours is not None else ""

        return cls(
            contact={name: str(getattr(office, name) or "") for name in CONTACT},
            hours={name: {weekday: hours_text(name, weekday) for weekday in WEEKDAYS} for name in HOURS},
            languages=[code for code in office.languages if code in languages()],
            other_languages=" ".join(code for code in office.languages if code not in languages()),
            closed=_padded([(entry.date.isoformat(), entry.note) for entry in office.closed]),
            half_days=_padded([(entry.date.isoformat(), entry.closes) for entry in office.half_days]),
        )

    @classmethod
    def posted(cls, form: FormData) -> OfficeForm:
        def text(name: str) -> str:
            return str(form.get(name) or "")

        def rows(first: str, second: str) -> Rows:
            pairs = zip_longest(form.getlist(first), form.getlist(second), fillvalue="")  # a forged form may differ
            return [(str(a), str(b)) for a, b in pairs]

        return cls(
            contact={name: text(name) for name in CONTACT},
            hours={name: {weekday: text(f"{name}.{weekday}") for weekday in WEEKDAYS} for name in HOURS},
            languages=[str(code) for code in form.getlist("languages")],
            other_languages=text("other_languages"),
            closed=_padded(rows("closed.date", "closed.note")),
            half_days=_padded(rows("half_days.date", "half_days.closes")),
            verified=[str(name) for name in form.getlist("verified")],
            summary=text("summary"),
        )


def _contact(name: str, typed: str, ui: str, problems: Problems) -> str | None:
    try:
        return contact(name, typed, ui)
    except FieldError as exc:
        problems.add(name, str(exc))
        return " ".join(typed.split())


def _rows(rows: Rows, second: str, ui: str, problems: Problems) -> list[dict[str, object]]:
    """Closed days (date, note) or half days (date, closes), sorted by date; a row with
    an empty date and nothing else is no row."""
    found: dict[date, dict[str, object]] = {}
    for typed_date, typed_other in rows:
        if not typed_date.strip() and not typed_other.strip():
            continue
        try:
            when = day(typed_date, ui)
            other = typed_other.strip() if second == "note" else clock(typed_other, ui)
        except FieldError as exc:
            problems.add("closed" if second == "note" else "half_days", str(exc))
            continue
        found[when] = {"date": when, second: other} if other else {"date": when}
    return [found[when] for when in sorted(found)]


def form_values(form: OfficeForm, office: Office, ui: str, problems: Problems) -> dict[str, object]:
    """The office's fields as the bank stores them (None or empty: the key goes)."""
    values: dict[str, object] = {name: _contact(name, form.contact[name], ui, problems) for name in CONTACT}
    try:
        codes = spoken(form.languages, form.other_languages, ui)
        values["languages"] = keep_order(office.languages, codes, codes)
    except FieldError as exc:
        problems.add("languages", str(exc))
    for name in HOURS:
        days: dict[str, list[str]] = {}
        for weekday in WEEKDAYS:
            try:
                days[weekday] = intervals(form.hours[name][weekday], ui)
            except FieldError as exc:
                problems.add(f"{name}.{weekday}", str(exc))
        values[name] = {weekday: spans for weekday, spans in days.items() if spans} or None
    values["closed"] = _rows(form.closed, "note", ui, problems)
    values["half_days"] = _rows(form.half_days, "closes", ui, problems)
    values["unverified"] = [name for name in office.unverified if name not in form.verified]
    if office.handoff and not values["chat_hours"] and not any(problems.of(f"chat_hours.{d}") for d in WEEKDAYS):
        problems.add("chat_hours", gettext(ui, "This office takes the chats from Lotsen, so it needs chat hours."))
    if not any(values[name] for name in CONTACT) and not any(problems.of(name) for name in CONTACT):
        problems.add(
            GENERAL, gettext(ui, "Give at least one way to reach the office: phone, email, web page or address.")
        )
    return values


@dataclass(frozen=True)
class PreviewLine:
    code: str
    name: str
    direction: str
    status: str | None  # "Chat is open now." / "Chat opens next: …"; None: the office takes no chats
    full: str  # the whole office message, as the bot sends it


def preview(office: Office, at: datetime) -> list[PreviewLine]:
    """What users are told about this office at `at`, in every language (actions/offices.py)."""
    return [
        PreviewLine(
            code, lang.native_name, lang.direction, chat_status(office, code, at), describe_office(office, code, at)
        )
        for code, lang in languages().items()
    ]


def _locate(request: Request) -> tuple[Path, str, MunicipalityOffices, int, Office] | None:
    """The office named by the URL: its file, that file's text, the parsed file, and where in it."""
    municipality, office_id = request.path_params["municipality"], request.path_params["office_id"]
    found = parsed_file(request, offices_path, municipality, MunicipalityOffices)
    if found is None:
        return None
    path, text, entry = found
    for index, office in enumerate(entry.offices):
        if office.id == office_id:
            return path, text, entry, index, office
    return None


def holidays(ui: str, at: datetime) -> list[tuple[str, str]]:
    """The days off of the coming 30 days, dated in the staff's language."""
    locale = Locale.parse(ui)
    return [
        (format_date(when, "full", locale=locale), name)
        for when, name in upcoming_days_off(at.astimezone(STOCKHOLM).date())
    ]


def _context(
    request: Request, account: Staff, path: Path, entry: MunicipalityOffices, office: Office
) -> dict[str, Any]:
    ui = ui_language(request)
    locale = Locale.parse(ui)
    at = now()
    return {
        "account": account,
        "path": publisher(request).relative(path),
        "municipality": entry.municipality,
        "municipality_name": municipalities().get(entry.municipality, entry.municipality),
        "office": office,
        "labels": OFFICE_FIELDS,
        "weekdays": [(key, locale.days["format"]["wide"][i]) for i, key in enumerate(WEEKDAYS)],
        "hours_fields": HOURS,
        "choices": language_choices(ui),
        "holidays": holidays(ui, at),
        "problems": Problems(ui),
        "error": None,
        "rest": [],
        "saved": None,
        "unchanged": False,
        "verdict": None,
        "preview": preview(office, at),
        "preview_is_saved": True,
    }


def _other_names(form: OfficeForm, ui: str) -> list[str]:
    """The other codes with their CLDR names, so a typo shows before saving (ps — pashto)."""
    named = [(code, language_name(code, ui)) for code in form.other_languages.replace(",", " ").split()]
    return [f"{code} — {name}" for code, name in named if name != code]


async def edit_office(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    found = _locate(request)
    if found is None:
        return error_page(request, gettext(ui, "No such office."), 404, account)
    path, text, entry, index, office = found
    context = _context(request, account, path, entry, office)
    if request.method == "GET":
        form = OfficeForm.of(office)
        context.update(
            form=form,
            other_names=_other_names(form, ui),
            fingerprint=fingerprint(text),
            **shown_outcome(request),
            verdict=await asyncio.to_thread(publisher(request).check, context["path"], text),
        )
        return render(request, "editor/offices_edit.html", context)
    return await _post(request, account, path, index, office, context)


def _summary(ui: str, form: OfficeForm, office: Office, changed: Values) -> str:
    """The editor's own summary, else the office and the fields changed or verified."""
    typed = " ".join(form.summary.split())
    if typed:
        return typed
    names = [gettext(ui, OFFICE_FIELDS[key]) for key in changed if key in OFFICE_FIELDS]
    confirmed = [gettext(ui, OFFICE_FIELDS.get(key, key)) for key in office.unverified if key in form.verified]
    if confirmed:
        names.append(gettext(ui, "verified: %(fields)s", fields=", ".join(confirmed)))
    return gettext(ui, "%(office)s: %(fields)s", office=office.name, fields=", ".join(names))


async def _post(
    request: Request, account: Staff, path: Path, index: int, office: Office, context: dict[str, Any]
) -> Response:
    """Preview or save the posted form; a refused save shows every reason at its field."""
    ui = ui_language(request)
    posted = await request.form()
    form = OfficeForm.posted(posted)
    problems: Problems = context["problems"]
    context.update(form=form, other_names=_other_names(form, ui), fingerprint=str(posted.get("fingerprint") or ""))
    if not csrf_ok(request, posted):
        problems.add(GENERAL, gettext(ui, "The form had expired. Reload the page and try again."))
        return render(request, "editor/offices_edit.html", context, status=400)
    values = form_values(form, office, ui, problems)
    if not problems:
        try:
            context.update(preview=preview(candidate(Office, office, values), now()), preview_is_saved=False)
        except ValidationError as exc:
            problems.schema(exc, KNOWN_FIELDS)
    if problems:
        return render(
            request, "editor/offices_edit.html", context, status=422 if posted.get("action") == "save" else 200
        )
    if posted.get("action") != "save":
        return render(request, "editor/offices_edit.html", context)
    original = form_values(OfficeForm.of(office), office, ui, Problems(ui))
    changed = {key: value for key, value in values.items() if value != original.get(key)}
    target = f"/editor/offices/{context['municipality']}/{office.id}"
    if not changed:
        return after_save(target, None)

    def edit(text: str | None) -> str:
        if text is None:
            raise KnowledgeError(gettext(ui, "The file was removed."))
        return with_office(text, office.id, changed)

    try:
        published = await save_edit(
            publisher(request),
            journal(request),
            path,
            edit,
            expected_fingerprint=context["fingerprint"],
            actor=account.username,
            summary=_summary(ui, form, office, changed),
        )
    except KnowledgeError as exc:
        context["error"], refused, status = publish_error(request, exc)
        context["rest"] = problems.refused(refused, KNOWN_FIELDS, ("offices", index))
        return render(request, "editor/offices_edit.html", context, status=status)
    log.info("editor %s saved office %s (%s)", account.username, office.id, ", ".join(changed))
    return after_save(target, published.revision_id)


@dataclass(frozen=True)
class OfficeRow:
    office: Office
    status: str | None
    unverified: list[str]


async def offices_index(request: Request) -> Response:
    """Every municipality's offices: chat open or not right now, and what is unconfirmed."""
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    bank = current_bank(request)
    at = now()
    directory = request.app.state.settings.knowledge_dir
    groups = []
    for municipality, entry in sorted(bank.offices.items(), key=lambda item: municipalities().get(item[0], item[0])):
        try:
            relative = publisher(request).relative(offices_path(directory, municipality))
        except KnowledgeError:
            relative = None
        rows = [
            OfficeRow(office, chat_status(office, ui, at), [OFFICE_FIELDS.get(n, n) for n in office.unverified])
            for office in entry.offices
        ]
        groups.append((municipality, municipalities().get(municipality, municipality), entry, relative, rows))
    return render(request, "editor/offices.html", {"account": account, "groups": groups, "holidays": holidays(ui, at)})


ROUTES = [
    Route("/editor/offices", offices_index),
    Route("/editor/offices/{municipality:str}/{office_id:str}", edit_office, methods=["GET", "POST"]),
]
