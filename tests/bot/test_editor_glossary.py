"""The glossary on the web (`/editor/glossary`): every word with the languages it is
explained in and the totals (also on the dashboard); one explanation edited with only that
word's lines written again; a new word added to the chosen file and found in messages at
once; a form that already belongs to another word, a missing language and a too long
explanation refused at the field with nothing written and what was typed kept."""

from __future__ import annotations

import re
import shutil
from html import escape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import KnowledgeRevision
from bot.staff.i18n import gettext
from lotsen.knowledge import KnowledgeBank, load_bank, parse_text
from lotsen.knowledge.editing import with_glossary_entry
from lotsen.knowledge.glossary import Glossary
from lotsen.languages import supported_codes
from lotsen.paths import KNOWLEDGE_DIR
from tests.helpers.forms import Form
from tests.helpers.staff import add_account, sign_in

NEW = "/editor/glossary/new"
BESLUT = "/editor/glossary/beslut"
COVERAGE = (
    "%(words)s words × %(languages)s languages: %(written)s of %(cells)s explanations written; "
    "%(complete)s words complete in every language."
)


def explained(word: str, codes: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"      {code}: {word} ({code}) – läs brevet och gör det som står." for code in codes)


LETTERS = f"""\
# Letters from authorities (a test theme).
review_by: 2027-06-01
entries:
  - id: kallelse
    word: kallelse
    forms:
    - kallelse
    - kallelsen
    - kallelser
    explanations:
{explained("kallelse", supported_codes())}
  - id: beslut
    word: beslut
    forms:
    - beslut
    - beslutet
    explanations:  # only two languages so far
{explained("beslut", ["sv", "en"])}
# Further words about decisions go here.
"""
MONEY = f"""\
# Money (a test theme).
review_by: 2027-06-01
entries:
  - id: avi
    word: avi
    forms: [avi, avin]
    explanations:
{explained("avi", supported_codes())}
"""


@pytest.fixture
def knowledge_dir(knowledge_dir: Path) -> Path:
    """The bank's copy with a glossary of our own (whatever glossary/ holds now)."""
    folder = knowledge_dir / "glossary"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "letters.yml").write_text(LETTERS, encoding="utf-8")
    (folder / "money.yml").write_text(MONEY, encoding="utf-8")
    return knowledge_dir


@pytest.fixture
def editor(client: TestClient) -> TestClient:
    add_account(client, "erik", "editor")
    assert sign_in(client, "erik", area="/editor") == 303
    return client


def revisions(client: TestClient) -> list[KnowledgeRevision]:
    async def load() -> list[KnowledgeRevision]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list((await session.scalars(select(KnowledgeRevision).order_by(KnowledgeRevision.id))).all())

    return client.portal.call(load)  # type: ignore[union-attr]


def served(client: TestClient) -> KnowledgeBank:
    return client.app.state.store.get()  # type: ignore[attr-defined,no-any-return]


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(name)}-error"[^>]*>([^<]*)</p>', html)
    assert found, f"no error under {name}"
    return found.group(1)


def coverage_shown(html: str) -> str:
    found = re.search(r'id="glossary-coverage">([^<]*)<', html)
    assert found, "no glossary coverage on the page"
    return found.group(1)


def new_word(editor: TestClient, codes: list[str] | None = None) -> Form:
    form = Form(editor.get(NEW).text).set("file", "glossary/money.yml")
    form.set("word", "påminnelse").set("forms", "påminnelsen, påminnelser ,påminnelsen")
    for code in supported_codes() if codes is None else codes:
        form.set(f"explanations.{code}", f"A reminder ({code}): pay before the new date.")
    return form


