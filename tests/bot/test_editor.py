"""Editor pages: sign-in, coverage, editing with preview and validation, unanswered feed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

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
