"""Revisions of the knowledge bank on the editor pages: recent changes, the changes to one
file, one change as a diff, and restoring a version.

Every change made on the web is published through `lotsen.knowledge.publishing`, which
records it here (`DatabaseJournal`, the `knowledge_revisions` table) before it replaces
the file. A restore is a change like any other: the restored text goes through the same
checks (a restore that would break a rule is refused too) and is recorded as a new
revision that names the one it restored.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import Database, KnowledgeRevision, Staff, aware
from bot.dbretry import retry_on_disconnect
from bot.staff.i18n import gettext
from bot.staff.pages import EDITOR, error_page, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.knowledge.files import KnowledgeError
from lotsen.knowledge.publishing import (
    BusyError,
    ConflictError,
    NotRecordedError,
    Publisher,
    RefusedError,
    Revision,
    file_state,
    fingerprint,
)
from lotsen.office_hours import STOCKHOLM

log = logging.getLogger(__name__)

PAGE_SIZE = 50
DIFF_CONTEXT_LINES = 3


class DatabaseJournal:
    """Revisions in the gateway database (`knowledge_revisions`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, revision: Revision) -> int:
        # Not retried: the file waits for this commit, and a save that fails is simply redone.
        async with self.db.sessions() as session:
            row = KnowledgeRevision(
                actor=revision.actor,
                path=revision.path,
                summary=revision.summary,
                before=revision.before,
                after=revision.after,
            )
            session.add(row)
            await session.commit()
            return int(row.id)

    @retry_on_disconnect
    async def forget(self, revision_id: int) -> None:
        async with self.db.sessions() as session:
            await session.execute(delete(KnowledgeRevision).where(KnowledgeRevision.id == revision_id))
            await session.commit()


@cache
def _publisher(directory: Path) -> Publisher:
    return Publisher(directory)


def publisher(request: Request) -> Publisher:
    """The publisher for the gateway's knowledge directory (one per directory: it caches the
    report on the bank as it is)."""
    return _publisher(Path(request.app.state.settings.knowledge_dir))


def journal(request: Request) -> DatabaseJournal:
    return DatabaseJournal(request.app.state.db)


def publish_error(request: Request, exc: KnowledgeError) -> tuple[str, list[str], int]:
    """(message, problems, HTTP status) for a change that was not published."""
    ui = ui_language(request)
    if isinstance(exc, RefusedError):
        message = gettext(ui, "Not saved: the knowledge bank would then have these problems.")
        return message, exc.verdict.refused, 422
    if isinstance(exc, ConflictError):
        return gettext(ui, "Not saved: %(reason)s", reason=str(exc)), [], 409
    if isinstance(exc, (NotRecordedError, BusyError)):
        return gettext(ui, "Not saved: %(reason)s", reason=str(exc)), [], 503
    return gettext(ui, "Not saved: %(reason)s", reason=str(exc)), [], 422


def local_time(moment: datetime) -> str:
    return aware(moment).astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "context", "removed", "added" or "gap" (lines left out)
    old: int | None  # line number before
    new: int | None  # line number after
    text: str

    @property
    def indent(self) -> str:
        """The leading spaces, kept visible in a table cell that wraps (YAML depends on them)."""
        return "\u00a0" * (len(self.text) - len(self.text.lstrip(" ")))

    @property
    def body(self) -> str:
        return self.text.lstrip(" ")


def diff_lines(before: str | None, after: str | None, context: int = DIFF_CONTEXT_LINES) -> list[DiffLine]:
    """A unified diff, line by line with numbers (rendered as a table, escaped)."""
    old, new = (before or "").splitlines(), (after or "").splitlines()
    if old == new:
        return []
    lines: list[DiffLine] = []
    groups = list(difflib.SequenceMatcher(None, old, new, autojunk=False).get_grouped_opcodes(context))
    for group in groups:
        _, i1, _, j1, _ = group[0]
        if lines or i1 > 0 or j1 > 0:  # lines left out before this group
            lines.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [DiffLine("context", i + 1, j1 + i - i1 + 1, old[i]) for i in range(i1, i2)]
            else:
                lines += [DiffLine("removed", i + 1, None, old[i]) for i in range(i1, i2)]
                lines += [DiffLine("added", None, j + 1, new[j]) for j in range(j1, j2)]
    _, _, i2, _, j2 = groups[-1][-1]
    if i2 < len(old) or j2 < len(new):
        lines.append(DiffLine("gap", None, None, ""))
    return lines


def _row(revision: KnowledgeRevision) -> dict[str, Any]:
    return {
        "id": revision.id,
        "at": local_time(revision.at),
        "actor": revision.actor,
        "path": revision.path,
        "summary": revision.summary,
    }


async def _editor(request: Request) -> Staff | Response:
    return await signed_in(request, EDITOR)


