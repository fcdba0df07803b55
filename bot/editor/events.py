"""`/editor/events`: local events on the web — list the coming and the past ones, add one,
edit it, and remove it, without YAML.

Events are the bank's most short-lived entries: an information evening is announced a few
weeks ahead by the municipality or an association, and the person who hears of it is a
municipal editor, not a developer. The form takes what a poster says — title and
description in each of the eight languages, the day and time in Swedish time, the place
and municipality, the languages spoken there, the topics it is about (so "events about
work" finds it) and a registration link or the association that runs it. An event drops
out of the bot's answers by itself once it is over, so the list shows past events apart,
to be removed when nobody needs them any more.

Saving is the associations' path (bot/editor/associations.py): the form's own checks first
(each refusal in the staff's language at its field, and what was typed kept), then the
schema, the whole bank's check, a revision and the file written (one file per event,
`events/<id>.yml`); the action server reloads it on the next question. Removing deletes the
file as a revision, which the revision page can restore.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import Staff
from bot.editor.associations import slug
from bot.editor.entries import after_save, current_bank, parsed_file, retire, shown_outcome
from bot.editor.forms import (
    GENERAL,
    FieldError,
    Problems,
    candidate,
    changes,
    clock,
    contact,
    day,
    keep_order,
    language_choices,
    language_gaps,
    language_name,
    spoken,
    summary,
    texts_in_languages,
)
from bot.editor.revisions import journal, publish_error, publisher
from bot.staff.i18n import gettext
from bot.staff.pages import EDITOR, error_page, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.i18n import t
from lotsen.knowledge import KnowledgeBank, KnowledgeError, in_language
from lotsen.knowledge.editing import event_path, fingerprint, new_file, save_edit, with_fields
from lotsen.knowledge.events import STOCKHOLM, Event, upcoming, when
from lotsen.knowledge.publishing import ABSENT
from lotsen.knowledge.schema import MAX_DESCRIPTION_CHARS
from lotsen.languages import languages, supported_codes
from lotsen.municipalities import municipalities
from lotsen.topics import TOPIC_TITLES

log = logging.getLogger(__name__)

# The order of the keys in an event file; new keys go in their place.
FILE_ORDER = (
    "id", "title", "description", "starts", "ends", "place", "municipality", "languages", "topics",
    "registration", "association",
)  # fmt: skip
MAX_TITLE_CHARS = 120
MAX_PLACE_CHARS = 160
MAX_ID_CHARS = 64
RESERVED_IDS = {"new"}  # /editor/events/new is the form for a new one
SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
MOMENT = "%Y-%m-%d %H:%M"  # how the file writes a time: Swedish local time, as on a poster
KNOWN_FIELDS = {
    *FILE_ORDER,
    *(f"{texts}.{code}" for texts in ("title", "description") for code in supported_codes()),
}
TEXTS = {"title": "title", "description": "description"}  # check-data's word → the form's field


def now() -> datetime:
    """The moment that decides which events are coming and which are past (a test sets it)."""
    return datetime.now(STOCKHOLM)


@dataclass
class EventForm:
    """The form as typed, so a refused form comes back exactly as it was sent."""

    id: str = ""
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)
    starts_date: str = ""
    starts_time: str = ""
    ends_date: str = ""  # empty: the day it starts
    ends_time: str = ""  # empty: no end time (Lotsen then assumes two hours)
    place: str = ""
    municipality: str = ""
    languages: list[str] = field(default_factory=list)
    other_languages: str = ""
    topics: list[str] = field(default_factory=list)
    registration: str = ""
    association: str = ""
    summary: str = ""

    @classmethod
    def of(cls, event: Event) -> EventForm:
        codes = supported_codes()
        starts = event.starts.astimezone(STOCKHOLM)
        ends = event.ends.astimezone(STOCKHOLM) if event.ends is not None else None
        return cls(
            id=event.id,
            title=dict(event.title),
            description=dict(event.description),
            starts_date=starts.date().isoformat(),
            starts_time=starts.strftime("%H:%M"),
            ends_date=ends.date().isoformat() if ends is not None and ends.date() != starts.date() else "",
            ends_time=ends.strftime("%H:%M") if ends is not None else "",
            place=event.place,
            municipality=event.municipality,
            languages=[code for code in event.languages if code in codes],
            other_languages=" ".join(code for code in event.languages if code not in codes),
            topics=list(event.topics),
            registration=str(event.registration or ""),
            association=event.association or "",
        )

    @classmethod
    def posted(cls, form: FormData) -> EventForm:
        def text(name: str) -> str:
            return str(form.get(name) or "")

        return cls(
            id=text("id").strip(),
            title={code: text(f"title.{code}") for code in supported_codes()},
            description={code: text(f"description.{code}") for code in supported_codes()},
            starts_date=text("starts_date").strip(),
            starts_time=text("starts_time").strip(),
            ends_date=text("ends_date").strip(),
            ends_time=text("ends_time").strip(),
            place=text("place"),
            municipality=text("municipality"),
            languages=[str(value) for value in form.getlist("languages")],
            other_languages=text("other_languages"),
            topics=[str(value) for value in form.getlist("topics")],
            registration=text("registration"),
            association=text("association"),
            summary=text("summary"),
        )

    def coverage(self) -> list[tuple[str, bool]]:
        """Which of the eight languages have both a title and a description."""
        return [
            (code, bool(self.title.get(code, "").strip() and self.description.get(code, "").strip()))
            for code in supported_codes()
        ]


def _moment(date_text: str, time_text: str, ui: str) -> datetime:
    """A day and a time as typed, in Swedish time."""
    moment = datetime.combine(day(date_text, ui), datetime.strptime(clock(time_text, ui), "%H:%M").time())
    return moment.replace(tzinfo=STOCKHOLM)


def _when(form: EventForm, existing: Event | None, ui: str, problems: Problems) -> dict[str, object]:
    """`starts` and `ends` as the file writes them; an end before the start, or a start in
    the past (for a new event, or one moved), is refused."""
    values: dict[str, object] = {}
    starts = ends = None
    if not form.starts_date or not form.starts_time:
        problems.add("starts", gettext(ui, "Give the day and the time it starts."))
    else:
        try:
            starts = _moment(form.starts_date, form.starts_time, ui)
            values["starts"] = starts.strftime(MOMENT)
        except FieldError as exc:
            problems.add("starts", str(exc))
    if form.ends_date and not form.ends_time:
        problems.add("ends", gettext(ui, "Give the time it ends too, or leave the end empty."))
    elif form.ends_time:
        try:
            ends = _moment(form.ends_date or form.starts_date, form.ends_time, ui)
            values["ends"] = ends.strftime(MOMENT)
        except FieldError as exc:
            problems.add("ends", str(exc))
    else:
        values["ends"] = None
    if starts is not None and ends is not None and ends <= starts:
        problems.add(
            "ends",
            gettext(
                ui,
                "It ends before it starts: %(ends)s is not after %(starts)s.",
                ends=ends.strftime(MOMENT),
                starts=starts.strftime(MOMENT),
            ),
        )
    moved = existing is None or starts != existing.starts
    if starts is not None and moved and starts < now():
        problems.add("starts", gettext(ui, "The start must not be in the past."))
    return values


def form_values(
    form: EventForm, bank: KnowledgeBank, ui: str, problems: Problems, *, existing: Event | None
) -> dict[str, object]:
    """The event's fields as the bank stores them, in file order (None: the key goes)."""
    values: dict[str, object] = {}
    title = texts_in_languages(form.title, "title", MAX_TITLE_CHARS, ui, problems)
    if existing is None:
        named = title.get("sv") or next(iter(title.values()), "")
        dated = f"-{form.starts_date}" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", form.starts_date) else ""
        made = f"{slug(named)[: MAX_ID_CHARS - len(dated)].rstrip('-')}{dated}" if slug(named) else ""
        values["id"] = new_id = form.id or made
        if not SLUG.match(new_id) or len(new_id) > MAX_ID_CHARS or new_id in RESERVED_IDS:
            if new_id or form.id:
                problems.add(
                    "id", gettext(ui, "Use a–z, digits and hyphens, starting with a letter, e.g. sprakcafe-bastad.")
                )
        elif any(event.id == new_id for event in bank.events):
            problems.add("id", gettext(ui, "There is already an event with the id %(id)s.", id=new_id))
    values["title"] = title
    if not title:
        problems.add("title", gettext(ui, "Write the title in at least one language."))
    values["description"] = description = texts_in_languages(
        form.description, "description", MAX_DESCRIPTION_CHARS, ui, problems
    )
    if not description:
        problems.add("description", gettext(ui, "Write the description in at least one language."))
    values.update(_when(form, existing, ui, problems))
    values["place"] = place = " ".join(form.place.split())
    if not place:
        problems.add("place", gettext(ui, "Write where it takes place, e.g. the library's address."))
    elif len(place) > MAX_PLACE_CHARS:
        too_long = gettext(ui, "%(count)d characters; at most %(max)d.", count=len(place), max=MAX_PLACE_CHARS)
        problems.add("place", too_long)
    values["municipality"] = form.municipality
    if form.municipality not in municipalities():
        problems.add("municipality", gettext(ui, "Choose the municipality where it takes place."))
    try:
        codes = spoken(form.languages, form.other_languages, ui)
        values["languages"] = keep_order(existing.languages if existing else [], codes, codes)
        if not codes:
            problems.add("languages", gettext(ui, "Choose at least one language spoken there."))
    except FieldError as exc:
        problems.add("languages", str(exc))
    values["topics"] = keep_order(existing.topics if existing else [], form.topics, bank.topics)
    try:
        values["registration"] = contact("url", form.registration, ui)
    except FieldError as exc:
        problems.add("registration", str(exc))
    values["association"] = form.association or None
    if form.association and form.association not in {a.id for a in bank.associations}:
        problems.add("association", gettext(ui, "Choose the association from the list."))
    return values