def test_glossary_pages_are_for_signed_in_editors_only(client: TestClient) -> None:
    for url in ("/editor/glossary", NEW, BESLUT):
        assert client.get(url, follow_redirects=False).headers["location"].startswith("/editor/login")
    for url in (NEW, BESLUT):
        response = client.post(url, data={"word": "x"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/editor/login")
    add_account(client, "sara", "staff")
    assert sign_in(client, "sara", area="/editor") == 303
    for url in ("/editor/glossary", NEW, BESLUT):
        assert client.get(url).status_code == 403
    assert client.post(BESLUT, data={"word": "beslut", "explanations.sv": "x"}).status_code == 403
    assert revisions(client) == []


def test_the_list_shows_each_word_s_languages_and_the_totals(editor: TestClient) -> None:
    page = editor.get("/editor/glossary").text
    words = re.findall(r'<tr data-word="([a-z-]+)">', page)
    assert words == ["avi", "beslut", "kallelse"]  # alphabetical, from both files
    row = page.split('<tr data-word="beslut">')[1].split("</tr>")[0]
    present = dict(re.findall(r'data-language="([a-z]+)" data-present="(yes|no)"', row))
    assert present == {code: "yes" if code in ("sv", "en") else "no" for code in supported_codes()}
    assert 'href="/editor/glossary/beslut#explanations.ar"' in row  # a missing cell leads to its field
    footer = page.split("<tfoot>")[1]
    counts = dict(re.findall(r'data-language="([a-z]+)" data-count="(\d+)"', footer))
    assert counts == {code: "3" if code in ("sv", "en") else "2" for code in supported_codes()}
    totals = {"words": 3, "languages": 8, "written": 2 * 8 + 2, "cells": 24, "complete": 2}
    assert coverage_shown(page) == escape(gettext("sv", COVERAGE, **totals), quote=False)
    assert coverage_shown(editor.get("/editor").text) == escape(gettext("sv", COVERAGE, **totals), quote=False)
    missing = editor.get("/editor/review").text.split('id="missing"')[1]
    assert re.findall(r'href="/editor/glossary/([a-z-]+)"', missing) == ["beslut"]  # what to translate next


def test_an_explanation_is_edited_and_only_that_word_is_written_again(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "glossary" / "letters.yml"
    before = path.read_text(encoding="utf-8").splitlines()
    form = Form(editor.get(BESLUT).text)
    assert form.get("forms") == ["beslut, beslutet"]
    response = form.set("explanations.ar", "  beslut   هو قرار الجهة.  ").post(editor, BESLUT)
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    assert response.headers["location"] == f"{BESLUT}?saved={revision.id}"  # type: ignore[attr-defined]
    assert revision.path == "glossary/letters.yml" and revision.actor == "erik"
    after = path.read_text(encoding="utf-8").splitlines()
    assert [line for line in after if line not in before] == ["      ar: beslut هو قرار الجهة."]
    assert [line for line in before if line not in after] == []  # comments and block lists kept
    assert served(editor).glossary["beslut"].explanations["ar"] == "beslut هو قرار الجهة."
    counter = re.search(r'data-length-of="explanations.ar">(\d+)<', editor.get(BESLUT).text)
    assert counter and int(counter.group(1)) == len("beslut هو قرار الجهة.")


def test_a_new_word_is_added_to_the_chosen_file_and_found_at_once(editor: TestClient, knowledge_dir: Path) -> None:
    response = new_word(editor).post(editor, NEW)
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    assert response.headers["location"] == f"/editor/glossary/paminnelse?saved={revision.id}"  # type: ignore[attr-defined]
    assert revision.path == "glossary/money.yml" and revision.before == MONEY
    data = yaml.safe_load((knowledge_dir / "glossary" / "money.yml").read_text(encoding="utf-8"))
    assert [entry["id"] for entry in data["entries"]] == ["avi", "paminnelse"]
    assert data["entries"][1]["forms"] == ["påminnelse", "påminnelsen", "påminnelser"]  # the word first, each once
    assert load_bank(knowledge_dir).glossary["paminnelse"].explanations == {
        code: f"A reminder ({code}): pay before the new date." for code in supported_codes()
    }
    assert [e.id for e in served(editor).glossary_finder.find("Jag fick en betalningspåminnelse")] == ["paminnelse"]
    assert editor.get("/editor/glossary/paminnelse").status_code == 200


def test_a_form_of_another_word_is_refused_naming_that_word(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "glossary" / "letters.yml"
    before = path.read_text(encoding="utf-8")
    response = Form(editor.get(BESLUT).text).set("forms", "beslut, beslutet, Kallelsen").post(editor, BESLUT)
    assert response.status_code == 422  # type: ignore[attr-defined]
    message = gettext(
        "sv",
        "“%(form)s” is already a form of “%(word)s”: one form can lead to one word only.",
        form="Kallelsen",
        word="kallelse",
    )
    assert field_error(response.text, "forms") == escape(message, quote=False)  # type: ignore[attr-defined]
    assert Form(response.text).get("forms") == ["beslut, beslutet, Kallelsen"]  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == before and revisions(editor) == []

    clash = new_word(editor).set("word", "avin").set("forms", "")  # a new word that is another's form
    shown = field_error(clash.post(editor, NEW).text, "word")  # type: ignore[attr-defined]
    assert shown == escape(message.replace("Kallelsen", "avin").replace("kallelse", "avi"), quote=False)


def test_a_new_word_needs_every_language_and_nothing_is_written(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "glossary" / "money.yml"
    response = new_word(editor, ["sv", "en"]).post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    shown = field_error(response.text, "explanations")  # type: ignore[attr-defined]
    assert "arabiska" in shown and "tigrinja" in shown and "engelska" not in shown
    kept = Form(response.text)  # type: ignore[attr-defined]
    assert kept.get("word") == ["påminnelse"] and kept.get("file") == ["glossary/money.yml"]
    assert path.read_text(encoding="utf-8") == MONEY and revisions(editor) == []


def test_an_explanation_over_the_limit_is_refused_at_its_field(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "glossary" / "letters.yml"
    before = path.read_text(encoding="utf-8")
    response = Form(editor.get(BESLUT).text).set("explanations.sv", "x" * 301).post(editor, BESLUT)
    assert response.status_code == 422  # type: ignore[attr-defined]
    message = gettext("sv", "%(count)d characters; at most %(max)d.", count=301, max=300)
    assert field_error(response.text, "explanations.sv") == escape(message, quote=False)  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == before


def test_a_new_word_needs_a_glossary_file(editor: TestClient, knowledge_dir: Path) -> None:
    response = new_word(editor).set("file", "").post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    message = gettext("sv", "Choose the glossary file to add the word to.")
    assert field_error(response.text, "file") == escape(message, quote=False)  # type: ignore[attr-defined]
    assert revisions(editor) == []


@pytest.mark.parametrize("path", sorted((KNOWLEDGE_DIR / "glossary").glob("*.yml")), ids=lambda p: p.name)
def test_the_bank_s_glossary_files_are_written_back_unchanged(path: Path) -> None:
    """Saving a word writes only its own lines again; a word saved unchanged, none."""
    text = path.read_text(encoding="utf-8")
    ids = [entry.id for entry in parse_text(text, Glossary, path.name).entries]
    assert [i for i in ids if with_glossary_entry(text, i, {}) != text] == []
