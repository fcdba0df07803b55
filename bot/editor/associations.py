"""`/editor/associations`: the local association directory on the web — list, add, edit and
retire an association without YAML.

Associations come and go faster than anything else in the bank (a language café moves to
another library, a project's money runs out), and the people who hear of it first are the
municipality's own staff. The form has one description per language with a coverage row
(which of the eight have text), interests from the bank's tags, the languages its people
speak, where it is active (municipalities, or national), meeting times, contact and the
review date. Retiring removes the file; the removal is a revision like any other, so the
revision page restores it in one step.

Saving follows the other editor pages: the schema first (refusals in the staff's
language, at the field), then the whole bank's check, a revision, and the ruamel round
trip that keeps the file's comments (lotsen/knowledge/editing.py).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import Staff
from bot.editor.entries import after_save, current_bank, parsed_file, retire, shown_outcome
from bot.editor.forms import (
    GENERAL,
    FieldError,
    Problems,
    candidate,
    changes,
    contact,
    day,
    keep_order,
    language_choices,
    language_name,
    spoken,
    summary,
)
from bot.editor.labels import ASSOCIATION_KINDS
from bot.editor.revisions import journal, publish_error, publisher
from bot.staff.i18n import gettext
from bot.staff.pages import EDITOR, error_page, render, signed_in, ui_language
from bot.staff.session import csrf_ok
from lotsen.knowledge import Association, KnowledgeBank, KnowledgeError, in_language
from lotsen.knowledge.editing import association_path, fingerprint, new_file, save_edit, with_fields
from lotsen.knowledge.publishing import ABSENT
from lotsen.knowledge.schema import MAX_DESCRIPTION_CHARS
from lotsen.languages import languages, supported_codes
from lotsen.municipalities import municipalities

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = get_args(Association.model_fields["kind"].annotation)
CONTACT = ("url", "email", "phone")
# The order of the keys in an association file (docs/knowledge.md); new keys go in their place.
FILE_ORDER = (
    "id", "name", "kind", "national", "municipalities", "interests", "languages", "free",
    "description", "meets", "contact", "last_checked", "checked_by", "review_by",
)  # fmt: skip
NEW_REVIEW = timedelta(days=182)  # a new association is looked at again in half a year
RESERVED_IDS = {"new"}  # /editor/associations/new is the form for a new one
SLUG = re.compile(r"^[a-z][a-z0-9_-]*$")
MAX_ID_CHARS = 64
KNOWN_FIELDS = {
    *FILE_ORDER,
    "where",
    *(f"contact.{name}" for name in CONTACT),
    *(f"{texts}.{code}" for texts in ("description", "meets") for code in supported_codes()),
}
GAP = re.compile(r"^association (?P<id>[a-z0-9_-]+): no (?P<text>description|meeting times) in (?P<codes>[a-z, ]+)$")


def today() -> date:
    """The day a "checked today" tick records (a test sets it)."""
    return date.today()


@dataclass
class AssociationForm:
    """The form as typed, so a refused form comes back exactly as it was sent."""

    id: str = ""
    name: str = ""
    kind: str = "association"
    national: bool = False
    municipalities: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    other_languages: str = ""
    description: dict[str, str] = field(default_factory=dict)
    meets: dict[str, str] = field(default_factory=dict)
    contact: dict[str, str] = field(default_factory=dict)
    free: str = ""  # "", "yes" or "no"
    review_by: str = ""
    checked: bool = False  # "I checked these details today"
    summary: str = ""

    @classmethod
    def of(cls, association: Association) -> AssociationForm:
        codes = supported_codes()
        return cls(
            id=association.id,
            name=association.name,
            kind=association.kind,
            national=association.national,
            municipalities=list(association.municipalities),
            interests=list(association.interests),
            languages=[code for code in association.languages if code in codes],
            other_languages=" ".join(code for code in association.languages if code not in codes),
            description=dict(association.description),
            meets=dict(association.meets),
            contact={name: str(getattr(association.contact, name) or "") for name in CONTACT},
            free="" if association.free is None else "yes" if association.free else "no",
            review_by=association.review_by.isoformat(),
        )

    @classmethod
    def posted(cls, form: FormData) -> AssociationForm:
        def text(name: str) -> str:
            return str(form.get(name) or "")

        def chosen(name: str) -> list[str]:
            return [str(value) for value in form.getlist(name)]

        return cls(
            id=text("id").strip(),
            name=text("name"),
            kind=text("kind"),
            national=form.get("national") == "1",
            municipalities=chosen("municipalities"),
            interests=chosen("interests"),
            languages=chosen("languages"),
            other_languages=text("other_languages"),
            description={code: text(f"description.{code}") for code in supported_codes()},
            meets={code: text(f"meets.{code}") for code in supported_codes()},
            contact={name: text(f"contact.{name}") for name in CONTACT},
            free=text("free"),
            review_by=text("review_by"),
            checked=form.get("checked") == "1",
            summary=text("summary"),
        )

    def coverage(self) -> list[tuple[str, bool]]:
        """Which of the eight languages have a description (the row above the texts)."""
        return [(code, bool(self.description.get(code, "").strip())) for code in supported_codes()]


def slug(name: str) -> str:
    """An id from a name: "Språkcafé i Båstad" → "sprakcafe-i-bastad"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:MAX_ID_CHARS].strip("-")