def _stored(event: Event) -> dict[str, object]:
    """The editable fields as the file has them, to write only what the editor changed."""
    return {
        "title": dict(event.title),
        "description": dict(event.description),
        "starts": event.starts.astimezone(STOCKHOLM).strftime(MOMENT),
        "ends": event.ends.astimezone(STOCKHOLM).strftime(MOMENT) if event.ends is not None else None,
        "place": event.place,
        "municipality": event.municipality,
        "languages": list(event.languages),
        "topics": list(event.topics),
        "registration": str(event.registration) if event.registration is not None else None,
        "association": event.association,
    }


def _locate(request: Request) -> tuple[Path, str, Event] | None:
    return parsed_file(request, event_path, request.path_params["event_id"], Event)


@dataclass(frozen=True)
class Row:
    """An event as the list shows it, in the staff's language and Swedish time."""

    event: Event
    title: str
    when: str
    municipality: str
    languages: str
    coverage: list[tuple[str, bool]]


def _row(event: Event, ui: str) -> Row:
    return Row(
        event,
        in_language(event.title, ui)[1],
        when(event, ui),
        municipalities().get(event.municipality, event.municipality),
        ", ".join(language_name(code, ui) for code in event.languages),
        EventForm.of(event).coverage(),
    )


async def events_index(request: Request) -> Response:
    """Coming events soonest first; past ones apart, the latest first (they can be removed)."""
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    bank = current_bank(request)
    moment = now()
    coming = upcoming(bank.events, None, moment)
    past = sorted((e for e in bank.events if e.is_over(moment)), key=lambda e: (e.starts, e.id), reverse=True)
    retired = request.query_params.get("retired", "")
    context = {
        "account": account,
        "coming": [_row(event, ui) for event in coming],
        "past": [_row(event, ui) for event in past],
        "codes": supported_codes(),
        "retired": int(retired) if retired.isdigit() else None,
    }
    return render(request, "editor/events.html", context)


