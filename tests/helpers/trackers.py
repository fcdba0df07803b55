"""Build rasa-sdk trackers the way Rasa sends them to the action server."""

from __future__ import annotations

from typing import Any

from rasa_sdk.interfaces import Tracker


def tracker_for(intent: str, language: str | None = "sv", text: str = "", sender: str = "web:test") -> Tracker:
    metadata: dict[str, Any] = {"channel": "web"}
    if language is not None:
        metadata["language"] = language
    latest = {
        "intent": {"name": intent, "confidence": 0.99},
        "entities": [],
        "text": text,
        "metadata": metadata,
    }
    events = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text, "parse_data": latest}]
    return Tracker(sender, {}, latest, events, False, None, {}, "action_listen")
