"""What the pages that edit the bank's entries file by file share (associations, events,
the glossary, offices): the bank and the file the URL names, the outcome of a save as the
page shows it, and retiring an entry by removing its file as a revision.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.editor.forms import GENERAL, Problems
from bot.editor.revisions import journal, publish_error, publisher
from bot.staff.i18n import gettext
from bot.staff.pages import render, ui_language
from bot.staff.session import csrf_ok
from lotsen.knowledge import KnowledgeBank, KnowledgeError, parse_text
from lotsen.knowledge.editing import save_edit
from lotsen.knowledge.files import read_text

Model = TypeVar("Model", bound=BaseModel)


def current_bank(request: Request) -> KnowledgeBank:
    found: KnowledgeBank = request.app.state.store.get()
    return found


def parsed_file(
    request: Request, path_of: Callable[[Path, str], Path], name: str, model: type[Model]
) -> tuple[Path, str, Model] | None:
    """The file `path_of` finds for `name` in the knowledge directory, its text and what it
    holds; None if there is no such file or it does not parse."""
    try:
        path = path_of(Path(request.app.state.settings.knowledge_dir), name)
        text = read_text(path)
        return path, text, parse_text(text, model, path.name)
    except KnowledgeError:
        return None


def shown_outcome(request: Request) -> dict[str, Any]:
    """`saved` (the revision) and `unchanged` from the redirect after a save."""
    saved = request.query_params.get("saved", "")
    return {
        "saved": int(saved) if saved.isdigit() else None,
        "unchanged": request.query_params.get("unchanged") == "1",
    }


def after_save(target: str, revision_id: int | None) -> RedirectResponse:
    """Back to the entry's page, saying the revision saved (None: nothing to save)."""
    outcome = f"saved={revision_id}" if revision_id is not None else "unchanged=1"
    return RedirectResponse(f"{target}?{outcome}", status_code=303)


async def retire(
    request: Request, username: str, path: Path, name: str, template: str, context: dict[str, Any]
) -> Response | int | None:
    """Remove the entry's file once the form confirms it; its text stays in the revision
    history. The revision's id, or the page again with the reason it was not removed."""
    ui = ui_language(request)
    posted = await request.form()
    problems: Problems = context["problems"]
    if not csrf_ok(request, posted):
        problems.add(GENERAL, gettext(ui, "The form had expired. Reload the page and try again."))
        return render(request, template, context, status=400)
    if posted.get("confirm") != "1":
        problems.add("retire", gettext(ui, "Tick the box to confirm that it should be removed."))
        return render(request, template, context, status=422)
    try:
        published = await save_edit(
            publisher(request),
            journal(request),
            path,
            lambda _: None,
            expected_fingerprint=str(posted.get("fingerprint") or ""),
            actor=username,
            summary=gettext(ui, "Retired %(name)s", name=name),
        )
    except KnowledgeError as exc:
        context["error"], context["rest"], status = publish_error(request, exc)
        return render(request, template, context, status=status)
    return published.revision_id