def _texts(typed: dict[str, str], name: str, ui: str, problems: Problems) -> dict[str, str]:
    texts = {code: " ".join(typed.get(code, "").split()) for code in supported_codes()}
    for code, text in texts.items():
        if name == "description" and len(text) > MAX_DESCRIPTION_CHARS:
            too_long = gettext(ui, "%(count)d characters; at most %(max)d.", count=len(text), max=MAX_DESCRIPTION_CHARS)
            problems.add(f"{name}.{code}", too_long)
    return {code: text for code, text in texts.items() if text}


def form_values(
    form: AssociationForm,
    bank: KnowledgeBank,
    account: Staff,
    ui: str,
    problems: Problems,
    *,
    existing: Association | None,
) -> dict[str, object]:
    """The association's fields as the bank stores them, in file order (None: the key goes)."""
    values: dict[str, object] = {}
    if existing is None:
        values["id"] = new_id = form.id or slug(form.name)
        if not SLUG.match(new_id) or len(new_id) > MAX_ID_CHARS or new_id in RESERVED_IDS:
            problems.add(
                "id", gettext(ui, "Use a–z, digits and hyphens, starting with a letter, e.g. sprakcafe-bastad.")
            )
        elif any(a.id == new_id for a in bank.associations):
            problems.add("id", gettext(ui, "There is already an association with the id %(id)s.", id=new_id))
    values["name"] = " ".join(form.name.split())
    if not values["name"]:
        problems.add("name", gettext(ui, "Write the name."))
    values["kind"] = form.kind
    if form.kind not in KINDS:
        problems.add("kind", gettext(ui, "Choose what kind of organisation it is."))
    values["national"] = form.national
    values["municipalities"] = keep_order(
        existing.municipalities if existing else [], form.municipalities, municipalities()
    )
    if not form.national and not values["municipalities"]:
        problems.add("where", gettext(ui, "Choose where it is active: municipalities, or all of Sweden."))
    values["interests"] = keep_order(existing.interests if existing else [], form.interests, bank.interests)
    if not values["interests"]:
        problems.add("interests", gettext(ui, "Choose at least one interest, so users who ask for it find it."))
    try:
        codes = spoken(form.languages, form.other_languages, ui)
        values["languages"] = keep_order(existing.languages if existing else [], codes, codes)
        if not values["languages"]:
            problems.add("languages", gettext(ui, "Choose at least one language its people speak."))
    except FieldError as exc:
        problems.add("languages", str(exc))
    values["free"] = {"yes": True, "no": False}.get(form.free)
    values["description"] = _texts(form.description, "description", ui, problems)
    if not values["description"]:
        problems.add("description", gettext(ui, "Write the description in at least one language."))
    values["meets"] = _texts(form.meets, "meets", ui, problems)
    details: dict[str, object] = {}
    for name in CONTACT:
        try:
            details[name] = contact(name, form.contact.get(name, ""), ui)
        except FieldError as exc:
            problems.add(f"contact.{name}", str(exc))
    values["contact"] = {name: value for name, value in details.items() if value}
    if not values["contact"] and not any(problems.of(f"contact.{name}") for name in CONTACT):
        problems.add("contact", gettext(ui, "Give at least one way to get in touch: web page, email or phone."))
    if form.checked:
        values["last_checked"], values["checked_by"] = today(), account.display_name
    try:
        values["review_by"] = review_by = day(form.review_by, ui)
        moved = existing is None or review_by != existing.review_by or form.checked
        if review_by < today() and moved:  # an old date may stay while other details are fixed
            problems.add("review_by", gettext(ui, "The next review must not be in the past."))
    except FieldError as exc:
        problems.add("review_by", str(exc))
    return values


