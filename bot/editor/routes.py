"""The editor pages (`/editor`): coverage (answers per language, and how far the glossary
and the coming events are), editing one answer with a preview, and the questions the bot
could not answer.

Saving goes through `lotsen.knowledge.editing` and `lotsen.knowledge.publishing`: the
whole bank is checked as `make check-data` checks it, the change is recorded as a
revision (bot/editor/revisions.py) and the YAML file replaced; the action server notices
the file on its next answer. A refused change is shown with every reason and the
editor's text is kept in the form, so nothing typed is lost.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import Conversation, Message, Staff
from bot.editor import associations, events, feedback, glossary, offices, review, revisions
from bot.editor.revisions import journal, publish_error, publisher
from bot.staff.i18n import gettext
from bot.staff.pages import EDITOR, error_page, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.check_data import coverage_rows, report
from lotsen.knowledge import MAX_MESSAGE_CHARS, KnowledgeError, Topic
from lotsen.knowledge.editing import (
    current_messages,
    fingerprint,
    join_messages,
    save_answer,
    split_messages,
    topic_path,
)
from lotsen.knowledge.events import upcoming
from lotsen.knowledge.files import parse_text, read_text
from lotsen.languages import languages, supported_codes
from lotsen.municipalities import municipalities
from lotsen.paths import ROOT
from lotsen.privacy import mask_personal_data

log = logging.getLogger(__name__)

FEED_LIMIT = 200


async def _editor(request: Request) -> Staff | Response:
    return await signed_in(request, EDITOR)


async def dashboard(request: Request) -> Response:
    account = await _editor(request)
    if isinstance(account, Response):
        return account
    settings = request.app.state.settings
    found = report(settings.knowledge_dir, ROOT / "domain.yml", date.today())
    rows = []
    if found.bank is not None:
        topics = {topic.id: topic for topic in found.bank.topics.values()}
        for name, present in coverage_rows(found.bank):
            topic_id, _, municipality = name.strip().partition(" @ ")
            rows.append(
                {
                    "label": topics[topic_id].id if not municipality else municipalities()[municipality],
                    "topic": topic_id,
                    "municipality": municipality or None,
                    "cells": [(code, code in present) for code in supported_codes()],
                }
            )
    bank = found.bank
    return render(
        request,
        "editor/index.html",
        {
            "account": account,
            "report": found,
            "rows": rows,
            "codes": supported_codes(),
            "glossary": glossary.coverage(list(bank.glossary.values())) if bank is not None else None,
            "coming_events": len(upcoming(bank.events, None, events.now())) if bank is not None else None,
        },
    )


@dataclass
class Preview:
    messages: list[tuple[str, int, bool]]  # text, length, too long
    direction: str


def _preview(messages: list[str], language: str) -> Preview:
    return Preview([(m, len(m), len(m) > MAX_MESSAGE_CHARS) for m in messages], languages()[language].direction)


def _edit_context(
    account: Staff, topic: Topic, relative: str, language: str, municipality: str | None
) -> dict[str, Any]:
    return {
        "account": account,
        "path": relative,
        "topic": topic,
        "language": language,
        "language_name": languages()[language].native_name,
        "direction": languages()[language].direction,
        "municipality": municipality,
        "municipality_name": municipalities().get(municipality or ""),
        "reference": join_messages(current_messages(topic, "sv" if language != "sv" else "en", municipality)),
        "max_chars": MAX_MESSAGE_CHARS,
        "error": None,
        "problems": [],
        "summary": "",
        "saved": None,
        "unchanged": False,
        "verdict": None,
        "preview": None,
    }


async def edit_answer(request: Request) -> Response:
    account = await _editor(request)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    topic_id = request.path_params["topic_id"]
    language = request.path_params["language"]
    municipality = request.query_params.get("municipality") or None
    if language not in languages() or (municipality is not None and municipality not in municipalities()):
        return error_page(request, gettext(ui, "No such language or municipality."), 404, account)
    try:
        path = topic_path(request.app.state.settings.knowledge_dir, topic_id)
        text = read_text(path)
        topic = parse_text(text, Topic, path.name)
        relative = publisher(request).relative(path)
    except KnowledgeError as exc:
        return error_page(request, str(exc), 404, account)
    context = _edit_context(account, topic, relative, language, municipality)
    if request.method == "GET":
        messages = current_messages(topic, language, municipality)
        saved = request.query_params.get("saved", "")
        context.update(
            body=join_messages(messages),
            fingerprint=fingerprint(text),
            preview=_preview(messages, language),
            saved=int(saved) if saved.isdigit() else None,
            unchanged=request.query_params.get("unchanged") == "1",
            verdict=await asyncio.to_thread(publisher(request).check, relative, text),
        )
        return render(request, "editor/edit.html", context)
    return await _save_answer(request, account, path, context)


def _summary(ui: str, typed: str, language: str, municipality: str | None) -> str:
    """The editor's own summary, else which answer was edited."""
    typed = " ".join(typed.split())
    if typed:
        return typed
    if municipality:
        name = municipalities()[municipality]
        return gettext(ui, "Answer in %(language)s for %(municipality)s edited", language=language, municipality=name)
    return gettext(ui, "Answer in %(language)s edited", language=language)


