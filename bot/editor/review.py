"""`/editor/review`: what needs an editor's attention, on one page, each item linked to the
page where it is fixed.

Facts in the bank go stale quietly — a fee changes, an office moves its hours — and
`make check-data` only warns a developer. Here editors see the topics, office files and
associations whose `review_by` date has passed or comes within 30 days, the office details
still marked unconfirmed, the texts missing in a language (answers, associations, coming
events, glossary words), the answers users marked 👎 most, and the questions Lotsen could
not answer most often, per language.

"Checked today" records that an editor verified an entry against its sources: it sets
`last_checked` to today, `checked_by` to the editor's name and the next `review_by`
(the entry's own rhythm, e.g. three months, unless the editor picks another date), in the
file as it is (ruamel round trip, comments kept), saved as a revision like any change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import Conversation, Message, Staff
from bot.editor.feedback import TopicFeedback, feedback_rows
from bot.editor.forms import FieldError, day
from bot.editor.labels import OFFICE_FIELDS
from bot.editor.revisions import journal, publish_error, publisher
from bot.staff.i18n import gettext
from bot.staff.pages import EDITOR, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.knowledge import (
    Association,
    KnowledgeBank,
    KnowledgeError,
    MunicipalityOffices,
    Topic,
    in_language,
    parse_text,
)
from lotsen.knowledge.editing import fingerprint, save_edit, with_fields
from lotsen.knowledge.events import STOCKHOLM, upcoming
from lotsen.knowledge.files import read_text
from lotsen.knowledge.schema import Reviewed
from lotsen.languages import supported_codes
from lotsen.municipalities import municipalities
from lotsen.privacy import mask_personal_data
from lotsen.topics import TOPIC_TITLES

log = logging.getLogger(__name__)

DUE_WITHIN = timedelta(days=30)
DEFAULT_INTERVAL = timedelta(days=182)
MIN_INTERVAL, MAX_INTERVAL = timedelta(days=30), timedelta(days=730)
TOP_FEEDBACK = 10
TOP_QUESTIONS = 5  # per language
QUESTION_GROUPS = 1000  # the most asked (text, language) groups read before masking and merging
FOLDERS: dict[str, type[Reviewed]] = {"topics": Topic, "offices": MunicipalityOffices, "associations": Association}


def today() -> date:
    """The day "checked today" records and "due" is counted from (a test sets it)."""
    return date.today()


def next_review(entry: Reviewed, on: date) -> date:
    """The next review date after a check on `on`: the entry's own rhythm (review_by minus
    last_checked) if it has one, else half a year."""
    interval = DEFAULT_INTERVAL
    if entry.last_checked is not None and entry.review_by > entry.last_checked:
        interval = min(max(entry.review_by - entry.last_checked, MIN_INTERVAL), MAX_INTERVAL)
    return on + interval


@dataclass(frozen=True)
class Due:
    """An entry whose review date has passed or is near."""

    name: str
    path: str  # relative to the bank, e.g. topics/tax.yml
    link: str  # the editor page of the entry
    entry: Reviewed
    overdue: bool
    proposed: date  # the next review_by offered with "checked today"


def _name_and_link(entry: Reviewed) -> tuple[str, str]:
    if isinstance(entry, Topic):
        return entry.id, f"/editor/topics/{entry.id}/sv"
    if isinstance(entry, MunicipalityOffices):
        return municipalities().get(entry.municipality, entry.municipality), "/editor/offices"
    assert isinstance(entry, Association)
    return entry.name, f"/editor/associations/{entry.id}"


def due_entries(request: Request, on: date) -> list[Due]:
    """Every topic, offices file and association to review by `on` + 30 days, overdue first.

    Read from the files (not the served bank), so an entry checked a moment ago is gone."""
    directory = request.app.state.settings.knowledge_dir
    found = []
    for folder, model in FOLDERS.items():
        for path in sorted((directory / folder).glob("*.yml")):
            try:
                entry = parse_text(read_text(path), model, path.name)
            except KnowledgeError:
                continue  # the dashboard (/editor) names broken files
            if entry.review_by <= on + DUE_WITHIN:
                name, link = _name_and_link(entry)
                relative = f"{folder}/{path.name}"
                found.append(Due(name, relative, link, entry, entry.review_by < on, next_review(entry, on)))
    return sorted(found, key=lambda due: (due.entry.review_by, due.name))


@dataclass(frozen=True)
class Unverified:
    municipality: str
    office_id: str
    office_name: str
    fields: list[str]  # labels, translated in the template


def unverified_offices(bank: KnowledgeBank) -> list[Unverified]:
    return [
        Unverified(municipality, office.id, office.name, [OFFICE_FIELDS.get(name, name) for name in office.unverified])
        for municipality, entry in sorted(bank.offices.items())
        for office in entry.offices
        if office.unverified
    ]


@dataclass(frozen=True)
class Missing:
    """Languages a text lacks: a topic's answer, a municipality's override, an association."""

    label: str
    link: str  # the page to write it: the language code is appended for topics
    municipality: str | None
    codes: list[str]
    per_language: bool  # topic answers are edited one language at a time


def missing_languages(bank: KnowledgeBank) -> list[Missing]:
    codes = supported_codes()
    found = []
    for topic in sorted(bank.topics.values(), key=lambda t: t.id):
        if gaps := [code for code in codes if code not in topic.answers]:
            found.append(Missing(topic.id, f"/editor/topics/{topic.id}", None, gaps, True))
        for municipality, override in sorted(topic.overrides.items()):
            if gaps := [code for code in codes if code not in override.answers]:
                label = f"{topic.id} · {municipalities().get(municipality, municipality)}"
                found.append(Missing(label, f"/editor/topics/{topic.id}", municipality, gaps, True))
    for association in sorted(bank.associations, key=lambda a: a.name.casefold()):
        texts = [association.description, *([association.meets] if association.meets else [])]
        if gaps := [code for code in codes if any(code not in text for text in texts)]:
            found.append(Missing(association.name, f"/editor/associations/{association.id}", None, gaps, False))
    for event in upcoming(bank.events, None, datetime.now(STOCKHOLM)):  # a past one needs no translation
        if gaps := [code for code in codes if code not in event.title or code not in event.description]:
            found.append(Missing(in_language(event.title, "sv")[1], f"/editor/events/{event.id}", None, gaps, False))
    for entry in sorted(bank.glossary.values(), key=lambda e: e.word.casefold()):
        if gaps := [code for code in codes if code not in entry.explanations]:
            found.append(Missing(entry.word, f"/editor/glossary/{entry.id}", None, gaps, False))
    return found


@dataclass
class Question:
    text: str
    reason: str
    count: int


@dataclass
class LanguageQuestions:
    language: str | None
    questions: list[Question] = field(default_factory=list)


async def most_asked(request: Request) -> list[LanguageQuestions]:
    """The questions Lotsen could not answer, most asked first, the top five per language.

    Unlike the feed (/editor/unanswered, newest first) this counts: the same question typed
    again counts once more. Texts are masked like the feed's, then merged again (two
    numbers masked are the same question)."""
    normalised = func.lower(func.trim(Message.text))
    query = (
        select(func.min(Message.text), Conversation.language, Message.unanswered, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.unanswered.is_not(None))
        .group_by(normalised, Conversation.language, Message.unanswered)
        .order_by(func.count().desc())
        .limit(QUESTION_GROUPS)
    )
    async with request.app.state.db.sessions() as session:
        rows = (await session.execute(query)).all()
    merged: dict[tuple[str | None, str, str], Question] = {}
    for text, language, reason, count in rows:
        masked = mask_personal_data(str(text))
        key = (language, masked.casefold(), str(reason))
        if key in merged:
            merged[key].count += int(count)
        else:
            merged[key] = Question(masked, str(reason), int(count))
    per_language: dict[str | None, LanguageQuestions] = {}
    for (language, _, _), question in sorted(merged.items(), key=lambda item: -item[1].count):
        group = per_language.setdefault(language, LanguageQuestions(language))
        if len(group.questions) < TOP_QUESTIONS:
            group.questions.append(question)
    order = {code: i for i, code in enumerate(supported_codes())}
    return sorted(per_language.values(), key=lambda g: order.get(g.language or "", len(order)))


async def most_disliked(request: Request) -> list[TopicFeedback]:
    """The answers (topic and language) with the most 👎 (bot/editor/feedback.py's rows)."""
    rows = await feedback_rows(request, None)
    return [row for row in rows if row.not_helped > 0][:TOP_FEEDBACK]


async def _page(
    request: Request, account: Staff, error: str | None = None, problems: list[str] | None = None, status: int = 200
) -> Response:
    on = today()
    bank: KnowledgeBank = request.app.state.store.get()
    checked = request.query_params.get("checked", "")
    context: dict[str, Any] = {
        "account": account,
        "today": on,
        "due": due_entries(request, on),
        "unverified": unverified_offices(bank),
        "missing": missing_languages(bank),
        "disliked": await most_disliked(request),
        "questions": await most_asked(request),
        "titles": TOPIC_TITLES,
        "checked": int(checked) if checked.isdigit() else None,
        "error": error,
        "problems": problems or [],
    }
    return render(request, "editor/review.html", context, status=status)


async def review_page(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    return await _page(request, account)


async def checked_today(request: Request) -> Response:
    """An editor verified an entry today: last_checked, checked_by and the next review_by."""
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    form = await request.form()
    if not csrf_ok(request, form):
        expired = gettext(ui, "The form had expired. Reload the page and try again.")
        return await _page(request, account, expired, [], 400)
    try:
        relative = publisher(request).relative(str(form.get("path") or ""))
        model = FOLDERS.get(relative.partition("/")[0])
        text = publisher(request).read(relative)
        if model is None or text is None:
            raise KnowledgeError(gettext(ui, "No such knowledge file."))
        entry = parse_text(text, model, relative)
        review_by = day(str(form.get("review_by") or ""), ui)
    except (KnowledgeError, FieldError) as exc:
        return await _page(request, account, gettext(ui, "Not saved: %(reason)s", reason=str(exc)), [], 422)
    on = today()
    if review_by <= on:
        message = gettext(ui, "The next review must be after today.")
        return await _page(request, account, gettext(ui, "Not saved: %(reason)s", reason=message), [], 422)
    values = {"last_checked": on, "checked_by": account.display_name, "review_by": review_by}
    name, _ = _name_and_link(entry)
    try:
        published = await save_edit(
            publisher(request),
            journal(request),
            publisher(request).directory / relative,
            lambda current: with_fields(current or "", values, list(type(entry).model_fields)),
            expected_fingerprint=fingerprint(text),
            actor=account.username,
            summary=gettext(ui, "Checked today: %(name)s", name=name),
        )
    except KnowledgeError as exc:
        message, refused, status = publish_error(request, exc)
        return await _page(request, account, message, refused, status)
    log.info("editor %s checked %s today", account.username, relative)
    return RedirectResponse(f"/editor/review?checked={published.revision_id or ''}", status_code=303)


ROUTES = [
    Route("/editor/review", review_page),
    Route("/editor/review/checked", checked_today, methods=["POST"]),
]