def _gaps(refused: list[str], association_id: str, ui: str, problems: Problems) -> list[str]:
    """The bank's "every language" rule, said at the text it is about with the languages'
    names; the other refusals are returned."""
    missing: dict[str, list[str]] = {}
    rest = []
    for problem in refused:
        found = GAP.match(problem)
        if found and found.group("id") == association_id:
            name = "description" if found.group("text") == "description" else "meets"
            missing.setdefault(name, []).extend(code.strip() for code in found.group("codes").split(","))
        else:
            rest.append(problem)
    for name, codes in missing.items():
        languages = ", ".join(language_name(code, ui) for code in codes)
        problems.add(
            name, gettext(ui, "Lotsen needs this in every language; missing: %(languages)s.", languages=languages)
        )
    return rest


def _context(request: Request, account: Staff, bank: KnowledgeBank, form: AssociationForm) -> dict[str, Any]:
    ui = ui_language(request)
    return {
        "account": account,
        "form": form,
        "kinds": ASSOCIATION_KINDS,
        "municipalities": municipalities(),
        "interests": [(tag, in_language(interest.names, ui)[1]) for tag, interest in bank.interests.items()],
        "choices": language_choices(ui),
        "directions": {code: lang.direction for code, lang in languages().items()},
        "max_chars": MAX_DESCRIPTION_CHARS,
        "problems": Problems(ui),
        "error": None,
        "rest": [],
        "saved": None,
        "unchanged": False,
        "existing": None,
        "path": None,
        "fingerprint": ABSENT,
    }


def _stored(association: Association) -> dict[str, object]:
    """The editable fields as the file has them, to write only what the editor changed."""
    return {
        "name": association.name,
        "kind": association.kind,
        "national": association.national,
        "municipalities": list(association.municipalities),
        "interests": list(association.interests),
        "languages": list(association.languages),
        "free": association.free,
        "description": dict(association.description),
        "meets": dict(association.meets),
        "contact": {name: str(value) for name in CONTACT if (value := getattr(association.contact, name))},
        "last_checked": association.last_checked,
        "checked_by": association.checked_by,
        "review_by": association.review_by,
    }


def _locate(request: Request) -> tuple[Path, str, Association] | None:
    return parsed_file(request, association_path, request.path_params["association_id"], Association)


def where(association: Association) -> str:
    return ", ".join(municipalities().get(m, m) for m in association.municipalities)


