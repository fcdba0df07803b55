"""Events on the web (`/editor/events`): added as a new file in all eight languages and
served at once, edited in place, refused at the field with what was typed kept and
nothing written (an end before the start, a start in the past, a language missing), and
removed — gone from the bank, restorable from the revision history. The list shows the
coming events soonest first, in Swedish time, and the past ones apart."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from html import escape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import KnowledgeRevision
from bot.editor import events
from bot.staff.i18n import gettext
from lotsen.knowledge import KnowledgeBank, load_bank
from lotsen.knowledge.events import STOCKHOLM, upcoming, when
from lotsen.languages import supported_codes
from tests.helpers.forms import Form
from tests.helpers.staff import add_account, sign_in

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=STOCKHOLM)
NEW = "/editor/events/new"
CREATED = "informationskvall-om-arbete-2026-12-10"
EXISTING = "/editor/events/sprakcafe-jul"
SPRAKCAFE = """\
# A language café before Christmas (written by hand).
id: sprakcafe-jul
title:
{titles}
description:
{descriptions}
starts: 2026-12-17 17:00
ends: 2026-12-17 19:00
place: Stadsbiblioteket, Drottninggatan 2
municipality: linkoping
languages: [sv, ar]
topics: [ask_sfi]
"""


@pytest.fixture
def knowledge_dir(knowledge_dir: Path) -> Path:
    """The bank's copy with one coming event of our own (whatever events/ holds now)."""
    shutil.rmtree(knowledge_dir / "events", ignore_errors=True)
    write_event(knowledge_dir, "sprakcafe-jul", SPRAKCAFE)
    return knowledge_dir