async def _save_answer(request: Request, account: Staff, path: Path, context: dict[str, Any]) -> Response:
    """Preview or save the posted text; a refused save keeps the text in the form."""
    ui, language, municipality = ui_language(request), context["language"], context["municipality"]
    form = await request.form()
    body = str(form.get("body") or "")
    messages = split_messages(body)
    context.update(
        body=body,
        fingerprint=str(form.get("fingerprint") or ""),
        summary=str(form.get("summary") or ""),
        preview=_preview(messages, language),
    )
    if not csrf_ok(request, form):
        context["error"] = gettext(ui, "The form had expired. Copy your text, reload the page and try again.")
        return render(request, "editor/edit.html", context, status=400)
    if form.get("action") != "save":
        return render(request, "editor/edit.html", context)
    try:
        published = await save_answer(
            publisher(request),
            journal(request),
            path,
            language,
            municipality,
            messages,
            expected_fingerprint=context["fingerprint"],
            actor=account.username,
            summary=_summary(ui, context["summary"], language, municipality),
        )
    except KnowledgeError as exc:
        context["error"], context["problems"], status = publish_error(request, exc)
        return render(request, "editor/edit.html", context, status=status)
    topic_id = context["topic"].id
    log.info("editor %s saved %s/%s (%s)", account.username, topic_id, language, municipality or "national")
    outcome = f"saved={published.revision_id}" if published.revision_id is not None else "unchanged=1"
    suffix = f"&municipality={municipality}" if municipality else ""
    return RedirectResponse(f"/editor/topics/{topic_id}/{language}?{outcome}{suffix}", status_code=303)


@dataclass
class UnansweredQuestion:
    text: str
    language: str | None
    reason: str
    count: int
    last_asked: datetime


async def unanswered_questions(
    request: Request, language: str | None
) -> tuple[list[UnansweredQuestion], dict[str, int]]:
    """Questions the bot could not answer, grouped by text, newest first; and counts per language."""
    normalised = func.lower(func.trim(Message.text))
    query = (
        select(
            func.min(Message.text),
            Conversation.language,
            Message.unanswered,
            func.count(),
            func.max(Message.created_at),
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.unanswered.is_not(None))
        .group_by(normalised, Conversation.language, Message.unanswered)
        .order_by(func.max(Message.created_at).desc())
        .limit(FEED_LIMIT)
    )
    if language:
        query = query.where(Conversation.language == language)
    per_language = (
        select(Conversation.language, func.count())
        .join(Message, Message.conversation_id == Conversation.id)
        .where(Message.unanswered.is_not(None))
        .group_by(Conversation.language)
    )
    async with request.app.state.db.sessions() as session:
        rows = (await session.execute(query)).all()
        counts = {str(code): int(n) for code, n in (await session.execute(per_language)).all()}
    # Editors need the question, not the person: mask personal data, then merge what became equal.
    merged: dict[tuple[str, str | None, str], UnansweredQuestion] = {}
    for text, lang, reason, count, last in rows:
        masked = mask_personal_data(str(text))
        key = (masked.casefold(), lang, str(reason))
        if key in merged:
            merged[key].count += int(count)
            merged[key].last_asked = max(merged[key].last_asked, last)
        else:
            merged[key] = UnansweredQuestion(masked, lang, str(reason), int(count), last)
    questions = sorted(merged.values(), key=lambda q: q.last_asked, reverse=True)
    return questions, counts


async def unanswered(request: Request) -> Response:
    account = await _editor(request)
    if isinstance(account, Response):
        return account
    language = request.query_params.get("language") or None
    if language is not None and language not in languages():
        language = None
    questions, counts = await unanswered_questions(request, language)
    return render(
        request,
        "editor/unanswered.html",
        {
            "account": account,
            "questions": questions,
            "counts": counts,
            "total": sum(counts.values()),
            "selected": language,
            "languages": languages(),
        },
    )


ROUTES = [
    Route("/editor", dashboard),
    Route("/editor/topics/{topic_id:str}/{language:str}", edit_answer, methods=["GET", "POST"]),
    Route("/editor/unanswered", unanswered),
    *revisions.ROUTES,
    *feedback.ROUTES,
    *offices.ROUTES,
    *associations.ROUTES,
    *events.ROUTES,
    *glossary.ROUTES,
    *review.ROUTES,
]
