"""Left messages and callbacks answered in the console: the queue lists them with what
calling back needs, a ticket's page shows its recent messages (scoped, audited), a reply
reaches the user through the outbox like a handoff reply, and "done" is recorded."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.db import AuditEntry, Message, OutboxEntry, Ticket
from tests.helpers.chat import history
from tests.helpers.console import add_ticket, rows, ticket_pages
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, SATURDAY, Clock, handoff_client, say
from tests.helpers.staff import add_account, post_form, staff_client

LINKOPING = ("linkoping",)
LEFT = "Jag behöver hjälp med min ansökan om bostadsbidrag"


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, clock: Clock) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, clock)


def leave_message(client: TestClient, clock: Clock, sender: str, text: str, **metadata: str) -> None:
    clock.now = SATURDAY
    say(client, sender, "/human", **metadata)
    say(client, sender, "/leave_message")
    say(client, sender, text)
    clock.now = MONDAY_MORNING


def test_queue_lists_tickets_with_kind_time_and_callback_details(client: TestClient, clock: Clock) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    leave_message(client, clock, "lina", LEFT, language="sv", municipality="linkoping")
    say(client, "tesfay", "ሰላም", language="ti", municipality="linkoping")
    add_ticket(client, "tesfay", kind="callback", phone="+46701234567", window="2026-12-03 morning", interpreter="ti")

    queue = sara.get("/console").text
    table = html.unescape(
        queue[queue.index('<table class="tickets">') : queue.index("</table>", queue.index("tickets"))]
    )
    message_row, callback_row = re.findall(r'<tr class="ticket [a-z]+">(.*?)</tr>', table, re.DOTALL)
    assert "Meddelande" in message_row and LEFT in message_row and "Linköping" in message_row
    assert re.search(r"\d{1,2} [a-zé]+\.? \d{4} \d{2}:\d{2} CES?T", message_row)  # when, in Swedish time
    assert "Tolk" not in message_row  # Linköping's staff speak Swedish
    assert "Återuppringning" in callback_row and "+46 70 123 45 67" in callback_row
    assert "torsdag 3 dec. 2026, förmiddag" in callback_row
    assert "Tolk: tigrinja" in callback_row and "Tigrinja" in callback_row
    assert len(ticket_pages(sara)) == 2


def test_ticket_page_shows_the_ticket_and_its_recent_messages_and_is_audited(
    client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    say(client, "lina", "Mitt personnummer är 19900101-1234", language="sv", municipality="linkoping")
    for filler in ("ett", "två", "tre", "fyra"):
        say(client, "lina", f"Fråga {filler}")
    leave_message(client, clock, "lina", LEFT)
    say(client, "lina", "AFTER: jag ringer själv i stället")
    (page,) = ticket_pages(sara)

    shown = html.unescape(sara.get(page).text)
    details = shown[shown.index('class="brief ticket-details"') : shown.index("</section>")]
    assert LEFT in details and "Linköping" in details and "Svenska" in details
    recent = shown[shown.index('<ol class="transcript">') : shown.index("</ol>")]
    assert LEFT in recent and "Valde att lämna ett meddelande" in recent  # the lead-up, by name
    assert "AFTER: jag ringer själv" in recent  # what the user wrote since
    assert "19900101" not in shown  # long before it: more than the few messages the page may show

    ticket = rows(client, Ticket)[0]
    opened = [(e.actor, e.ticket_id) for e in rows(client, AuditEntry) if e.action == "open"]
    assert opened == [("sara", ticket.id)]


def test_another_municipalitys_ticket_is_not_found(client: TestClient, clock: Clock) -> None:
    add_account(client, "bengt", "staff", ("bastad",))
    add_account(client, "sara", "staff", LINKOPING)
    bengt, sara = staff_client(client, "bengt"), staff_client(client, "sara")
    leave_message(client, clock, "lina", LEFT, language="sv", municipality="linkoping")
    (page,) = ticket_pages(sara)
    assert ticket_pages(bengt) == []
    assert bengt.get(page).status_code == 404 and LEFT not in bengt.get(page).text
    assert bengt.get("/console/tickets/9999").status_code == 404
    for action in ("reply", "done"):
        assert post_form(bengt, f"{page}/{action}", "/console", text="hej").status_code == 404  # type: ignore[attr-defined]
    assert rows(client, Ticket)[0].status == "open"
    assert [m for m in rows(client, Message) if m.author == "staff"] == []


def test_reply_to_a_ticket_reaches_the_user_through_the_outbox(client: TestClient, clock: Clock) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    leave_message(client, clock, "lina", LEFT, language="sv", municipality="linkoping")
    (page,) = ticket_pages(sara)
    answer = "Hej Lina! Ring oss på 013-20 60 00 så hjälper vi dig."

    assert post_form(sara, f"{page}/reply", page, text=f"  {answer}  ").status_code == 303  # type: ignore[attr-defined]
    staff = [m for m in rows(client, Message) if m.author == "staff"]
    assert [(m.text, m.author_name, m.phrase) for m in staff] == [(answer, "Sara", None)]
    assert [e.message_id for e in rows(client, OutboxEntry, OutboxEntry.message_id == staff[0].id)] == [staff[0].id]
    assert (answer, "staff") in [(m["text"], m["author"]) for m in history(client, "lina")]  # delivered
    ticket = rows(client, Ticket)[0]
    assert ("sara", "ticket_reply", ticket.id) in [(e.actor, e.action, e.ticket_id) for e in rows(client, AuditEntry)]
    assert answer in html.unescape(sara.get(page).text)  # the page shows it
    assert ticket.status == "open"  # replying is not finishing

    empty = post_form(sara, f"{page}/reply", page, text="   ")
    assert empty.status_code == 400  # type: ignore[attr-defined]


def test_marking_a_ticket_done_records_when_and_who(client: TestClient, clock: Clock) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    sara = staff_client(client, "sara")
    leave_message(client, clock, "lina", LEFT, language="sv", municipality="linkoping")
    (page,) = ticket_pages(sara)

    assert post_form(sara, f"{page}/done", page).status_code == 303  # type: ignore[attr-defined]
    (ticket,) = rows(client, Ticket)
    assert ticket.status == "done" and ticket.done_at is not None and ticket.handled_by is not None
    assert ("sara", "ticket_done", ticket.id) in [(e.actor, e.action, e.ticket_id) for e in rows(client, AuditEntry)]
    assert ticket_pages(sara) == [] and LEFT not in sara.get("/console").text
    done_page = html.unescape(sara.get(page).text)
    assert re.search(r"Klar \d{1,2} [a-zé]+\.? \d{4} \d{2}:\d{2} CES?T", done_page)
    assert 'id="done"' not in done_page and 'action="/console/tickets' not in done_page  # nothing left to do
    late = post_form(sara, f"{page}/reply", page, text="Hej igen")
    assert late.status_code == 409  # type: ignore[attr-defined]
    assert [m for m in rows(client, Message) if m.author == "staff"] == []
