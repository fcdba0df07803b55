"""A gateway with staff handoff on, a controllable clock, and a way to chat with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from starlette.testclient import TestClient

from bot.app import create_app
from lotsen.settings import Settings
from tests.helpers.chat import post_chat
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.trackers import tracker_store

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONDAY_MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=STOCKHOLM)
SATURDAY = datetime(2026, 11, 21, 11, 0, tzinfo=STOCKHOLM)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(timezone.utc)


def handoff_client(tmp_path: Path, knowledge_dir: Path, backends: FakeBackends, clock: Clock) -> Iterator[TestClient]:
    settings = Settings.from_env(
        {
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
            "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "LOTSEN_RASA_URL": "http://rasa.test:5005",
            "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
            "LOTSEN_RASA_TRACKER_URL": tracker_store(tmp_path),
            "LOTSEN_HANDOFF": "true",
            "LOTSEN_HANDOFF_CLAIM_MINUTES": "10",
        }
    )
    with TestClient(create_app(settings, transport=backends.transport())) as test_client:
        test_client.app.state.handoff.clock = clock  # type: ignore[attr-defined]
        yield test_client


def say(client: TestClient, sender: str, text: str, **metadata: str) -> dict[str, Any]:
    response = post_chat(client, {"sender": sender, "text": text, "metadata": metadata})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows(client: TestClient, model: Any) -> list[Any]:
    """Every row of `model` in the running app's database, oldest first."""

    async def query() -> list[Any]:
        async with client.app.state.db.sessions() as session:  # type: ignore[attr-defined]
            return list(await session.scalars(select(model).order_by(model.id)))

    return client.portal.call(query)  # type: ignore[union-attr]
