"""The review dashboard (`/editor/review`): due and overdue review dates, unconfirmed
office details, missing languages, the most 👎 and the most asked unanswered questions,
each linked to its editor page; "checked today" recording last_checked, checked_by and the
next review date in the file as it is (comments kept), as a revision."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import Conversation, Feedback, KnowledgeRevision, Message
from bot.editor import review
from tests.helpers.forms import Form
from tests.helpers.staff import add_account, sign_in

TODAY = date(2026, 12, 1)
CHECKED = "/editor/review/checked"


@pytest.fixture
def editor(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(review, "today", lambda: TODAY)
    add_account(client, "erik", "editor")
    assert sign_in(client, "erik", area="/editor") == 303
    return client


def set_review_by(knowledge_dir: Path, relative: str, when: str) -> Path:
    path = knowledge_dir / relative
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^review_by: .*$", f"review_by: {when}", text, count=1), encoding="utf-8")
    return path


def revisions(client: TestClient) -> list[KnowledgeRevision]:
    async def load() -> list[KnowledgeRevision]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list((await session.scalars(select(KnowledgeRevision).order_by(KnowledgeRevision.id))).all())

    return client.portal.call(load)  # type: ignore[union-attr]


def due_row(html: str, relative: str) -> str:
    """The row of the review-date table that names the file."""
    table = html.split('id="due"')[1].split("</table>")[0]
    rows = [row for row in table.split("<tr") if f"({relative})" in row]
    assert len(rows) == 1, f"{relative} is not listed once"
    return rows[0]


def checked_form(html: str, relative: str) -> Form:
    """The "checked today" form of one row, as the browser would send it."""
    return Form(due_row(html, relative), action=CHECKED)


def test_review_pages_are_for_signed_in_editors_only(client: TestClient) -> None:
    assert client.get("/editor/review", follow_redirects=False).headers["location"].startswith("/editor/login")
    response = client.post(CHECKED, data={"path": "topics/tax.yml"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/editor/login")
    add_account(client, "sara", "staff")
    assert sign_in(client, "sara", area="/editor") == 303
    assert client.get("/editor/review").status_code == 403
    assert client.post(CHECKED, data={"path": "topics/tax.yml"}).status_code == 403


def test_past_and_coming_review_dates_are_listed_and_linked(editor: TestClient, knowledge_dir: Path) -> None:
    set_review_by(knowledge_dir, "topics/tax.yml", "2026-11-01")  # passed
    set_review_by(knowledge_dir, "associations/kompis-sverige.yml", "2026-12-20")  # within 30 days
    set_review_by(knowledge_dir, "offices/linkoping.yml", "2026-11-30")
    page = editor.get("/editor/review").text
    assert 'href="/editor/topics/tax/sv"' in due_row(page, "topics/tax.yml")
    assert 'class="missing"' in due_row(page, "topics/tax.yml")  # marked as passed
    assert 'class="missing"' not in due_row(page, "associations/kompis-sverige.yml")
    assert 'href="/editor/associations/kompis-sverige"' in due_row(page, "associations/kompis-sverige.yml")
    assert 'href="/editor/offices"' in due_row(page, "offices/linkoping.yml")
    assert page.index("(topics/tax.yml)") < page.index("(offices/linkoping.yml)")  # the oldest date first
    assert "(topics/bankid.yml)" not in page  # due in February: not yet
    assert 'href="/editor/review"' in editor.get("/editor").text  # in the editor's navigation


def test_checked_today_records_who_and_when_in_the_file_and_the_bank(editor: TestClient, knowledge_dir: Path) -> None:
    path = set_review_by(knowledge_dir, "topics/tax.yml", "2026-11-01")
    before = path.read_text(encoding="utf-8")
    form = checked_form(editor.get("/editor/review").text, "topics/tax.yml")
    assert form.get("review_by") == [(TODAY + timedelta(days=182)).isoformat()]  # no rhythm known yet: half a year
    response = form.set("review_by", "2027-03-01").post(editor, CHECKED)
    assert response.status_code == 303  # type: ignore[attr-defined]
    (revision,) = revisions(editor)
    assert response.headers["location"] == f"/editor/review?checked={revision.id}"  # type: ignore[attr-defined]
    assert (revision.actor, revision.path, revision.before) == ("erik", "topics/tax.yml", before)

    after = path.read_text(encoding="utf-8")
    comments = [line for line in before.splitlines() if line.startswith("#")]
    assert [line for line in after.splitlines() if line.startswith("#")] == comments
    assert [line for line in after.splitlines() if line not in before.splitlines()] == [
        "last_checked: 2026-12-01",
        "checked_by: Erik",
        "review_by: 2027-03-01",
    ]
    data = yaml.safe_load(after)
    assert (data["last_checked"], data["checked_by"], data["review_by"]) == (TODAY, "Erik", date(2027, 3, 1))
    topic = editor.app.state.store.get().by_intent("ask_tax")  # type: ignore[attr-defined]
    assert (topic.last_checked, topic.checked_by) == (TODAY, "Erik")
    assert "(topics/tax.yml)" not in editor.get("/editor/review").text


@pytest.mark.parametrize("relative", ["offices/linkoping.yml", "associations/kompis-sverige.yml"])
def test_offices_files_and_associations_are_checked_today_too(
    editor: TestClient, knowledge_dir: Path, relative: str
) -> None:
    path = set_review_by(knowledge_dir, relative, "2026-11-30")
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    form = checked_form(editor.get("/editor/review").text, relative).set("review_by", "2027-06-01")
    assert form.post(editor, CHECKED).status_code == 303  # type: ignore[attr-defined]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert (data["last_checked"], data["checked_by"], data["review_by"]) == (TODAY, "Erik", date(2027, 6, 1))
    assert path.read_text(encoding="utf-8").splitlines()[0] == first_line


def test_the_next_review_keeps_the_entry_s_rhythm(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "associations" / "kompis-sverige.yml"
    text = path.read_text(encoding="utf-8").replace(
        "review_by: 2027-02-23", "last_checked: 2026-09-20\nreview_by: 2026-12-20"
    )
    path.write_text(text, encoding="utf-8")
    form = checked_form(editor.get("/editor/review").text, "associations/kompis-sverige.yml")
    assert form.get("review_by") == ["2027-03-02"]  # three months again


@pytest.mark.parametrize("review_by", ["2026-11-30", "soon"])
def test_checked_today_with_a_next_review_not_after_today_changes_nothing(
    editor: TestClient, knowledge_dir: Path, review_by: str
) -> None:
    path = set_review_by(knowledge_dir, "topics/tax.yml", "2026-11-01")
    before = path.read_text(encoding="utf-8")
    form = checked_form(editor.get("/editor/review").text, "topics/tax.yml").set("review_by", review_by)
    assert form.post(editor, CHECKED).status_code == 422  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == before and revisions(editor) == []


def test_checked_today_refuses_a_forged_form_or_a_file_outside_the_bank(
    editor: TestClient, knowledge_dir: Path
) -> None:
    path = set_review_by(knowledge_dir, "topics/tax.yml", "2026-11-01")
    before = path.read_text(encoding="utf-8")
    form = checked_form(editor.get("/editor/review").text, "topics/tax.yml")
    assert form.set("csrf", "forged").post(editor, CHECKED).status_code == 400  # type: ignore[attr-defined]
    form = checked_form(editor.get("/editor/review").text, "topics/tax.yml")
    for elsewhere in ("../secrets.yml", "interests.yml", "topics/nothing.yml"):
        assert form.set("path", elsewhere).post(editor, CHECKED).status_code == 422  # type: ignore[attr-defined]
    assert path.read_text(encoding="utf-8") == before and revisions(editor) == []


def test_unconfirmed_details_and_missing_languages_link_to_their_pages(editor: TestClient, knowledge_dir: Path) -> None:
    path = knowledge_dir / "topics" / "sfi.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert "ti" in data["answers"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("  ti:\n")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    path.write_text("".join(lines[:start] + lines[end:]), encoding="utf-8")
    page = editor.get("/editor/review").text
    assert 'href="/editor/offices/upplands-vasby/vasby-direkt"' in page.split('id="unverified"')[1]
    missing = page.split('id="missing"')[1].split("</table>")[0]
    assert 'href="/editor/topics/sfi/ti"' in missing
    assert "/editor/topics/bankid/" not in missing


def add_rows(client: TestClient, *rows: object) -> None:
    async def add() -> None:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            for row in rows:
                session.add(row)
                await session.flush()
            await session.commit()

    client.portal.call(add)  # type: ignore[union-attr]


def test_most_disliked_answers_and_most_asked_questions_per_language(editor: TestClient) -> None:
    assert "/editor/topics/tax/en" not in editor.get("/editor/review").text  # empty tables: no rows, no error
    conversations = [Conversation(id=n, channel="web", sender=f"u{n}", language=lang) for n, lang in
                     [(1, "en"), (2, "en"), (3, "sv"), (4, "ar")]]  # fmt: skip
    feedback = [
        Feedback(conversation_id=1, topic="ask_tax", language="en", value=-1),
        Feedback(conversation_id=2, topic="ask_tax", language="en", value=-1),
        Feedback(conversation_id=3, topic="ask_sfi", language="sv", value=-1),
        Feedback(conversation_id=3, topic="ask_bankid", language="sv", value=1),
    ]

    def asked(conversation: int, text: str) -> Message:
        return Message(conversation_id=conversation, author="user", text=text, unanswered="not_understood")

    messages = [
        asked(1, "Where can I fish?"),
        asked(2, "where can I fish?"),
        asked(1, "Can I keep a horse?"),
        asked(4, "أين يمكنني الصيد؟"),
        asked(3, "Ring mig på 070-123 45 67"),
    ]
    add_rows(editor, *conversations, *feedback, *messages)

    page = editor.get("/editor/review").text
    disliked = page.split('id="disliked"')[1].split("</table>")[0]
    assert disliked.index("/editor/topics/tax/en") < disliked.index("/editor/topics/sfi/sv")
    assert "/editor/topics/bankid/" not in disliked  # only 👍
    questions = page.split('id="questions"')[1]
    assert questions.index("Where can I fish?") < questions.index("Can I keep a horse?")  # asked twice first
    assert re.search(r"Where can I fish\?</td>\s*<td>[^<]+</td>\s*<td>2</td>", questions)
    assert questions.index('href="/editor/unanswered?language=en"') < questions.index("أين يمكنني الصيد؟")
    assert "070-123" not in questions  # masked like the feed
