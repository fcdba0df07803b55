"""`/editor/glossary`: the glossary of official words on the web — every word with the
languages it is explained in, editing one word, and adding a word to a glossary file.

A newcomer pastes a sentence from a letter and Lotsen explains the official words in it,
in their language; a word without an explanation in Tigrinja is a word a Tigrinya speaker
gets in English. So the list shows, per word and per language, what is there (and how
many of the words × eight languages are done), and each missing cell leads to the field
to write. The explanation is one or two sentences (at most 300 characters, counted as
one types); the forms are the ways a letter writes the word ("kallelsen", "kallelser"),
typed as a comma-separated list, and one form may belong to one word only, else Lotsen
could not tell which word was meant — that is refused at the field, naming the other word.

The words are split over several files by theme (`glossary/*.yml`, each with its own
review date); a new word is added at the end of the file the editor chooses. Saving is
the associations' path (bot/editor/associations.py): the form's checks, the schema, the
whole bank's check, a revision and the file written with its comments kept
(`with_glossary_entry`, `with_new_glossary_entry` in lotsen/knowledge/editing.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.db import Staff
from bot.editor.associations import slug
from bot.editor.entries import after_save, current_bank, parsed_file, shown_outcome
from bot.editor.forms import GENERAL, Problems, changes, language_choices, language_gaps, summary, texts_in_languages
from bot.editor.revisions import journal, publish_error, publisher
from bot.staff.i18n import gettext
from bot.staff.pages import EDITOR, error_page, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.knowledge import KnowledgeBank, KnowledgeError, parse_text
from lotsen.knowledge.editing import (
    fingerprint,
    glossary_path,
    save_edit,
    with_glossary_entry,
    with_new_glossary_entry,
)
from lotsen.knowledge.files import read_text
from lotsen.knowledge.glossary import MAX_EXPLANATION_CHARS, Glossary, GlossaryEntry, words_of
from lotsen.languages import languages, supported_codes

log = logging.getLogger(__name__)

FOLDER = "glossary"
FIELDS = ("id", "word", "forms", "explanations")  # an entry's keys, in file order
MIN_FORM_CHARS, MAX_FORM_CHARS = 2, 60
MAX_ID_CHARS = 64
RESERVED_IDS = {"new"}  # /editor/glossary/new is the form for a new word
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # the schema's: "1177" is a word too
COMMAS = re.compile(r"[,;\n]")
KNOWN_FIELDS = {*FIELDS, "file", *(f"explanations.{code}" for code in supported_codes())}
TEXTS = {"explanation": "explanations"}  # check-data's word → the form's field


@dataclass(frozen=True)
class Coverage:
    """How far the glossary is explained: per language, and words complete in all."""

    words: int
    complete: int  # words explained in every language
    per_language: list[tuple[str, int]]  # (code, words explained in it)

    @property
    def languages(self) -> int:
        return len(self.per_language)

    @property
    def written(self) -> int:
        return sum(count for _, count in self.per_language)

    @property
    def cells(self) -> int:
        return self.words * self.languages


def coverage(entries: list[GlossaryEntry]) -> Coverage:
    codes = supported_codes()
    return Coverage(
        len(entries),
        sum(all(code in entry.explanations for code in codes) for entry in entries),
        [(code, sum(code in entry.explanations for entry in entries)) for code in codes],
    )


def glossary_files(directory: Path) -> list[tuple[str, Glossary | None]]:
    """Every glossary file (relative path) with its words; None for one that does not
    parse (the dashboard names its error)."""
    found: list[tuple[str, Glossary | None]] = []
    for path in sorted((directory / FOLDER).glob("*.yml")):
        try:
            found.append((f"{FOLDER}/{path.name}", parse_text(read_text(path), Glossary, path.name)))
        except KnowledgeError:
            found.append((f"{FOLDER}/{path.name}", None))
    return found


@dataclass
class GlossaryForm:
    """The form as typed, so a refused form comes back exactly as it was sent."""

    id: str = ""
    word: str = ""
    forms: str = ""  # comma-separated, as typed
    explanations: dict[str, str] = field(default_factory=dict)
    file: str = ""  # a new word: the glossary file it goes into
    summary: str = ""

    @classmethod
    def of(cls, entry: GlossaryEntry, file: str = "") -> GlossaryForm:
        return cls(
            id=entry.id, word=entry.word, forms=", ".join(entry.forms), explanations=dict(entry.explanations), file=file
        )

    @classmethod
    def posted(cls, form: FormData) -> GlossaryForm:
        def text(name: str) -> str:
            return str(form.get(name) or "")

        return cls(
            id=text("id").strip(),
            word=text("word"),
            forms=text("forms"),
            explanations={code: text(f"explanations.{code}") for code in supported_codes()},
            file=text("file"),
            summary=text("summary"),
        )

    def coverage(self) -> list[tuple[str, bool]]:
        return [(code, bool(self.explanations.get(code, "").strip())) for code in supported_codes()]

    def lengths(self) -> dict[str, int]:
        """Each explanation's length as it will be saved (the counter under the field)."""
        return {code: len(" ".join(self.explanations.get(code, "").split())) for code in supported_codes()}


