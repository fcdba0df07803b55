"""Settings for the action tests: known values, never the developer's `.env`.

The action server reads its settings once per process (`actions.config.settings`); here
each test gets a fresh, explicit set, and the process-wide knowledge store is made again
from it, so a test that changes a setting cannot leak into the next.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from actions import config
from actions.store import store
from lotsen.paths import KNOWLEDGE_DIR
from lotsen.settings import Settings

Configure = Callable[..., Settings]


@pytest.fixture(autouse=True)
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Configure]:
    """Call `configure(LOTSEN_DEFAULT_LANGUAGE="en")` to run the actions with other settings."""

    def apply(**environ: str) -> Settings:
        settings = Settings.from_env({"LOTSEN_KNOWLEDGE_DIR": str(KNOWLEDGE_DIR), **environ})
        monkeypatch.setattr(config, "settings", lambda: settings)
        store.cache_clear()
        return settings

    apply()
    yield apply
    store.cache_clear()