@pytest.fixture
def editor(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(events, "now", lambda: NOW)
    add_account(client, "erik", "editor")
    assert sign_in(client, "erik", area="/editor") == 303
    return client


def write_event(knowledge_dir: Path, event_id: str, template: str, **times: str) -> Path:
    titles = "\n".join(f"  {code}: Språkcafé ({code})" for code in supported_codes())
    descriptions = "\n".join(f"  {code}: Öva svenska över en kopp kaffe ({code})." for code in supported_codes())
    text = template.format(titles=titles, descriptions=descriptions).replace("sprakcafe-jul", event_id)
    for key, value in times.items():
        text = re.sub(rf"(?m)^{key}: .*$", f"{key}: {value}", text)
    (knowledge_dir / "events").mkdir(exist_ok=True)
    path = knowledge_dir / "events" / f"{event_id}.yml"
    path.write_text(text, encoding="utf-8")
    return path


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


def information_evening(editor: TestClient, languages: list[str] | None = None) -> Form:
    form = Form(editor.get(NEW).text)
    for code in supported_codes() if languages is None else languages:
        form.set(f"title.{code}", "Informationskväll om arbete" if code == "sv" else f"Information evening ({code})")
        form.set(f"description.{code}", f"Arbetsförmedlingen tells how to find work ({code}).")
    form.set("starts_date", "2026-12-10").set("starts_time", "18:00").set("ends_time", "20:00")
    form.set("place", "Medborgarkontoret, Storgatan 1").set("municipality", "linkoping")
    form.tick("languages", "sv").tick("languages", "ar").set("other_languages", "ps")
    form.tick("topics", "ask_work")
    return form.set("registration", "https://www.linkoping.se/anmalan").set("association", "radda-barnen")


def test_event_pages_are_for_signed_in_editors_only(client: TestClient) -> None:
    for url in ("/editor/events", NEW, EXISTING):
        assert client.get(url, follow_redirects=False).headers["location"].startswith("/editor/login")
    for url in (NEW, EXISTING, f"{EXISTING}/retire"):
        response = client.post(url, data={"place": "x"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/editor/login")
    add_account(client, "sara", "staff")
    assert sign_in(client, "sara", area="/editor") == 303
    for url in ("/editor/events", NEW, EXISTING):
        assert client.get(url).status_code == 403
    assert client.post(NEW, data={"place": "x"}).status_code == 403
    assert client.post(f"{EXISTING}/retire", data={"confirm": "1"}).status_code == 403
    assert revisions(client) == []


def test_a_new_event_is_written_checked_and_served(editor: TestClient, knowledge_dir: Path) -> None:
    response = information_evening(editor).post(editor, NEW)
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    location = f"/editor/events/{CREATED}"
    assert response.headers["location"] == f"{location}?saved={revision.id}"  # type: ignore[attr-defined]
    assert (revision.path, revision.before, revision.actor) == (f"events/{CREATED}.yml", None, "erik")
    data = yaml.safe_load((knowledge_dir / revision.path).read_text(encoding="utf-8"))
    assert (data["starts"], data["ends"]) == ("2026-12-10 18:00", "2026-12-10 20:00")  # Swedish time, as written
    assert data["municipality"] == "linkoping" and data["languages"] == ["sv", "ar", "ps"]
    assert data["topics"] == ["ask_work"] and data["association"] == "radda-barnen"
    assert data["registration"] == "https://www.linkoping.se/anmalan"
    assert set(data["title"]) == set(data["description"]) == set(supported_codes())

    loaded = next(e for e in load_bank(knowledge_dir).events if e.id == CREATED)
    assert loaded.starts == datetime(2026, 12, 10, 18, 0, tzinfo=STOCKHOLM)
    found = upcoming(served(editor).events, "linkoping", NOW, topic="ask_work")
    assert [e.id for e in found] == [CREATED]
    page = editor.get(location)
    assert page.status_code == 200 and Form(page.text).get("ends_time") == ["20:00"]


def test_the_list_shows_coming_events_soonest_first_and_past_ones_apart(
    editor: TestClient, knowledge_dir: Path
) -> None:
    write_event(knowledge_dir, "tidig", SPRAKCAFE, starts="2026-12-03 09:00", ends="2026-12-03 11:00")
    write_event(knowledge_dir, "forra-veckan", SPRAKCAFE, starts="2026-11-25 18:00", ends="2026-11-25 20:00")
    page = editor.get("/editor/events").text
    coming, past = page.split('id="coming"')[1].split('id="past"')
    links = re.findall(r'href="/editor/events/([a-z0-9-]+)"', coming)
    assert links == ["tidig", "sprakcafe-jul"]
    assert re.findall(r'href="/editor/events/([a-z0-9-]+)"', past) == ["forra-veckan"]
    event = next(e for e in served(editor).events if e.id == "tidig")
    row = coming[coming.index('href="/editor/events/tidig"') :].split("</tr>")[0]
    assert escape(when(event, "sv")) in row and "Linköping" in row  # Swedish time and the municipality's name


def test_an_end_before_the_start_is_refused_and_the_typed_text_kept(editor: TestClient, knowledge_dir: Path) -> None:
    form = information_evening(editor).set("ends_time", "17:30")
    response = form.post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    times = {"ends": "2026-12-10 17:30", "starts": "2026-12-10 18:00"}
    message = gettext("sv", "It ends before it starts: %(ends)s is not after %(starts)s.", **times)
    assert field_error(response.text, "ends") == escape(message, quote=False)  # type: ignore[attr-defined]
    kept = Form(response.text)  # type: ignore[attr-defined]
    assert kept.get("title.sv") == ["Informationskväll om arbete"] and kept.get("ends_time") == ["17:30"]
    assert kept.get("topics") == ["ask_work"] and kept.get("place") == ["Medborgarkontoret, Storgatan 1"]
    assert not (knowledge_dir / "events" / f"{CREATED}.yml").exists()

    path = knowledge_dir / "events" / "sprakcafe-jul.yml"
    before = path.read_text(encoding="utf-8")
    edited = Form(editor.get(EXISTING).text).set("ends_date", "2026-12-16")
    assert edited.post(editor, EXISTING).status_code == 422  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == before
    assert revisions(editor) == []


@pytest.mark.parametrize(
    ("field", "typed", "shown_at", "message"),
    [
        ("starts_date", "2026-11-30", "starts", "The start must not be in the past."),
        ("starts_time", "25:00", "starts", None),
        ("place", "", "place", None),
        ("registration", "www anmalan", "registration", None),
        ("municipality", "", "municipality", "Choose the municipality where it takes place."),
    ],
)
def test_a_mistake_is_refused_at_its_field(
    editor: TestClient, knowledge_dir: Path, field: str, typed: str, shown_at: str, message: str | None
) -> None:
    response = information_evening(editor).set(field, typed).post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    shown = field_error(response.text, shown_at)  # type: ignore[attr-defined]
    if message is not None:
        assert shown == escape(gettext("sv", message), quote=False)
    assert not (knowledge_dir / "events" / f"{CREATED}.yml").exists()


def test_a_new_event_needs_every_language(editor: TestClient, knowledge_dir: Path) -> None:
    response = information_evening(editor, languages=["sv", "en"]).post(editor, NEW)
    assert response.status_code == 422  # type: ignore[attr-defined]
    for name in ("title", "description"):
        shown = field_error(response.text, name)  # type: ignore[attr-defined]
        assert "arabiska" in shown and "tigrinja" in shown and "engelska" not in shown
    assert not (knowledge_dir / "events" / f"{CREATED}.yml").exists() and revisions(editor) == []


def test_an_edit_changes_only_what_changed_and_keeps_the_comment(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "events" / "sprakcafe-jul.yml"
    before = path.read_text(encoding="utf-8").splitlines()
    form = Form(editor.get(EXISTING).text)
    form.set("description.sv", "Öva svenska och fira jul med oss.").set("ends_time", "19:30").tick("topics", "ask_work")
    response = form.post(editor, EXISTING)
    assert response.status_code == 303  # type: ignore[attr-defined]
    after = path.read_text(encoding="utf-8").splitlines()
    assert after[0] == before[0]
    assert [line for line in after if line not in before] == [
        "  sv: Öva svenska och fira jul med oss.",
        "ends: 2026-12-17 19:30",
        "topics: [ask_sfi, ask_work]",
    ]
    event = next(e for e in served(editor).events if e.id == "sprakcafe-jul")
    assert event.ends == datetime(2026, 12, 17, 19, 30, tzinfo=STOCKHOLM) and event.topics == ["ask_sfi", "ask_work"]
    assert revisions(editor)[-1].path == "events/sprakcafe-jul.yml"

    again = Form(editor.get(EXISTING).text).post(editor, EXISTING)  # nothing changed: nothing written
    assert again.headers["location"] == f"{EXISTING}?unchanged=1"  # type: ignore[attr-defined]
    assert len(revisions(editor)) == 1


def test_remove_takes_it_out_and_the_revision_restores_it(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "events" / "sprakcafe-jul.yml"
    original = path.read_text(encoding="utf-8")
    retire = Form(editor.get(EXISTING).text, action=f"{EXISTING}/retire")
    assert retire.post(editor, f"{EXISTING}/retire").status_code == 422  # type: ignore[attr-defined]  # not confirmed
    assert path.exists()

    response = retire.tick("confirm", "1").post(editor, f"{EXISTING}/retire")
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    assert response.headers["location"] == f"/editor/events?retired={revision.id}"  # type: ignore[attr-defined]
    assert (revision.before, revision.after) == (original, None)
    assert not path.exists()
    assert "sprakcafe-jul" not in {e.id for e in served(editor).events}
    assert editor.get(EXISTING).status_code == 404

    page, action = f"/editor/revisions/{revision.id}", f"/editor/revisions/{revision.id}/restore"
    assert Form(editor.get(page).text, action=action).post(editor, action).status_code == 303  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == original


def test_the_dashboard_links_to_events_and_counts_the_coming_ones(editor: TestClient) -> None:
    page = editor.get("/editor").text
    assert 'href="/editor/events"' in page and 'href="/editor/glossary"' in page
    counted = re.search(r'<span id="coming-events">([^<]*)</span>', page)
    assert counted and counted.group(1) == escape(gettext("sv", "%(count)s coming events", count=1), quote=False)