def _context(request: Request, account: Staff, bank: KnowledgeBank, form: EventForm) -> dict[str, Any]:
    ui = ui_language(request)
    return {
        "account": account,
        "form": form,
        "municipalities": municipalities(),
        "topics": [(intent, t(ui, TOPIC_TITLES.get(intent, intent))) for intent in sorted(bank.topics)],
        "associations": [(a.id, a.name) for a in sorted(bank.associations, key=lambda a: a.name.casefold())],
        "choices": language_choices(ui),
        "directions": {code: lang.direction for code, lang in languages().items()},
        "max_title": MAX_TITLE_CHARS,
        "max_chars": MAX_DESCRIPTION_CHARS,
        "problems": Problems(ui),
        "error": None,
        "rest": [],
        "saved": None,
        "unchanged": False,
        "existing": None,
        "existing_title": None,
        "path": None,
        "fingerprint": ABSENT,
    }


async def new_event(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    bank = current_bank(request)
    context = _context(request, account, bank, EventForm())
    if request.method == "GET":
        return render(request, "editor/events_edit.html", context)
    return await _post(request, account, bank, None, context)


async def edit_event(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    found = _locate(request)
    if found is None:
        return error_page(request, gettext(ui, "No such event."), 404, account)
    path, text, event = found
    bank = current_bank(request)
    context = _context(request, account, bank, EventForm.of(event))
    context.update(
        existing=event,
        existing_title=in_language(event.title, ui)[1],
        path=publisher(request).relative(path),
        fingerprint=fingerprint(text),
        **shown_outcome(request),
    )
    if request.method == "GET":
        return render(request, "editor/events_edit.html", context)
    return await _post(request, account, bank, path, context)


async def _post(
    request: Request, account: Staff, bank: KnowledgeBank, path: Path | None, context: dict[str, Any]
) -> Response:
    """Save the posted form (a new event when `path` is None); a refused save shows every
    reason at its field and keeps what was typed."""
    ui = ui_language(request)
    existing: Event | None = context["existing"]
    posted = await request.form()
    form = EventForm.posted(posted)
    if existing is not None:
        form.id = existing.id
    problems: Problems = context["problems"]
    context.update(form=form, fingerprint=str(posted.get("fingerprint") or ""))
    if not csrf_ok(request, posted):
        problems.add(GENERAL, gettext(ui, "The form had expired. Reload the page and try again."))
        return render(request, "editor/events_edit.html", context, status=400)
    values = form_values(form, bank, ui, problems, existing=existing)
    if not problems:
        try:
            candidate(Event, existing, values)
        except ValidationError as exc:
            problems.schema(exc, KNOWN_FIELDS)
    event_id = existing.id if existing is not None else str(values.get("id", ""))
    if path is None and not problems:
        path = Path(request.app.state.settings.knowledge_dir) / "events" / f"{event_id}.yml"
        if path.exists():
            problems.add("id", gettext(ui, "There is already an event with the id %(id)s.", id=event_id))
    if problems or path is None:
        return render(request, "editor/events_edit.html", context, status=422)
    changed = changes(_stored(existing), values) if existing is not None else values
    target = f"/editor/events/{event_id}"
    if not changed:
        return after_save(target, None)
    title = in_language(cast(dict[str, str], values["title"]), ui)[1]

    def edit(text: str | None) -> str:
        if existing is None:
            return new_file(values, comment=f"{title} (added in the editor)")
        if text is None:
            raise KnowledgeError(gettext(ui, "The file was removed."))
        return with_fields(text, changed, FILE_ORDER)

    path.parent.mkdir(exist_ok=True)  # the first event makes the folder
    try:
        published = await save_edit(
            publisher(request),
            journal(request),
            path,
            edit,
            expected_fingerprint=context["fingerprint"],
            actor=account.username,
            summary=summary(ui, form.summary, title, existing is None),
        )
    except KnowledgeError as exc:
        context["error"], refused, status = publish_error(request, exc)
        rest = language_gaps(refused, f"event {event_id}", TEXTS, ui, problems)
        context["rest"] = problems.refused(rest, KNOWN_FIELDS)
        return render(request, "editor/events_edit.html", context, status=status)
    log.info("editor %s saved event %s (%s)", account.username, event_id, ", ".join(changed))
    return after_save(target, published.revision_id)


async def retire_event(request: Request) -> Response:
    """Remove the event from the bank; its file stays in the revision history."""
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    found = _locate(request)
    if found is None:
        return error_page(request, gettext(ui, "No such event."), 404, account)
    path, text, event = found
    title = in_language(event.title, ui)[1]
    context = _context(request, account, current_bank(request), EventForm.of(event))
    context.update(
        existing=event, existing_title=title, path=publisher(request).relative(path), fingerprint=fingerprint(text)
    )
    retired = await retire(request, account.username, path, title, "editor/events_edit.html", context)
    if isinstance(retired, Response):
        return retired
    log.info("editor %s removed event %s", account.username, event.id)
    return RedirectResponse(f"/editor/events?retired={retired}", status_code=303)


ROUTES = [
    Route("/editor/events", events_index),
    Route("/editor/events/new", new_event, methods=["GET", "POST"]),
    Route("/editor/events/{event_id:str}", edit_event, methods=["GET", "POST"]),
    Route("/editor/events/{event_id:str}/retire", retire_event, methods=["POST"]),
]
