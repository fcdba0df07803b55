"""Builders for the console tests: reading rows straight from the gateway's database,
finding a handoff or ticket in a staff member's queue, and a ticket made as the user-side
flows store them."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.db import Conversation, Ticket
from lotsen import protocol

# Linköping's staff speak Swedish and English: users in other languages choose to wait anyway.
WAIT_ANYWAY = protocol.payload(protocol.HUMAN, **{protocol.KEY_ANYWAY: "yes"})


def rows(client: TestClient, model: Any, *where: Any) -> list[Any]:
    async def query() -> list[Any]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list(await session.scalars(select(model).where(*where).order_by(model.id)))

    return client.portal.call(query)  # type: ignore[union-attr]


def conversation_of(client: TestClient, sender: str) -> Conversation:
    found = rows(client, Conversation, Conversation.sender == sender)
    assert found, f"no conversation of {sender}"
    return found[0]  # type: ignore[no-any-return]


def handoff_page(staff: TestClient) -> str:
    found = re.search(r'href="/console/handoffs/(\d+)"', staff.get("/console").text)
    assert found, "nobody in the queue"
    return f"/console/handoffs/{found.group(1)}"


def ticket_pages(staff: TestClient) -> list[str]:
    return [f"/console/tickets/{i}" for i in re.findall(r'href="/console/tickets/(\d+)"', staff.get("/console").text)]


def add_ticket(client: TestClient, sender: str, **fields: Any) -> int:
    """A ticket of the sender's conversation, stored as the handoff service stores one."""
    conversation = conversation_of(client, sender)

    async def insert() -> int:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            ticket = Ticket(
                conversation_id=conversation.id,
                municipality=conversation.municipality,
                status="open",
                **{"text": "", **fields},
            )
            session.add(ticket)
            await session.commit()
            return ticket.id

    return client.portal.call(insert)  # type: ignore[union-attr]
