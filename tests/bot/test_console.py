"""The staff console over HTTP and WebSocket: queue, claim (one at a time), reply that
reaches the user, hand back, tickets, and user text that stays text."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.bot.test_editor import PASSWORD, add_account, csrf_of
from tests.helpers.chat import auth
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, SATURDAY, Clock, handoff_client, say


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, clock: Clock) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, clock)


XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def staff_client(app_client: TestClient, username: str) -> TestClient:
    """A second browser (own cookies) on the same app."""
    other = TestClient(app_client.app)
    other.portal = app_client.portal  # type: ignore[attr-defined]
    page = other.get("/console/login")
    response = other.post(
        "/console/login",
        data={"csrf": csrf_of(page.text), "username": username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/console"
    return other


def post_form(client: TestClient, url: str, page_url: str, **fields: str) -> object:
    page = client.get(page_url)
    return client.post(url, data={"csrf": csrf_of(page.text), **fields}, follow_redirects=False)


def handoff_id(client: TestClient) -> int:
    found = re.search(r'href="/console/handoffs/(\d+)"', client.get("/console").text)
    assert found, "nobody in the queue"
    return int(found.group(1))


def test_console_needs_a_staff_account(client: TestClient) -> None:
    assert client.get("/console", follow_redirects=False).headers["location"].startswith("/console/login")
    add_account(client, "eva", "editor")
    page = client.get("/console/login")
    client.post("/console/login", data={"csrf": csrf_of(page.text), "username": "eva", "password": PASSWORD})
    assert client.get("/console").status_code == 403


def test_claim_reply_and_hand_back(client: TestClient, clock: Clock) -> None:
    add_account(client, "sara", "staff")
    add_account(client, "olle", "staff")
    sara, olle = staff_client(client, "sara"), staff_client(client, "olle")

    say(client, "amal", XSS, language="ar", municipality="linkoping")
    say(client, "amal", "/human")
    queue = sara.get("/console").text
    assert "&lt;script&gt;" in queue and "<script>alert(1)" not in queue and 'onerror="alert' not in queue
    assert "العربية" in queue and "Linköping" in queue
    hid = handoff_id(sara)
    page = f"/console/handoffs/{hid}"

    assert post_form(sara, f"{page}/claim", page).status_code == 303  # type: ignore[attr-defined]
    assert "Taken by" in olle.get("/console").text or "Tas av" in olle.get("/console").text
    assert post_form(olle, f"{page}/claim", page).status_code == 409  # type: ignore[attr-defined]
    assert post_form(olle, f"{page}/reply", page, text="I'll take it").status_code == 403  # type: ignore[attr-defined]
    assert say(client, "amal", "مرحبا؟")["mode"] == "human"

    assert post_form(sara, f"{page}/reply", page, text="Hej Amal, jag hjälper dig.").status_code == 303  # type: ignore[attr-defined]
    received = client.get("/api/messages", headers=auth(client, "amal")).json()
    assert received["mode"] == "human"
    authors = [(m["author"], m["text"]) for m in received["messages"]]
    assert ("staff", "Hej Amal, jag hjälper dig.") in authors
    assert any(author == "system" and "Sara" in text for author, text in authors)
    last = received["messages"][-1]["id"]

    assert post_form(sara, f"{page}/handback", page).status_code == 303  # type: ignore[attr-defined]
    after = client.get("/api/messages", params={"after": last}, headers=auth(client, "amal")).json()
    assert after["mode"] == "bot" and after["messages"][0]["author"] == "system"
    assert "Nobody is waiting" in sara.get("/console").text or "Ingen väntar" in sara.get("/console").text


def test_transcript_shows_user_markup_as_text(client: TestClient) -> None:
    add_account(client, "sara", "staff")
    sara = staff_client(client, "sara")
    say(client, "bo", "/human", language="sv", municipality="linkoping")
    say(client, "bo", XSS)
    html = sara.get(f"/console/handoffs/{handoff_id(sara)}").text
    assert (
        "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
        or "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    )
    assert "<img src=x" not in html


def test_ticket_left_while_closed_appears_in_the_console(client: TestClient, clock: Clock) -> None:
    add_account(client, "sara", "staff")
    sara = staff_client(client, "sara")
    clock.now = SATURDAY
    say(client, "cia", "/human", language="en", municipality="upplands-vasby")
    say(client, "cia", "/leave_message")
    say(client, "cia", "Please call me about my SFI registration")
    clock.now = MONDAY_MORNING
    queue = sara.get("/console").text
    assert "Please call me about my SFI registration" in queue
    ticket = re.search(r"/console/tickets/(\d+)/done", queue)
    assert ticket
    post_form(sara, f"/console/tickets/{ticket.group(1)}/done", "/console")
    assert "Please call me about my SFI registration" not in sara.get("/console").text


def test_websocket_tells_consoles_about_new_user_messages(client: TestClient) -> None:
    add_account(client, "sara", "staff")
    sara = staff_client(client, "sara")
    say(client, "dan", "/human", language="en", municipality="linkoping")
    with sara.websocket_connect("/console/ws") as ws:
        assert ws.receive_json() == {"type": "presence"}
        say(client, "dan", "are you there?")
        event = ws.receive_json()
        assert event["type"] == "message"


def test_websocket_without_sign_in_is_closed(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    anonymous.portal = client.portal  # type: ignore[attr-defined]
    with pytest.raises(WebSocketDisconnect) as closed, anonymous.websocket_connect("/console/ws") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_handoff_brief_shows_topic_question_and_the_bots_answer(client: TestClient, backends: FakeBackends) -> None:
    add_account(client, "sara", "staff")
    sara = staff_client(client, "sara")
    backends.rasa_replies = [
        {"custom": {"topic": "ask_housing_queue"}},
        {"text": "Ställ dig i bostadskö hos Stångåstaden."},
    ]
    say(client, "ella", "Hur får jag en lägenhet?", language="sv", municipality="linkoping")
    say(client, "ella", "/human")
    queue = sara.get("/console").text
    assert "Bostadskö" in queue
    brief = sara.get(f"/console/handoffs/{handoff_id(sara)}").text
    section = brief[brief.index('class="brief"') : brief.index("</section>")]
    assert "Hur får jag en lägenhet?" in section
    assert "Ställ dig i bostadskö hos Stångåstaden." in section
    assert "användaren bad om en människa" in section


def test_staff_actions_are_audited_without_message_text(client: TestClient, tmp_path: Path) -> None:
    add_account(client, "sara", "staff")
    add_account(client, "olle", "staff")
    sara, olle = staff_client(client, "sara"), staff_client(client, "olle")
    say(client, "dana", "/human", language="fa", municipality="linkoping")
    hid = handoff_id(sara)
    page = f"/console/handoffs/{hid}"
    post_form(sara, f"{page}/claim", page)
    post_form(olle, f"{page}/claim", page)  # refused (409): not an action that happened
    post_form(sara, f"{page}/reply", page, text="Mitt nummer är 070-123 45 67")
    post_form(sara, f"{page}/close", page)
    sara.get("/console/queue")  # refreshing the queue is not an action on a conversation

    with sqlite3.connect(tmp_path / "gateway.db") as db:
        rows = db.execute("SELECT actor, action, conversation_id, handoff_id FROM audit_log ORDER BY id").fetchall()
        conversation = db.execute("SELECT conversation_id FROM handoffs WHERE id = ?", (hid,)).fetchone()[0]
        everything = repr(db.execute("SELECT * FROM audit_log").fetchall())
    actions = [(actor, action) for actor, action, _, _ in rows]
    # Each page load before a form counts as opening the conversation.
    assert [a for a in actions if a[1] != "open"] == [("sara", "claim"), ("sara", "reply"), ("sara", "closed")]
    assert ("olle", "open") in actions and ("olle", "claim") not in actions
    assert {(c, h) for _, _, c, h in rows} == {(conversation, hid)}
    assert "070" not in everything and "Mitt nummer" not in everything  # ids only, no text
