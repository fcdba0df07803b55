"""Editor pages: sign-in, coverage, editing with preview and validation, revisions and
restore, unanswered feed."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import KnowledgeRevision
from bot.staff.accounts import create_account
from lotsen.knowledge import load_bank
from tests.helpers.fake_backends import FakeBackends

PASSWORD = "correct horse battery"


def add_account(client: TestClient, username: str, role: str) -> None:
    async def create() -> None:
        await create_account(client.app.state.db, username, PASSWORD, role, display_name=username.title())  # type: ignore[attr-defined]

    client.portal.call(create)  # type: ignore[union-attr]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the form"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    page = client.get("/editor/login")
    response = client.post(
        "/editor/login",
        data={"csrf": csrf_of(page.text), "username": username, "password": password},
        follow_redirects=False,
    )
    return response.status_code


@pytest.fixture
def editor(client: TestClient) -> TestClient:
    add_account(client, "erik", "editor")
    assert sign_in(client, "erik") == 303
    return client


def test_pages_need_sign_in(client: TestClient) -> None:
    for path in ("/editor", "/editor/unanswered", "/editor/topics/bankid/sv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/editor/login?next=")


def test_wrong_password_is_refused_then_rate_limited(client: TestClient) -> None:
    add_account(client, "erik", "editor")
    statuses = [sign_in(client, "erik", "wrong password!") for _ in range(5)]
    assert statuses == [401] * 5
    assert sign_in(client, "erik") == 429  # even the right password waits now
    assert client.get("/editor", follow_redirects=False).status_code == 303


def test_sign_in_without_csrf_token_is_refused(client: TestClient) -> None:
    add_account(client, "erik", "editor")
    response = client.post("/editor/login", data={"username": "erik", "password": PASSWORD})
    assert response.status_code == 400


def test_staff_without_editor_role_gets_403(client: TestClient) -> None:
    add_account(client, "sara", "staff")
    assert sign_in(client, "sara") == 303
    assert client.get("/editor").status_code == 403


def test_idle_session_expires(client: TestClient, editor: TestClient) -> None:
    client.app.state.settings = client.app.state.settings.__class__(  # type: ignore[attr-defined]
        **{**client.app.state.settings.__dict__, "session_idle_minutes": -1}  # type: ignore[attr-defined]
    )
    assert client.get("/editor", follow_redirects=False).status_code == 303


def test_dashboard_shows_coverage_with_municipal_rows_in_swedish(editor: TestClient) -> None:
    page = editor.get("/editor")
    assert page.status_code == 200
    assert 'lang="sv"' in page.text
    assert "Kunskapsbank" in page.text  # console text is Swedish by default
    assert "/editor/topics/housing_queue/ar?municipality=linkoping" in page.text
    assert "/editor/topics/bankid/ti" in page.text


def test_arabic_answer_is_edited_and_previewed_right_to_left(editor: TestClient) -> None:
    page = editor.get("/editor/topics/bankid/ar")
    assert page.status_code == 200
    assert re.search(r'<textarea[^>]*lang="ar"[^>]*dir="rtl"', page.text)
    assert re.search(r'class="preview" lang="ar" dir="rtl"', page.text)


def save(client: TestClient, url: str, body: str, action: str = "save", **overrides: str) -> object:
    page = client.get(url)
    fields = {
        "csrf": csrf_of(page.text),
        "fingerprint": re.search(r'name="fingerprint" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
        "body": body,
        "action": action,
        **overrides,
    }
    return client.post(url, data=fields, follow_redirects=False)


def test_saved_answer_is_validated_written_and_keeps_comments(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "topics" / "bankid.yml"
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    response = save(editor, "/editor/topics/bankid/so", "Tallaabo 1.\n\nTallaabo 2:\n1. koow\n2. labo")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8").splitlines()[0] == first_line
    answer = load_bank(knowledge_dir).answer("ask_bankid", "so")
    assert answer is not None and answer.messages == ["Tallaabo 1.", "Tallaabo 2:\n1. koow\n2. labo"]
    assert "Sparat" in editor.get("/editor/topics/bankid/so?saved=1").text


def test_municipal_override_is_edited(editor: TestClient, knowledge_dir: Path) -> None:
    response = save(editor, "/editor/topics/housing_queue/en?municipality=linkoping", "New local text.")
    assert response.status_code == 303  # type: ignore[attr-defined]
    answer = load_bank(knowledge_dir).answer("ask_housing_queue", "en", "linkoping")
    assert answer is not None and answer.messages[0] == "New local text."


def test_preview_does_not_save(editor: TestClient, knowledge_dir: Path) -> None:
    before = (knowledge_dir / "topics" / "bankid.yml").read_text(encoding="utf-8")
    response = save(editor, "/editor/topics/bankid/en", "Only a preview", action="preview")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Only a preview" in response.text  # type: ignore[attr-defined]
    assert (knowledge_dir / "topics" / "bankid.yml").read_text(encoding="utf-8") == before


def test_invalid_answer_is_rejected_with_reason_and_text_kept(editor: TestClient, knowledge_dir: Path) -> None:
    before = (knowledge_dir / "topics" / "bankid.yml").read_text(encoding="utf-8")
    too_long = "x" * 601
    response = save(editor, "/editor/topics/bankid/en", too_long)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "600" in response.text  # type: ignore[attr-defined]
    assert too_long in response.text  # type: ignore[attr-defined]
    assert (knowledge_dir / "topics" / "bankid.yml").read_text(encoding="utf-8") == before


def test_stale_form_does_not_overwrite_a_newer_edit(editor: TestClient, knowledge_dir: Path) -> None:
    response = save(editor, "/editor/topics/bankid/en", "Mine", fingerprint="0" * 64)
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert load_bank(knowledge_dir).answer("ask_bankid", "en").messages != ["Mine"]  # type: ignore[union-attr]


def test_save_without_csrf_token_is_refused(editor: TestClient, knowledge_dir: Path) -> None:
    response = save(editor, "/editor/topics/bankid/en", "Forged", csrf="forged")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert load_bank(knowledge_dir).answer("ask_bankid", "en").messages != ["Forged"]  # type: ignore[union-attr]


def test_markup_in_an_answer_is_shown_as_text(editor: TestClient) -> None:
    response = save(editor, "/editor/topics/bankid/en", "<script>alert(1)</script>", action="preview")
    assert "<script>alert(1)</script>" not in response.text  # type: ignore[attr-defined]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text  # type: ignore[attr-defined]


def test_unknown_topic_language_or_municipality_is_404(editor: TestClient) -> None:
    assert editor.get("/editor/topics/nothing/sv").status_code == 404
    assert editor.get("/editor/topics/bankid/xx").status_code == 404
    assert editor.get("/editor/topics/bankid/sv?municipality=malmo").status_code == 404


def test_broken_file_is_shown_to_the_editor_with_file_and_line(editor: TestClient, knowledge_dir: Path) -> None:
    (knowledge_dir / "topics" / "work.yml").write_text("id: work\nintent: [ask_work\n", encoding="utf-8")
    page = editor.get("/editor")
    assert "work.yml:" in page.text
    assert "senaste korrekta" in page.text  # "keeps answering with the last version that was correct"


def test_unanswered_feed_groups_per_language_newest_first(editor: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"recipient_id": "x", "custom": {"unanswered": "not_understood"}}, {"text": "Förlåt"}]
    for sender, text, language in [
        ("a", "Var kan jag fiska?", "sv"),
        ("b", "var kan jag fiska?", "sv"),
        ("c", "Где купить велосипед?", "ru"),
    ]:
        response = editor.post(
            "/api/messages", json={"sender": sender, "text": text, "metadata": {"language": language}}
        )
        assert response.status_code == 200
    backends.rasa_replies = [{"text": "Svar"}]
    editor.post("/api/messages", json={"sender": "d", "text": "Hur får jag BankID?", "metadata": {"language": "sv"}})

    page = editor.get("/editor/unanswered").text
    assert page.index("Где купить велосипед?") < page.index("fiska?")  # newest first
    assert re.search(r"fiska\?</td>\s*<td>sv</td>\s*<td>[^<]+</td>\s*<td>2</td>", page)
    assert "Hur får jag BankID?" not in page
    russian = editor.get("/editor/unanswered?language=ru").text
    assert "Где купить велосипед?" in russian and "fiska" not in russian


def test_unanswered_feed_masks_personal_data(editor: TestClient, backends: FakeBackends) -> None:
    backends.rasa_replies = [{"custom": {"unanswered": "out_of_scope"}}, {"text": "Förlåt"}]
    for sender, number in [("e", "19900101-1234"), ("f", "19851212-4321")]:
        text = f"Mitt personnummer är {number}, ring 070-123 45 67"
        editor.post("/api/messages", json={"sender": sender, "text": text, "metadata": {"language": "sv"}})
    page = editor.get("/editor/unanswered").text
    assert "1234" not in page and "4321" not in page and "070-123" not in page
    assert re.search(r"Mitt personnummer är •••, ring •••</td>\s*<td>sv</td>\s*<td>[^<]+</td>\s*<td>2</td>", page)


# --- saving through the checks of `make check-data`, revisions, restore (issue 15) ---


def revisions_in_db(client: TestClient) -> list[KnowledgeRevision]:
    async def load() -> list[KnowledgeRevision]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list((await session.scalars(select(KnowledgeRevision).order_by(KnowledgeRevision.id))).all())

    return client.portal.call(load)  # type: ignore[union-attr]


def add_revision(client: TestClient, **fields: str | None) -> int:
    async def add() -> int:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            row = KnowledgeRevision(**{"actor": "someone", "summary": "old", **fields})
            session.add(row)
            await session.commit()
            return int(row.id)

    return client.portal.call(add)  # type: ignore[union-attr]


def textarea_of(html: str) -> str:
    found = re.search(r'<textarea id="body"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, "no answer field"
    return unescape(found.group(1))


def restore(client: TestClient, revision_id: int, which: str, **overrides: str) -> object:
    page = client.get(f"/editor/revisions/{revision_id}")
    fields = {
        "csrf": csrf_of(page.text),
        "fingerprint": re.search(r'name="fingerprint" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
        "which": which,
        **overrides,
    }
    return client.post(f"/editor/revisions/{revision_id}/restore", data=fields, follow_redirects=False)


def test_emergency_answer_without_112_is_refused_with_the_reason(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "topics" / "emergency.yml"
    before = path.read_text(encoding="utf-8")
    typed = textarea_of(editor.get("/editor/topics/emergency/ar").text)
    assert typed.startswith("112")
    typed = typed.removeprefix("112").lstrip(" —")
    response = save(editor, "/editor/topics/emergency/ar", typed)
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "topic emergency: the first ar message must start with 112" in response.text  # type: ignore[attr-defined]
    assert textarea_of(response.text) == typed  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == before
    assert revisions_in_db(editor) == []


def test_valid_save_creates_a_revision_with_actor_path_summary_before_and_after(
    editor: TestClient, knowledge_dir: Path
) -> None:
    path = knowledge_dir / "topics" / "bankid.yml"
    before = path.read_text(encoding="utf-8")
    response = save(editor, "/editor/topics/bankid/so", "Tallaabo 1.\n\nTallaabo 2.", summary="Somali steps")
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions_in_db(editor)
    assert (revision.actor, revision.path, revision.summary) == ("erik", "topics/bankid.yml", "Somali steps")
    assert revision.before == before and revision.after == path.read_text(encoding="utf-8") != before
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert location == f"/editor/topics/bankid/so?saved={revision.id}"
    assert f'href="/editor/revisions/{revision.id}"' in editor.get(location).text


def test_summary_says_which_answer_when_the_editor_gives_none(editor: TestClient) -> None:
    save(editor, "/editor/topics/housing_queue/en?municipality=linkoping", "New local text.")
    (revision,) = revisions_in_db(editor)
    assert "en" in revision.summary and "Linköping" in revision.summary


def test_saving_the_same_text_records_nothing(editor: TestClient) -> None:
    body = textarea_of(editor.get("/editor/topics/bankid/en").text)
    response = save(editor, "/editor/topics/bankid/en", body)
    assert response.headers["location"] == "/editor/topics/bankid/en?unchanged=1"  # type: ignore[attr-defined]
    assert revisions_in_db(editor) == []


def test_recent_changes_newest_first_and_each_file_s_history(editor: TestClient) -> None:
    save(editor, "/editor/topics/bankid/en", "BankID, edited.")
    save(editor, "/editor/topics/sfi/en", "SFI, edited.", summary="SFI in short")
    assert 'href="/editor/revisions"' in editor.get("/editor").text
    assert 'href="/editor/revisions?path=topics/bankid.yml"' in editor.get("/editor/topics/bankid/sv").text

    recent = editor.get("/editor/revisions").text
    assert recent.index("topics/sfi.yml") < recent.index("topics/bankid.yml")
    assert "SFI in short" in recent and "erik" in recent
    history = editor.get("/editor/revisions?path=topics/bankid.yml").text
    assert "topics/bankid.yml" in history and "SFI in short" not in history
    assert editor.get("/editor/revisions?path=../secrets.yml").status_code == 404


def test_file_changed_outside_the_editor_is_pointed_out(editor: TestClient, knowledge_dir: Path) -> None:
    save(editor, "/editor/topics/bankid/en", "BankID, edited.")
    path = knowledge_dir / "topics" / "bankid.yml"
    path.write_text(path.read_text(encoding="utf-8") + "# by hand\n", encoding="utf-8")
    history = editor.get("/editor/revisions?path=topics/bankid.yml").text
    assert "utanför" in history  # "changed outside the editor"


def test_revision_shows_the_change_as_an_escaped_diff(editor: TestClient) -> None:
    old_first = textarea_of(editor.get("/editor/topics/bankid/en").text).split("\n\n")[0]
    save(editor, "/editor/topics/bankid/en", "Use <b>BankID</b> & more.")
    (revision,) = revisions_in_db(editor)
    page = editor.get(f"/editor/revisions/{revision.id}").text
    assert "<b>BankID</b>" not in page
    assert re.search(r"<ins>[^<]*- Use &lt;b&gt;BankID&lt;/b&gt; &amp; more\.</ins>", page)
    assert re.search(r"<del>.*?" + re.escape(unescape(old_first)[:20]), page, re.S)


def test_restore_republishes_the_earlier_version_as_a_new_revision(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "topics" / "bankid.yml"
    original = path.read_text(encoding="utf-8")
    save(editor, "/editor/topics/bankid/en", "A mistake.")
    (first,) = revisions_in_db(editor)
    response = restore(editor, first.id, "before")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == original
    second = revisions_in_db(editor)[-1]
    assert response.headers["location"] == f"/editor/revisions/{second.id}?restored=1"  # type: ignore[attr-defined]
    assert (second.actor, second.before, second.after) == ("erik", first.after, original)
    assert f"#{first.id}" in second.summary
    assert restore(editor, second.id, "before").status_code == 303  # and back to "A mistake."  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == first.after


def test_restore_that_breaks_a_rule_is_refused(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "topics" / "emergency.yml"
    current = path.read_text(encoding="utf-8")
    first = yaml.safe_load(current)["answers"]["ar"][0]
    without_112 = current.replace(first, first.removeprefix("112").lstrip(" —"), 1)
    revision_id = add_revision(editor, path="topics/emergency.yml", before=without_112, after=current)
    response = restore(editor, revision_id, "before")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "the first ar message must start with 112" in response.text  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == current
    assert len(revisions_in_db(editor)) == 1


def test_restore_from_a_stale_page_is_a_conflict(editor: TestClient, knowledge_dir: Path) -> None:
    save(editor, "/editor/topics/bankid/en", "First.")
    (first,) = revisions_in_db(editor)
    page = editor.get(f"/editor/revisions/{first.id}").text
    stale = re.search(r'name="fingerprint" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    save(editor, "/editor/topics/bankid/en", "Second.")
    response = restore(editor, first.id, "before", fingerprint=stale)
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert load_bank(knowledge_dir).answer("ask_bankid", "en").messages == ["Second."]  # type: ignore[union-attr]


def test_restore_without_csrf_token_is_refused(editor: TestClient, knowledge_dir: Path) -> None:
    save(editor, "/editor/topics/bankid/en", "First.")
    (first,) = revisions_in_db(editor)
    assert restore(editor, first.id, "before", csrf="forged").status_code == 400  # type: ignore[attr-defined]
    assert load_bank(knowledge_dir).answer("ask_bankid", "en").messages == ["First."]  # type: ignore[union-attr]
    assert len(revisions_in_db(editor)) == 1


def test_revision_pages_are_for_signed_in_editors_only(client: TestClient) -> None:
    revision_id = add_revision(client, path="topics/bankid.yml", before="a", after="b")
    for url in ("/editor/revisions", f"/editor/revisions/{revision_id}"):
        assert client.get(url, follow_redirects=False).headers["location"].startswith("/editor/login")
    response = client.post(f"/editor/revisions/{revision_id}/restore", data={"which": "before"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/editor/login")
    add_account(client, "sara", "staff")
    assert sign_in(client, "sara") == 303
    assert client.get("/editor/revisions").status_code == 403
    assert client.get(f"/editor/revisions/{revision_id}").status_code == 403
    assert client.post(f"/editor/revisions/{revision_id}/restore", data={"which": "before"}).status_code == 403


def test_unknown_revision_is_404(editor: TestClient) -> None:
    assert editor.get("/editor/revisions/999").status_code == 404