async def recent_changes(request: Request) -> Response:
    """All revisions newest first, or one file's (`?path=topics/bankid.yml`); `?before=<id>` pages."""
    account = await _editor(request)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    path = request.query_params.get("path") or None
    older_than = request.query_params.get("before") or None
    if path is not None:
        try:
            path = publisher(request).relative(path)
        except KnowledgeError:
            return error_page(request, gettext(ui, "No such knowledge file."), 404, account)
    if older_than is not None and not older_than.isdigit():
        return error_page(request, gettext(ui, "No such revision."), 404, account)
    query = select(KnowledgeRevision).order_by(KnowledgeRevision.id.desc()).limit(PAGE_SIZE + 1)
    if path is not None:
        query = query.where(KnowledgeRevision.path == path)
    if older_than is not None:
        query = query.where(KnowledgeRevision.id < int(older_than))
    async with request.app.state.db.sessions() as session:
        revisions = list((await session.scalars(query)).all())
    more = len(revisions) > PAGE_SIZE
    revisions = revisions[:PAGE_SIZE]
    state = None
    if path is not None and revisions and older_than is None:
        state = file_state(_current(request, path), _revision(revisions[0]))
    return render(
        request,
        "editor/revisions.html",
        {
            "account": account,
            "path": path,
            "revisions": [_row(r) for r in revisions],
            "older": revisions[-1].id if more else None,
            "state": state,
        },
    )


def _current(request: Request, relative: str) -> str | None:
    """The file's text now; None if it does not exist or cannot be read (a restore then
    fails with the reason: publishing reads the file again)."""
    try:
        return publisher(request).read(relative)
    except KnowledgeError:
        return None


def _revision(row: KnowledgeRevision) -> Revision:
    return Revision(row.actor, row.path, row.summary, row.before, row.after)


async def _load(request: Request, revision_id: int) -> tuple[KnowledgeRevision | None, bool]:
    """The revision, and whether it is the newest of its file."""
    async with request.app.state.db.sessions() as session:
        row = await session.get(KnowledgeRevision, revision_id)
        if row is None:
            return None, False
        newest = await session.scalar(
            select(KnowledgeRevision.id)
            .where(KnowledgeRevision.path == row.path)
            .order_by(KnowledgeRevision.id.desc())
            .limit(1)
        )
    return row, newest == row.id


async def _revision_page(
    request: Request,
    account: Staff,
    row: KnowledgeRevision,
    newest: bool,
    error: str | None = None,
    problems: list[str] | None = None,
    status: int = 200,
) -> Response:
    current = _current(request, row.path)
    restorable = [
        {
            "which": which,
            "text": text,
            "changes": diff_lines(current, text),
        }
        for which, text in (("before", row.before), ("after", row.after))
        if text is not None and text != current
    ]
    context = {
        "account": account,
        "revision": _row(row),
        "created": row.before is None,
        "removed": row.after is None,
        "changes": diff_lines(row.before, row.after),
        "state": file_state(current, _revision(row)) if newest else None,
        "restorable": restorable,
        "fingerprint": fingerprint(current),
        "restored": request.query_params.get("restored") == "1",
        "error": error,
        "problems": problems or [],
    }
    return render(request, "editor/revision.html", context, status=status)


async def show_revision(request: Request) -> Response:
    account = await _editor(request)
    if isinstance(account, Response):
        return account
    row, newest = await _load(request, request.path_params["revision_id"])
    if row is None:
        return error_page(request, gettext(ui_language(request), "No such revision."), 404, account)
    return await _revision_page(request, account, row, newest)


async def restore(request: Request) -> Response:
    """Publish a revision's `before` or `after` text again, through the same checks."""
    account = await _editor(request)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    row, newest = await _load(request, request.path_params["revision_id"])
    if row is None:
        return error_page(request, gettext(ui, "No such revision."), 404, account)
    form = await request.form()
    if not csrf_ok(request, form):
        error = gettext(ui, "The form had expired. Reload the page and try again.")
        return await _revision_page(request, account, row, newest, error, status=400)
    which = form.get("which")
    text = row.before if which == "before" else row.after if which == "after" else None
    if text is None:
        return await _revision_page(request, account, row, newest, gettext(ui, "Nothing to restore."), status=400)
    if which == "before":
        summary = gettext(ui, "Restored the version from before revision #%(id)d", id=row.id)
    else:
        summary = gettext(ui, "Restored revision #%(id)d", id=row.id)
    try:
        published = await publisher(request).publish(
            row.path,
            text,
            expected=str(form.get("fingerprint") or ""),
            actor=account.username,
            summary=summary,
            journal=journal(request),
        )
    except KnowledgeError as exc:
        message, problems, status = publish_error(request, exc)
        return await _revision_page(request, account, row, newest, message, problems, status)
    log.info("editor %s restored %s from revision %d (%s)", account.username, row.path, row.id, which)
    target = published.revision_id or row.id
    return RedirectResponse(f"/editor/revisions/{target}?restored=1", status_code=303)


ROUTES = [
    Route("/editor/revisions", recent_changes),
    Route("/editor/revisions/{revision_id:int}", show_revision),
    Route("/editor/revisions/{revision_id:int}/restore", restore, methods=["POST"]),
]
