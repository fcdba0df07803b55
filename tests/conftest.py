"""Fixtures only; builders live in tests/helpers/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.app import create_app
from lotsen.paths import KNOWLEDGE_DIR
from lotsen.settings import Settings
from tests.helpers.fake_backends import FakeBackends
from tests.helpers.trackers import tracker_store


@pytest.fixture
def backends() -> FakeBackends:
    return FakeBackends()


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    """A copy of the knowledge bank that a test may edit."""
    return Path(shutil.copytree(KNOWLEDGE_DIR, tmp_path / "knowledge"))


@pytest.fixture
def settings(tmp_path: Path, knowledge_dir: Path) -> Settings:
    return Settings.from_env(
        {
            "LOTSEN_KNOWLEDGE_DIR": str(knowledge_dir),
            "LOTSEN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
            "LOTSEN_RASA_URL": "http://rasa.test:5005",
            "LOTSEN_ACTIONS_URL": "http://actions.test:5055",
            "LOTSEN_RASA_TRACKER_URL": tracker_store(tmp_path),
            "LOTSEN_RASA_TOKEN": "secret-token",
            "LOTSEN_RATE_LIMIT_MESSAGES": "5",
        }
    )


@pytest.fixture
def client(settings: Settings, backends: FakeBackends) -> Iterator[TestClient]:
    app = create_app(settings, transport=backends.transport())
    with TestClient(app) as test_client:
        yield test_client
