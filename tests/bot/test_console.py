"""The staff console over HTTP and WebSocket: queue, claim (one at a time), reply that
reaches the user, hand back, tickets, user text that stays text; each staff member sees
and acts on their own municipalities only, and a transcript is its handoff's span only."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.console import routes as console_routes
from tests.helpers.chat import auth
from tests.helpers.console import WAIT_ANYWAY
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, SATURDAY, Clock, handoff_client, say
from tests.helpers.staff import PASSWORD, add_account, audit_rows, browser, csrf_of, post_form, staff_client

LINKOPING = ("linkoping",)


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, clock: Clock) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, clock)


XSS = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def handoff_id(client: TestClient) -> int:
    found = re.search(r'href="/console/handoffs/(\d+)"', client.get("/console").text)
    assert found, "nobody in the queue"
    return int(found.group(1))


def handoff_ids(client: TestClient) -> list[int]:
    return [int(h) for h in re.findall(r'href="/console/handoffs/(\d+)"', client.get("/console").text)]


def transcript_of(html: str) -> str:
    return html[html.index('<ol class="transcript">') : html.index("</ol>")]


def test_console_needs_a_staff_account(client: TestClient) -> None:
    assert client.get("/console", follow_redirects=False).headers["location"].startswith("/console/login")
    add_account(client, "eva", "editor")
    page = client.get("/console/login")
    client.post("/console/login", data={"csrf": csrf_of(page.text), "username": "eva", "password": PASSWORD})
    assert client.get("/console").status_code == 403
    assert client.get("/console/queue").status_code == 403  # the live fragment too


def test_claim_reply_and_hand_back(client: TestClient, clock: Clock) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "olle", "staff", LINKOPING)
    sara, olle = staff_client(client, "sara"), staff_client(client, "olle")

    say(client, "amal", XSS, language="ar", municipality="linkoping")
    say(client, "amal", WAIT_ANYWAY)
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
    add_account(client, "sara", "staff", LINKOPING)
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
    add_account(client, "sara", "staff", ("upplands-vasby",))
    sara = staff_client(client, "sara")
    clock.now = SATURDAY
    say(client, "cia", "/human", language="en", municipality="upplands-vasby")
    say(client, "cia", "/leave_message")
    say(client, "cia", "Please call me about my SFI registration")
    clock.now = MONDAY_MORNING
    queue = sara.get("/console").text
    assert "Please call me about my SFI registration" in queue
    ticket = re.search(r'href="/console/tickets/(\d+)"', queue)
    assert ticket
    page = f"/console/tickets/{ticket.group(1)}"
    assert post_form(sara, f"{page}/done", page).status_code == 303  # type: ignore[attr-defined]
    assert "Please call me about my SFI registration" not in sara.get("/console").text


def test_staff_see_and_act_on_their_own_municipalities_only(client: TestClient, clock: Clock, tmp_path: Path) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "bengt", "staff", ("bastad",))
    add_account(client, "ada", "admin")
    sara, bengt, ada = staff_client(client, "sara"), staff_client(client, "bengt"), staff_client(client, "ada")
    say(client, "lina", "Jag behöver hjälp med bostad i Linköping", language="sv", municipality="linkoping")
    say(client, "lina", "/human")
    clock.now = SATURDAY
    say(client, "cia", "/human", language="en", municipality="linkoping")
    say(client, "cia", "/leave_message")
    say(client, "cia", "Ticket text for Linköping only")
    clock.now = MONDAY_MORNING

    linkoping = handoff_id(sara)
    ticket = re.search(r'href="/console/tickets/(\d+)"', sara.get("/console").text)
    assert ticket
    queue = bengt.get("/console").text
    assert handoff_ids(bengt) == [] and "Ticket text" not in queue and "bostad" not in queue
    assert "Båstad" in queue  # the page says which municipalities the account works for
    assert "bostad" not in bengt.get("/console/queue").text
    assert handoff_ids(ada) == [linkoping] and "Ticket text for Linköping only" in ada.get("/console").text

    page = f"/console/handoffs/{linkoping}"
    # Another municipality's handoff or ticket is "not found", whatever is done to it …
    assert bengt.get(page).status_code == 404
    assert bengt.get(f"{page}/transcript").status_code == 404
    for action in ("claim", "reply", "handback", "close"):
        refused = post_form(bengt, f"{page}/{action}", "/console", text="hej")
        assert refused.status_code == 404, action  # type: ignore[attr-defined]
        assert "bostad" not in refused.text  # type: ignore[attr-defined]
    for action in ("done", "reply"):
        refused = post_form(bengt, f"/console/tickets/{ticket.group(1)}/{action}", "/console", text="hej")
        assert refused.status_code == 404, action  # type: ignore[attr-defined]
    assert bengt.get(f"/console/tickets/{ticket.group(1)}").status_code == 404
    # … exactly like one that does not exist.
    assert bengt.get("/console/handoffs/9999").status_code == 404
    assert post_form(bengt, "/console/handoffs/9999/claim", "/console").status_code == 404  # type: ignore[attr-defined]
    assert "Ticket text for Linköping only" in sara.get("/console").text  # not marked done
    assert say(client, "lina", "hallå?")["mode"] == "waiting"  # not claimed
    assert not [row for row in audit_rows(tmp_path / "gateway.db", "actor") if row == ("bengt",)]

    # Their own staff and admins may.
    assert sara.get(page).status_code == 200 and ada.get(page).status_code == 200
    assert post_form(sara, f"{page}/claim", page).status_code == 303  # type: ignore[attr-defined]


def test_staff_actions_refuse_another_municipalitys_handoff_as_not_found(client: TestClient) -> None:
    from bot.db import Staff
    from bot.handoff.staff import StaffActionError

    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "lina", "/human", language="sv", municipality="linkoping")
    hid = handoff_id(sara)
    page = f"/console/handoffs/{hid}"
    post_form(sara, f"{page}/claim", page)
    actions = client.app.state.staff_actions  # type: ignore[attr-defined]
    outsider = Staff(id=999, username="bengt", display_name="Bengt", role="staff", municipalities=["bastad"])

    async def attempt(name: str) -> int:
        from bot.handoff.states import Event

        calls = {
            "claim": lambda: actions.claim(hid, outsider),
            "reply": lambda: actions.reply(hid, outsider, "hej"),
            "handback": lambda: actions.end(hid, outsider, Event.HAND_BACK),
        }
        try:
            await calls[name]()
        except StaffActionError as exc:
            return exc.status
        return 200

    for name in ("claim", "reply", "handback"):
        assert client.portal.call(attempt, name) == 404, name  # type: ignore[union-attr]


def test_transcript_is_the_handoffs_span_only(client: TestClient, backends: FakeBackends) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "bengt", "staff", ("bastad",))
    sara, bengt = staff_client(client, "sara"), staff_client(client, "bengt")
    say(client, "dina", "Mitt personnummer är 19900101-1234, vad gör jag?", language="sv", municipality="linkoping")
    for text in ("Hur skaffar jag BankID?", "Och ID-kort?"):
        say(client, "dina", text)
    backends.rasa_replies = [{"text": "Boka tid hos Skatteverket."}]
    say(client, "dina", "Hur får jag en lägenhet?")
    say(client, "dina", "/human")
    first = handoff_id(sara)
    page = f"/console/handoffs/{first}"
    post_form(sara, f"{page}/claim", page)
    say(client, "dina", "Jag bor på Storgatan 5")
    post_form(sara, f"{page}/reply", page, text="Tack, jag kollar.")
    post_form(sara, f"{page}/handback", page)
    say(client, "dina", "AFTER THE END: min nya adress är Ågatan 2")
    say(client, "dina", "Kan Båstad hjälpa mig?", municipality="bastad")
    say(client, "dina", "/human")
    second = handoff_id(bengt)

    shown = transcript_of(sara.get(page).text)
    assert "Hur får jag en lägenhet?" in shown and "Boka tid hos Skatteverket." in shown  # the brief's question
    assert "Storgatan 5" in shown and "Tack, jag kollar." in shown  # the handoff itself
    assert "19900101" not in shown and "BankID" not in shown and "ID-kort" not in shown  # long before it
    assert "AFTER THE END" not in shown and "Båstad" not in shown  # after it ended
    assert "AFTER THE END" not in sara.get(f"{page}/transcript").text

    other = bengt.get(f"/console/handoffs/{second}").text
    assert "Kan Båstad hjälpa mig?" in other
    for earlier in ("Storgatan 5", "Tack, jag kollar.", "19900101", "lägenhet"):
        assert earlier not in other, earlier  # nothing of the Linköping handoff, nor before it


def test_a_new_handoff_shows_nothing_of_the_previous_one(client: TestClient) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "bengt", "staff", ("bastad",))
    sara, bengt = staff_client(client, "sara"), staff_client(client, "bengt")
    say(client, "lina", "Var finns SFI i Linköping?", language="sv", municipality="linkoping")
    say(client, "lina", "/human")
    first = handoff_id(sara)
    page = f"/console/handoffs/{first}"
    post_form(sara, f"{page}/claim", page)
    say(client, "lina", "Jag bor på Storgatan 5, ring 070-111 22 33")
    post_form(sara, f"{page}/handback", page)
    say(client, "lina", "/human", municipality="bastad")  # at once, in another municipality

    second = bengt.get(f"/console/handoffs/{handoff_id(bengt)}").text
    assert 'class="msg user pressed"' in transcript_of(second)  # "/human", shown by name
    for earlier in ("Storgatan", "070-111", "SFI"):
        assert earlier not in second, earlier  # neither in the brief nor in the transcript


def test_handoff_brief_shows_topic_question_and_the_bots_answer(client: TestClient, backends: FakeBackends) -> None:
    add_account(client, "sara", "staff", LINKOPING)
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
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "olle", "staff", LINKOPING)
    sara, olle = staff_client(client, "sara"), staff_client(client, "olle")
    say(client, "dana", WAIT_ANYWAY, language="fa", municipality="linkoping")
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
    actions = [(actor, action) for actor, action, _, _ in rows if action != "account_create"]
    # Each page load before a form counts as opening the conversation.
    assert [a for a in actions if a[1] != "open"] == [("sara", "claim"), ("sara", "reply"), ("sara", "closed")]
    assert ("olle", "open") in actions and ("olle", "claim") not in actions
    assert {(c, h) for _, action, c, h in rows if action != "account_create"} == {(conversation, hid)}
    assert "070" not in everything and "Mitt nummer" not in everything  # ids only, no text


def test_opening_a_transcript_is_audited_once_per_page_not_per_live_refresh(client: TestClient, tmp_path: Path) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "ebba", "/human", language="sv", municipality="linkoping")
    hid = handoff_id(sara)

    def opened() -> list[tuple[object, ...]]:
        return [row for row in audit_rows(tmp_path / "gateway.db", "actor", "action", "handoff_id") if row[1] == "open"]

    sara.get(f"/console/handoffs/{hid}")
    for _ in range(3):  # what console.js fetches on every new message
        assert sara.get(f"/console/handoffs/{hid}/transcript").status_code == 200
    assert opened() == [("sara", "open", hid)]
    sara.get(f"/console/handoffs/{hid}")  # opening the page again is another reading
    assert len(opened()) == 2

    # The fragment fetched without ever opening the page (another browser) is audited too.
    other = staff_client(client, "sara")
    assert 'class="msg user pressed"' in other.get(f"/console/handoffs/{hid}/transcript").text  # "/human"
    other.get(f"/console/handoffs/{hid}/transcript")
    assert len(opened()) == 3


def test_live_fragments_of_an_ended_session_answer_401_not_the_sign_in_page(client: TestClient) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "fia", "/human", language="sv", municipality="linkoping")
    hid = handoff_id(sara)
    post_form(sara, "/console/logout", "/console")
    assert sara.get("/console/queue", follow_redirects=False).status_code == 401
    assert sara.get(f"/console/handoffs/{hid}/transcript", follow_redirects=False).status_code == 401


def test_websocket_tells_consoles_about_new_user_messages(client: TestClient) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "dan", "/human", language="en", municipality="linkoping")
    with sara.websocket_connect("/console/ws") as ws:
        assert ws.receive_json() == {"type": "presence"}
        say(client, "dan", "are you there?")
        event = ws.receive_json()
        assert event["type"] == "message"


def test_websocket_tells_nothing_about_other_municipalities_conversations(client: TestClient) -> None:
    add_account(client, "bengt", "staff", ("bastad",))
    bengt = staff_client(client, "bengt")
    say(client, "lina", "/human", language="sv", municipality="linkoping")
    say(client, "bosse", "/human", language="sv", municipality="bastad")
    heard: list[dict[str, Any]] = []
    with bengt.websocket_connect("/console/ws") as ws:
        say(client, "lina", "Linköping writes")
        say(client, "bosse", "Båstad writes")
        while not any(e["type"] == "message" for e in heard):
            heard.append(ws.receive_json())
    messages = [e for e in heard if e["type"] == "message"]
    assert len(messages) == 1
    assert all(e["type"] in ("presence", "queue", "message") for e in heard)  # no deliveries either
    conversations = {e["conversation"] for e in messages}
    assert conversations == {_conversation_of(client, "bosse")}


def _conversation_of(client: TestClient, sender: str) -> int:
    async def find() -> int:
        from sqlalchemy import select

        from bot.db import Conversation

        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            found = await session.scalar(select(Conversation.id).where(Conversation.sender == sender))
        assert found is not None
        return int(found)

    return client.portal.call(find)  # type: ignore[union-attr]


def test_websocket_without_sign_in_is_closed(client: TestClient) -> None:
    anonymous = browser(client)
    with pytest.raises(WebSocketDisconnect) as closed, anonymous.websocket_connect("/console/ws") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_websocket_of_an_editor_is_closed(client: TestClient) -> None:
    add_account(client, "eva", "editor")
    eva = staff_client(client, "eva")
    with pytest.raises(WebSocketDisconnect) as closed, eva.websocket_connect("/console/ws") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


@pytest.mark.timeout(30)
def test_open_websocket_closes_when_its_session_is_signed_out(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_routes, "RECHECK_SECONDS", 0.1)
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    copy = browser(client, cookies=dict(sara.cookies))  # the same session, copied
    with pytest.raises(WebSocketDisconnect) as closed, copy.websocket_connect("/console/ws") as ws:
        assert ws.receive_json() == {"type": "presence"}
        post_form(sara, "/console/logout", "/console")
        while True:
            ws.receive_json()
    assert closed.value.code == 4401