def forms_of(typed: str, word: str, old: list[str]) -> list[str]:
    """The forms from the comma-separated field, spaces tidied and each once; the word
    itself is always one of them (first, unless the file already has it elsewhere)."""
    forms: list[str] = []
    for part in COMMAS.split(typed):
        form = " ".join(part.split())
        if form and form.casefold() not in {f.casefold() for f in forms}:
            forms.append(form)
    if word and word.casefold() not in {f.casefold() for f in forms}:
        forms.insert(0, word)
    return [f for f in old if f in forms] + [f for f in forms if f not in old]


def _owners(bank: KnowledgeBank, entry_id: str) -> dict[tuple[str, ...], GlossaryEntry]:
    """Every other word's forms, as the bank compares them (whole words, case folded)."""
    owners: dict[tuple[str, ...], GlossaryEntry] = {}
    for other in bank.glossary.values():
        if other.id != entry_id:
            for form in (other.word, *other.forms):
                owners.setdefault(tuple(words_of(form)), other)
    return owners


def form_values(
    form: GlossaryForm, bank: KnowledgeBank, ui: str, problems: Problems, *, existing: GlossaryEntry | None
) -> dict[str, object]:
    """The word's fields as the file stores them, in file order."""
    values: dict[str, object] = {}
    word = " ".join(form.word.split())
    if existing is None:
        values["id"] = new_id = form.id or slug(word)
        if not SLUG.match(new_id) or len(new_id) > MAX_ID_CHARS or new_id in RESERVED_IDS:
            if new_id or form.id:
                problems.add("id", gettext(ui, "Use a–z, digits and hyphens, e.g. kallelse."))
        elif new_id in bank.glossary:
            problems.add("id", gettext(ui, "There is already a word with the id %(id)s.", id=new_id))
    values["word"] = word
    if not word:
        problems.add("word", gettext(ui, "Write the word as a dictionary has it, e.g. kallelse."))
    values["forms"] = forms = forms_of(form.forms, word, existing.forms if existing else [])
    owners = _owners(bank, existing.id if existing else str(values.get("id", "")))
    for typed in forms:
        if not MIN_FORM_CHARS <= len(typed) <= MAX_FORM_CHARS:
            limits = {"min": MIN_FORM_CHARS, "max": MAX_FORM_CHARS}
            problems.add(
                "forms", gettext(ui, "“%(value)s”: a form has %(min)d–%(max)d characters.", value=typed, **limits)
            )
        elif not words_of(typed):
            problems.add("forms", gettext(ui, "“%(value)s” is not a word.", value=typed))
        elif (other := owners.get(tuple(words_of(typed)))) is not None:
            message = gettext(
                ui,
                "“%(form)s” is already a form of “%(word)s”: one form can lead to one word only.",
                form=typed,
                word=other.word,
            )
            problems.add("word" if typed == word else "forms", message)
    values["explanations"] = explanations = texts_in_languages(
        form.explanations, "explanations", MAX_EXPLANATION_CHARS, ui, problems
    )
    if not explanations:
        problems.add("explanations", gettext(ui, "Write the explanation in at least one language."))
    return values


def _stored(entry: GlossaryEntry) -> dict[str, object]:
    """The editable fields as the file has them, to write only what the editor changed."""
    return {"word": entry.word, "forms": list(entry.forms), "explanations": dict(entry.explanations)}


def _directory(request: Request) -> Path:
    return Path(request.app.state.settings.knowledge_dir)


def _locate(request: Request) -> tuple[Path, str, GlossaryEntry] | None:
    entry_id = request.path_params["entry_id"]
    found = parsed_file(request, glossary_path, entry_id, Glossary)
    if found is None:
        return None
    path, text, glossary = found
    entry = next((e for e in glossary.entries if e.id == entry_id), None)
    return (path, text, entry) if entry is not None else None


