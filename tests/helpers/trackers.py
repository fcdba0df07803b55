"""Build rasa-sdk trackers the way Rasa sends them to the action server."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from rasa_sdk.interfaces import Tracker


def tracker_for(
    intent: str,
    language: str | None = "sv",
    text: str = "",
    sender: str = "web:test",
    municipality: str | None = None,
    entities: dict[str, str] | None = None,
) -> Tracker:
    """A tracker whose latest message has `intent`, the gateway's metadata and `entities`
    (as a button payload like `/ask_x{"municipality":"linkoping"}` would give them)."""
    metadata: dict[str, Any] = {"channel": "web"}
    if language is not None:
        metadata["language"] = language
    if municipality is not None:
        metadata["municipality"] = municipality
    latest = {
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [{"entity": name, "value": value} for name, value in (entities or {}).items()],
        "text": text,
        "metadata": metadata,
    }
    events = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text, "parse_data": latest}]
    return Tracker(sender, {}, latest, events, False, None, {}, "action_listen")


def tracker_store(directory: Path) -> str:
    """A SQLite file with the columns of Rasa's `events` table that erasure and retention
    use, as `LOTSEN_RASA_TRACKER_URL`."""
    path = directory / "tracker.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp FLOAT, data TEXT)"
        )
    return f"sqlite:///{path}"