async def associations_index(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    bank = current_bank(request)
    retired = request.query_params.get("retired", "")
    rows = [
        (association, where(association), AssociationForm.of(association).coverage())
        for association in sorted(bank.associations, key=lambda a: a.name.casefold())
    ]
    context = {
        "account": account,
        "rows": rows,
        "kinds": ASSOCIATION_KINDS,
        "codes": supported_codes(),
        "retired": int(retired) if retired.isdigit() else None,
    }
    return render(request, "editor/associations.html", context)


async def new_association(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    bank = current_bank(request)
    context = _context(request, account, bank, AssociationForm(review_by=(today() + NEW_REVIEW).isoformat()))
    if request.method == "GET":
        return render(request, "editor/associations_edit.html", context)
    return await _post(request, account, bank, None, context)


async def edit_association(request: Request) -> Response:
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    found = _locate(request)
    if found is None:
        return error_page(request, gettext(ui_language(request), "No such association."), 404, account)
    path, text, association = found
    bank = current_bank(request)
    context = _context(request, account, bank, AssociationForm.of(association))
    context.update(
        existing=association,
        path=publisher(request).relative(path),
        fingerprint=fingerprint(text),
        **shown_outcome(request),
    )
    if request.method == "GET":
        return render(request, "editor/associations_edit.html", context)
    return await _post(request, account, bank, path, context)


async def _post(
    request: Request, account: Staff, bank: KnowledgeBank, path: Path | None, context: dict[str, Any]
) -> Response:
    """Save the posted form (a new association when `path` is None); a refused save shows
    every reason at its field and keeps what was typed."""
    ui = ui_language(request)
    existing: Association | None = context["existing"]
    posted = await request.form()
    form = AssociationForm.posted(posted)
    if existing is not None:
        form.id = existing.id
    problems: Problems = context["problems"]
    context.update(form=form, fingerprint=str(posted.get("fingerprint") or ""))
    if not csrf_ok(request, posted):
        problems.add(GENERAL, gettext(ui, "The form had expired. Reload the page and try again."))
        return render(request, "editor/associations_edit.html", context, status=400)
    values = form_values(form, bank, account, ui, problems, existing=existing)
    if not problems:
        try:
            candidate(Association, existing, values)
        except ValidationError as exc:
            problems.schema(exc, KNOWN_FIELDS)
    association_id = existing.id if existing is not None else str(values.get("id", ""))
    if path is None:
        path = Path(request.app.state.settings.knowledge_dir) / "associations" / f"{association_id}.yml"
        if not problems and path.exists():
            problems.add("id", gettext(ui, "There is already an association with the id %(id)s.", id=association_id))
    if problems:
        return render(request, "editor/associations_edit.html", context, status=422)
    changed = changes(_stored(existing), values) if existing is not None else values
    target = f"/editor/associations/{association_id}"
    if not changed:
        return after_save(target, None)

    def edit(text: str | None) -> str:
        if existing is None:
            return new_file(values, comment=f"{values['name']} (added in the editor)")
        if text is None:
            raise KnowledgeError(gettext(ui, "The file was removed."))
        return with_fields(text, changed, FILE_ORDER)

    try:
        published = await save_edit(
            publisher(request),
            journal(request),
            path,
            edit,
            expected_fingerprint=context["fingerprint"],
            actor=account.username,
            summary=summary(ui, form.summary, str(values["name"]), existing is None),
        )
    except KnowledgeError as exc:
        context["error"], refused, status = publish_error(request, exc)
        context["rest"] = problems.refused(_gaps(refused, association_id, ui, problems), KNOWN_FIELDS)
        return render(request, "editor/associations_edit.html", context, status=status)
    log.info("editor %s saved association %s (%s)", account.username, association_id, ", ".join(changed))
    return after_save(target, published.revision_id)


async def retire_association(request: Request) -> Response:
    """Remove the association from the bank; its file stays in the revision history."""
    account = await signed_in(request, EDITOR)
    if isinstance(account, Response):
        return account
    ui = ui_language(request)
    found = _locate(request)
    if found is None:
        return error_page(request, gettext(ui, "No such association."), 404, account)
    path, text, association = found
    context = _context(request, account, current_bank(request), AssociationForm.of(association))
    context.update(existing=association, path=publisher(request).relative(path), fingerprint=fingerprint(text))
    template = "editor/associations_edit.html"
    retired = await retire(request, account.username, path, association.name, template, context)
    if isinstance(retired, Response):
        return retired
    log.info("editor %s retired association %s", account.username, association.id)
    return RedirectResponse(f"/editor/associations?retired={retired}", status_code=303)


ROUTES = [
    Route("/editor/associations", associations_index),
    Route("/editor/associations/new", new_association, methods=["GET", "POST"]),
    Route("/editor/associations/{association_id:str}", edit_association, methods=["GET", "POST"]),
    Route("/editor/associations/{association_id:str}/retire", retire_association, methods=["POST"]),
]
