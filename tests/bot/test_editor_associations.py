"""Associations on the web (`/editor/associations`): added as a new file in all eight
languages, edited in place (comments and the untouched languages' lines kept), refused at
the field with nothing changed, and retired — gone from the bank at once, restorable from
the revision history."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import KnowledgeRevision
from bot.staff.i18n import gettext
from lotsen.knowledge import KnowledgeBank
from lotsen.languages import supported_codes
from tests.helpers.forms import Form
from tests.helpers.staff import add_account, sign_in

HUB = "/editor/associations/bastad-integrationshubb"
NEW = "/editor/associations/new"


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
    """The bank as the gateway serves it now (hot-reloaded when a file changes)."""
    return client.app.state.store.get()  # type: ignore[attr-defined,no-any-return]


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="error" id="{re.escape(name)}-error"[^>]*>([^<]*)</p>', html)
    assert found, f"no error under {name}"
    return found.group(1)


def new_language_cafe(editor: TestClient, languages: list[str] | None = None) -> Form:
    form = Form(editor.get(NEW).text)
    form.set("name", "Språkcafé på Väsby bibliotek")
    form.tick("municipalities", "upplands-vasby").tick("interests", "language_cafe")
    form.tick("languages", "sv").tick("languages", "ar")
    for code in supported_codes() if languages is None else languages:
        form.set(f"description.{code}", f"Language café ({code}): practise Swedish over coffee every Tuesday.")
    return form.set("contact.url", "https://www.upplandsvasby.se/bibliotek")


def test_association_pages_are_for_signed_in_editors_only(client: TestClient) -> None:
    for url in ("/editor/associations", NEW, HUB):
        assert client.get(url, follow_redirects=False).headers["location"].startswith("/editor/login")
    for url in (NEW, HUB, f"{HUB}/retire"):
        response = client.post(url, data={"name": "x"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/editor/login")
    add_account(client, "sara", "staff")
    assert sign_in(client, "sara", area="/editor") == 303
    assert client.get("/editor/associations").status_code == 403
    assert client.post(f"{HUB}/retire", data={"confirm": "1"}).status_code == 403


def test_list_shows_every_association_with_its_language_coverage(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "associations" / "bastad-integrationshubb.yml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[next(i for i, line in enumerate(lines) if line.startswith("  ti: "))]  # the Tigrinya description
    path.write_text("".join(lines), encoding="utf-8")
    page = editor.get("/editor/associations").text
    assert f'href="{HUB}"' in page and 'href="/editor/associations/kompis-sverige"' in page
    row = page[page.index(f'href="{HUB}"') :].split("</tr>")[0]
    assert 'aria-label="ti: ' in row and row.count('class="cell ok-cell"') == len(supported_codes()) - 1


def test_a_new_association_is_written_checked_and_served(editor: TestClient, knowledge_dir: Path) -> None:
    response = new_language_cafe(editor).post(editor, NEW)
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    location = "/editor/associations/sprakcafe-pa-vasby-bibliotek"
    assert response.headers["location"] == f"{location}?saved={revision.id}"  # type: ignore[attr-defined]
    assert (revision.path, revision.before) == ("associations/sprakcafe-pa-vasby-bibliotek.yml", None)
    data = yaml.safe_load((knowledge_dir / revision.path).read_text(encoding="utf-8"))
    assert data["municipalities"] == ["upplands-vasby"] and data["languages"] == ["sv", "ar"]
    found = served(editor).find_associations("upplands-vasby", "language_cafe", "ar")
    assert found[0].id == "sprakcafe-pa-vasby-bibliotek"
    assert editor.get(location).status_code == 200


def test_an_empty_description_in_every_language_is_refused_and_nothing_is_written(
    editor: TestClient, knowledge_dir: Path
) -> None:
    response = new_language_cafe(editor, languages=[]).post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    message = gettext("sv", "Write the description in at least one language.")
    assert field_error(response.text, "description") == escape(message, quote=False)  # type: ignore[attr-defined]
    assert 'value="Språkcafé på Väsby bibliotek"' in response.text  # type: ignore[attr-defined]
    assert not (knowledge_dir / "associations" / "sprakcafe-pa-vasby-bibliotek.yml").exists()

    path = knowledge_dir / "associations" / "bastad-integrationshubb.yml"
    before = path.read_text(encoding="utf-8")
    form = Form(editor.get(HUB).text)
    for code in supported_codes():
        form.set(f"description.{code}", "")
    assert form.post(editor, HUB).status_code == 422  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == before
    assert revisions(editor) == []


def test_a_new_association_needs_every_language(editor: TestClient, knowledge_dir: Path) -> None:
    response = new_language_cafe(editor, languages=["sv", "en"]).post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    shown = field_error(response.text, "description")  # type: ignore[attr-defined]
    assert "arabiska" in shown and "tigrinja" in shown and "engelska" not in shown  # CLDR names, in Swedish
    assert not list((knowledge_dir / "associations").glob("sprakcafe*"))


@pytest.mark.parametrize(
    ("field", "typed", "shown_at", "message"),
    [
        ("other_languages", "qq", "languages", ("Unknown language code: %(codes)s.", {"codes": "qq"})),
        ("contact.url", "www bibliotek", "contact.url", None),
        ("review_by", "next spring", "review_by", None),
    ],
)
def test_a_mistake_is_refused_at_its_field(
    editor: TestClient,
    knowledge_dir: Path,
    field: str,
    typed: str,
    shown_at: str,
    message: tuple[str, dict[str, str]] | None,
) -> None:
    path = knowledge_dir / "associations" / "bastad-integrationshubb.yml"
    before = path.read_text(encoding="utf-8")
    response = Form(editor.get(HUB).text).set(field, typed).post(editor, HUB)
    assert response.status_code == 422  # type: ignore[attr-defined]
    shown = field_error(response.text, shown_at)  # type: ignore[attr-defined]
    if message is not None:
        assert shown == escape(gettext("sv", message[0], **message[1]), quote=False)
    assert path.read_text(encoding="utf-8") == before


def test_an_edit_changes_only_what_changed_and_keeps_the_comments(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "associations" / "bastad-integrationshubb.yml"
    before = path.read_text(encoding="utf-8").splitlines()
    form = Form(editor.get(HUB).text)
    form.set("description.sv", "Integrationshubben hjälper nyanlända varje vardag.").tick("interests", "language_cafe")
    form.set("summary", "Ny text och språkcafé")
    response = form.post(editor, HUB)
    assert response.status_code == 303  # type: ignore[attr-defined]
    after = path.read_text(encoding="utf-8").splitlines()
    assert after[0] == before[0] and after[0].startswith("#")
    assert '  sv: "Integrationshubben hjälper nyanlända varje vardag."' in after  # quoted like its neighbours
    changed = [line for line in after if line not in before]
    assert changed == [
        "interests: [housing_help, work, language_cafe]",
        '  sv: "Integrationshubben hjälper nyanlända varje vardag."',
    ]
    hub = next(a for a in served(editor).associations if a.id == "bastad-integrationshubb")
    assert hub.description["sv"] == "Integrationshubben hjälper nyanlända varje vardag."
    assert revisions(editor)[-1].summary == "Ny text och språkcafé"


def test_retire_removes_it_and_the_revision_restores_it(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "associations" / "bastad-integrationshubb.yml"
    original = path.read_text(encoding="utf-8")
    retire = Form(editor.get(HUB).text, action=f"{HUB}/retire")
    assert retire.post(editor, f"{HUB}/retire").status_code == 422  # type: ignore[attr-defined]  # not confirmed
    assert path.exists()

    response = retire.tick("confirm", "1").post(editor, f"{HUB}/retire")
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    assert response.headers["location"] == f"/editor/associations?retired={revision.id}"  # type: ignore[attr-defined]
    assert (revision.before, revision.after) == (original, None)
    assert not path.exists()
    assert "bastad-integrationshubb" not in {a.id for a in served(editor).associations}
    assert editor.get(HUB).status_code == 404
    assert f'href="/editor/revisions/{revision.id}"' in editor.get(response.headers["location"]).text  # type: ignore[attr-defined]

    page = editor.get(f"/editor/revisions/{revision.id}").text
    restore = Form(page, action=f"/editor/revisions/{revision.id}/restore")
    assert restore.get("which") == ["before"]
    assert restore.post(editor, f"/editor/revisions/{revision.id}/restore").status_code == 303  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == original
    assert "bastad-integrationshubb" in {a.id for a in served(editor).associations}


def test_an_id_that_exists_is_refused(editor: TestClient) -> None:
    form = new_language_cafe(editor).set("id", "kompis-sverige")
    response = form.post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    message = gettext("sv", "There is already an association with the id %(id)s.", id="kompis-sverige")
    assert field_error(response.text, "id") == escape(message, quote=False)  # type: ignore[attr-defined]