async def glossary_index(request: Request) -> Response:
    """Every word (alphabetical) with its languages, and the glossary's coverage."""
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    files = glossary_files(_directory(request))
    rows = [
        (entry, relative, GlossaryForm.of(entry).coverage())
        for relative, glossary in files
        if glossary is not None
        for entry in glossary.entries
    ]
    rows.sort(key=lambda row: (row[0].word.casefold(), row[0].id))
    context = {
        "account": account,
        "rows": rows,
        "coverage": coverage([entry for entry, _, _ in rows]),
        "files": [relative for relative, glossary in files if glossary is not None],
        "broken": [relative for relative, glossary in files if glossary is None],
        "codes": supported_codes(),
    }
    return render(request, "editor/glossary.html", context)


def _context(request: Request, account: Staff, form: GlossaryForm) -> dict[str, Any]:
    ui = ui_language(request)
    return {
        "account": account,
        "form": form,
        "files": [relative for relative, glossary in glossary_files(_directory(request)) if glossary is not None],
        "choices": language_choices(ui),
        "directions": {code: lang.direction for code, lang in languages().items()},
        "max_chars": MAX_EXPLANATION_CHARS,
        "problems": Problems(ui),
        "error": None,
        "rest": [],
        "saved": None,
        "unchanged": False,
        "existing": None,
        "path": None,
        "fingerprint": "",
    }


async def new_word(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    context = _context(request, account, GlossaryForm(file=request.query_params.get("file", "")))
    if request.method == "GET":
        return render(request, "editor/glossary_edit.html", context)
    return await _post(request, account, None, context)


async def edit_word(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    found = _locate(request)
    if found is None:
        return error_page(request, gettext(ui_language(request), "No such word in the glossary."), 404, account)
    path, text, entry = found
    relative = publisher(request).relative(path)
    context = _context(request, account, GlossaryForm.of(entry, relative))
    context.update(existing=entry, path=relative, fingerprint=fingerprint(text), **shown_outcome(request))
    if request.method == "GET":
        return render(request, "editor/glossary_edit.html", context)
    return await _post(request, account, path, context)


async def _post(request: Request, account: Staff, path: Path | None, context: dict[str, Any]) -> Response:
    """Save the posted form (a new word when `path` is None, added to the chosen file); a
    refused save shows every reason at its field and keeps what was typed."""
    ui = ui_language(request)
    existing: GlossaryEntry | None = context["existing"]
    posted = await request.form()
    form = GlossaryForm.posted(posted)
    problems: Problems = context["problems"]
    if existing is not None:
        form.id, form.file = existing.id, context["path"]
    context.update(form=form, fingerprint=str(posted.get("fingerprint") or ""))
    if not csrf_ok(request, posted):
        problems.add(GENERAL, gettext(ui, "The form had expired. Reload the page and try again."))
        return render(request, "editor/glossary_edit.html", context, status=400)
    bank = current_bank(request)
    values = form_values(form, bank, ui, problems, existing=existing)
    if existing is None:
        if form.file not in context["files"]:
            problems.add("file", gettext(ui, "Choose the glossary file to add the word to."))
        else:
            path = _directory(request) / form.file
    if not problems:
        try:
            GlossaryEntry.model_validate({**(existing.model_dump() if existing else {}), **values})
        except ValidationError as exc:
            problems.schema(exc, KNOWN_FIELDS)
    if problems or path is None:
        return render(request, "editor/glossary_edit.html", context, status=422)
    entry_id = existing.id if existing is not None else str(values["id"])
    changed = changes(_stored(existing), values) if existing is not None else values
    target = f"/editor/glossary/{entry_id}"
    if not changed:
        return after_save(target, None)

    def edit(text: str | None) -> str:
        if text is None:
            raise KnowledgeError(gettext(ui, "The file was removed."))
        if existing is None:
            return with_new_glossary_entry(text, values)
        return with_glossary_entry(text, entry_id, changed)

    try:
        # A new word is added to the file as it is now; an edit is made on the text as it was opened.
        expected = fingerprint(read_text(path)) if existing is None else context["fingerprint"]
        published = await save_edit(
            publisher(request),
            journal(request),
            path,
            edit,
            expected_fingerprint=expected,
            actor=account.username,
            summary=summary(ui, form.summary, str(values["word"]), existing is None),
        )
    except KnowledgeError as exc:
        context["error"], refused, status = publish_error(request, exc)
        rest = language_gaps(refused, f"glossary word {entry_id}", TEXTS, ui, problems)
        context["rest"] = problems.refused(rest, KNOWN_FIELDS)
        return render(request, "editor/glossary_edit.html", context, status=status)
    log.info("editor %s saved glossary word %s (%s)", account.username, entry_id, ", ".join(changed))
    return after_save(target, published.revision_id)


ROUTES = [
    Route("/editor/glossary", glossary_index),
    Route("/editor/glossary/new", new_word, methods=["GET", "POST"]),
    Route("/editor/glossary/{entry_id:str}", edit_word, methods=["GET", "POST"]),
]
