"""One contact person (issue 21): a returning user who asks for a person again is offered
first to the staff member who helped them before — the queue says so, the user is told,
nobody else can take it during the head start, and anyone can once it is over."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from bot.db import Handoff, utcnow
from tests.helpers.console import WAIT_ANYWAY
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.handoff import MONDAY_MORNING, Clock, handoff_client, rows, say
from tests.helpers.staff import add_account, post_form, staff_client

LINKOPING = ("linkoping",)


@pytest.fixture
def client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends) -> Iterator[TestClient]:
    yield from handoff_client(tmp_path, knowledge_dir, backends, Clock(MONDAY_MORNING))


def waiting_id(staff: TestClient) -> int:
    found = re.search(r'href="/console/handoffs/(\d+)"', staff.get("/console").text)
    assert found, "nobody in the queue"
    return int(found.group(1))


def helped_once_by_sara(client: TestClient) -> tuple[TestClient, TestClient]:
    add_account(client, "sara", "staff", LINKOPING)
    add_account(client, "olle", "staff", LINKOPING)
    sara, olle = staff_client(client, "sara"), staff_client(client, "olle")
    say(client, "amal", "/human", language="ar", municipality="linkoping")
    say(client, "amal", WAIT_ANYWAY)
    page = f"/console/handoffs/{waiting_id(sara)}"
    assert post_form(sara, f"{page}/claim", page).status_code == 303  # type: ignore[attr-defined]
    assert post_form(sara, f"{page}/handback", page).status_code == 303  # type: ignore[attr-defined]
    return sara, olle


def test_a_returning_user_is_offered_first_to_who_helped_them(client: TestClient) -> None:
    sara, olle = helped_once_by_sara(client)
    again = say(client, "amal", WAIT_ANYWAY)
    assert again["mode"] == "waiting"
    assert any("Sara" in m["text"] for m in again["messages"])  # told who will see it first

    assert "returning-yours" in sara.get("/console").text  # Sara sees her returning user
    queue = olle.get("/console").text
    assert "returning-yours" not in queue and "Sara" in queue  # Olle sees who helped last, and the head start
    page = f"/console/handoffs/{waiting_id(olle)}"
    assert post_form(olle, f"{page}/claim", page).status_code == 409  # type: ignore[attr-defined]
    assert post_form(sara, f"{page}/claim", page).status_code == 303  # type: ignore[attr-defined]


def test_after_the_head_start_anyone_can_take_it(client: TestClient) -> None:
    _, olle = helped_once_by_sara(client)
    say(client, "amal", WAIT_ANYWAY)
    waiting = [h for h in rows(client, Handoff) if h.status == "waiting"]
    assert len(waiting) == 1 and waiting[0].offered_to is not None

    async def head_start_over() -> None:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            await session.execute(
                update(Handoff).where(Handoff.id == waiting[0].id).values(offered_until=utcnow() - timedelta(seconds=1))
            )
            await session.commit()

    client.portal.call(head_start_over)  # type: ignore[union-attr]
    page = f"/console/handoffs/{waiting[0].id}"
    assert "head-start" not in olle.get("/console").text
    assert post_form(olle, f"{page}/claim", page).status_code == 303  # type: ignore[attr-defined]


def test_a_first_request_and_a_disabled_helper_give_no_head_start(client: TestClient) -> None:
    add_account(client, "sara", "staff", LINKOPING)
    say(client, "bo", "/human", language="sv", municipality="linkoping")
    first = [h for h in rows(client, Handoff) if h.status == "waiting"]
    assert first and first[0].offered_to is None
