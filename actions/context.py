"""What the gateway tells the actions about the conversation.

The gateway owns the conversation's language and municipality (they are sticky per
conversation and outlive Rasa sessions) and sends them as metadata with every message,
so reading them here costs no extra round-trip and needs no slot.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.interfaces import Tracker

from lotsen.languages import supported_codes

DEFAULT_LANGUAGE = "sv"


def _metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def conversation_language(tracker: Tracker) -> str:
    """The conversation's language code; Swedish if the gateway sent none we support."""
    language = _metadata(tracker).get("language")
    return language if language in supported_codes() else DEFAULT_LANGUAGE


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None
