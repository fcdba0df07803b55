"""What the gateway tells the actions about the conversation.

The gateway owns the conversation's language and municipality (they are sticky per
conversation and outlive Rasa sessions) and sends them as metadata with every message,
so reading them here costs no extra round-trip and needs no slot.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk.interfaces import Tracker

from actions.config import default_language
from lotsen import protocol
from lotsen.knowledge import OTHER_MUNICIPALITY
from lotsen.languages import supported_codes
from lotsen.municipalities import municipality_finder, municipality_ids


def _metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    return metadata if isinstance(metadata, dict) else {}


def conversation_language(tracker: Tracker) -> str:
    """The conversation's language code; the configured default (`LOTSEN_DEFAULT_LANGUAGE`)
    if the gateway sent none we support, which only a malformed call does."""
    language = _metadata(tracker).get(protocol.META_LANGUAGE)
    return language if isinstance(language, str) and language in supported_codes() else default_language()


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return name if isinstance(name, str) else None


def entity_value(tracker: Tracker, entity: str) -> str | None:
    """The value of an entity in the latest message (set by a button payload)."""
    for found in (tracker.latest_message or {}).get("entities") or []:
        if isinstance(found, dict) and found.get("entity") == entity and isinstance(found.get("value"), str):
            return str(found["value"])
    return None


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def stored_municipality(tracker: Tracker) -> str | None:
    """The municipality the gateway remembers for this conversation, if any."""
    municipality = _metadata(tracker).get(protocol.META_MUNICIPALITY)
    if municipality in municipality_ids() or municipality == OTHER_MUNICIPALITY:
        return str(municipality)
    return None


def chosen_municipality(tracker: Tracker) -> str | None:
    """A municipality chosen in this message: by a button, or named in the text."""
    value = entity_value(tracker, protocol.KEY_MUNICIPALITY)
    if value in municipality_ids() or value == OTHER_MUNICIPALITY:
        return value
    return municipality_finder().find(latest_text(tracker))
