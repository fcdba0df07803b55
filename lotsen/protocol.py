"""The one protocol between the action server and the gateway: payloads and directives.

**Payloads** are what a button sends and what a person may type: `/name` or
`/name{"key":"value"}` (Rasa's intent-with-entities syntax). Some name a Rasa intent
(`/ask_bankid{"municipality":"linkoping"}`), the rest are gateway commands (`/language`,
`/stop_waiting`). Every payload is built and parsed here, so no key is spelled twice and
every one fits Telegram's 64-byte callback limit (tests check the longest).

**Directives** are what an action asks of the gateway, sent as Rasa `custom` messages:
set the conversation's language or municipality, note the topic answered, mark the
question unanswered, ask for a person, and report how the message was read (intent and
confidence, shown to staff in the handoff brief). The gateway owns the conversation's state; the
actions only ask. Parsing checks every value's type, so a malformed directive is dropped,
never trusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Payload names the gateway answers itself (the command table in bot/pipeline/commands.py).
START = "start"
LANGUAGE = "language"
MUNICIPALITY = "municipality"
FORGET = "forget"
FORGET_CONFIRM = "forget_confirm"
HUMAN = "human"
LEAVE_MESSAGE = "leave_message"
STOP_WAITING = "stop_waiting"
CHOOSE_LANGUAGE = "choose_language"
CHOOSE_MUNICIPALITY = "choose_municipality"
CALLBACK = "callback"  # "call me back" (with an interpreter when staff lack the language)
CALLBACK_WINDOW = "callback_window"  # a time window for the callback
CALLBACK_CANCEL = "callback_cancel"
FEEDBACK = "feedback"
# The Rasa intent behind "talk to a person" buttons the actions send.
REQUEST_HUMAN = "request_human"

# Entity keys inside payloads.
KEY_LANGUAGE = "language"
KEY_MUNICIPALITY = "municipality"
KEY_INTEREST = "interest"
KEY_NONCE = "nonce"
KEY_TOPIC = "topic"
KEY_WINDOW = "window"  # "2026-12-03_am", "2026-12-03_pm" or "any"
KEY_VALUE = "value"  # feedback: "up" | "down"
FEEDBACK_VALUES = ("up", "down")
KEY_ANYWAY = "anyway"  # "yes": queue for a person even though no one there speaks the language

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback data
MAX_ENTITY_CHARS = 64
_PAYLOAD = re.compile(r"^/([a-z][a-z_]{0,63})(?:@[A-Za-z0-9_]{1,64})?(\{.*\})?$", re.DOTALL)
_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class Payload:
    """A parsed payload: its name and string-valued entities (validated)."""

    name: str
    entities: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        return self.entities.get(key)


def payload(name: str, **entities: str) -> str:
    """`/name` or `/name{"key":"value"}`, compact, in a stable key order."""
    if not entities:
        return f"/{name}"
    return f"/{name}" + json.dumps(dict(sorted(entities.items())), separators=(",", ":"), ensure_ascii=False)


def parse_payload(text: str) -> Payload | None:
    """The payload `text` is, or None if it is not payload-shaped or its entities are not
    a flat JSON object of short plain strings (then it is ordinary text, never trusted).

    A command addressed to a bot (`/start@lotsen_bot`, Telegram's group syntax) is read
    without the address.
    """
    found = _PAYLOAD.match(text.strip())
    if not found:
        return None
    name, raw = found.group(1), found.group(2)
    if raw is None:
        return Payload(name)
    try:
        entities = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(entities, dict) or len(entities) > 4:
        return None
    if not all(isinstance(k, str) and isinstance(v, str) and _VALUE.match(v) for k, v in entities.items()):
        return None
    return Payload(name, dict(entities))


def is_payload_shaped(text: str) -> bool:
    """Starts like a command (`/word`), valid or not: never language-detected or guessed at."""
    return bool(re.match(r"^/[a-z]", text.strip()))


# Builders for the payloads both sides send ----------------------------------------------


def intent_payload(intent: str, **entities: str) -> str:
    return payload(intent, **entities)


def language_choice(code: str) -> str:
    return payload(CHOOSE_LANGUAGE, **{KEY_LANGUAGE: code})


def municipality_choice(municipality: str) -> str:
    return payload(CHOOSE_MUNICIPALITY, **{KEY_MUNICIPALITY: municipality})


def human_request(municipality: str | None = None) -> str:
    return payload(HUMAN, **{KEY_MUNICIPALITY: municipality}) if municipality else payload(HUMAN)


def forget_confirmation(nonce: str) -> str:
    return payload(FORGET_CONFIRM, **{KEY_NONCE: nonce})


def feedback(topic: str, value: str) -> str:
    """ "Did this help?" 👍/👎 after a topic answer."""
    return payload(FEEDBACK, **{KEY_TOPIC: topic, KEY_VALUE: value})


def request_human_intent() -> str:
    return payload(REQUEST_HUMAN)


# Metadata the gateway sends with every message to Rasa (the actions read it) ------------

META_LANGUAGE = "language"
META_MUNICIPALITY = "municipality"
META_CHANNEL = "channel"


def metadata(language: str, municipality: str | None, channel: str) -> dict[str, str | None]:
    return {META_LANGUAGE: language, META_MUNICIPALITY: municipality, META_CHANNEL: channel}


# Directives from the actions to the gateway ---------------------------------------------

SET_LANGUAGE = "set_language"
SET_MUNICIPALITY = "set_municipality"
TOPIC = "topic"
UNANSWERED = "unanswered"
READING = "reading"  # the assistant's reading of the user's message, for the staff brief
HANDOFF = "handoff"
HANDOFF_REQUEST = "request"
NOT_UNDERSTOOD = "not_understood"
OUT_OF_SCOPE = "out_of_scope"
UNANSWERED_REASONS = (NOT_UNDERSTOOD, OUT_OF_SCOPE)
_TOPIC = re.compile(r"^ask_[a-z_]{1,60}$")


def set_language(code: str) -> dict[str, str]:
    return {SET_LANGUAGE: code}


def set_municipality(municipality: str) -> dict[str, str]:
    return {SET_MUNICIPALITY: municipality}


def topic(intent: str) -> dict[str, str]:
    return {TOPIC: intent}


def unanswered(reason: str) -> dict[str, str]:
    if reason not in UNANSWERED_REASONS:
        raise ValueError(f"unanswered reason must be one of {UNANSWERED_REASONS}, not {reason!r}")
    return {UNANSWERED: reason}


def handoff_request() -> dict[str, str]:
    return {HANDOFF: HANDOFF_REQUEST}


def reading(intent: str, confidence: float) -> dict[str, dict[str, Any]]:
    return {READING: {"intent": intent, "confidence": round(float(confidence), 4)}}


_INTENT = re.compile(r"^[a-z][a-z_]{0,63}$")


def _parse_reading(value: object) -> tuple[str, float] | None:
    if not isinstance(value, Mapping):
        return None
    intent, confidence = value.get("intent"), value.get("confidence")
    if not isinstance(intent, str) or not _INTENT.match(intent):
        return None
    if isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
        return None
    return intent, float(confidence)


@dataclass(frozen=True)
class Directives:
    """Everything the actions asked for in one turn (the last of each kind wins)."""

    language: str | None = None
    municipality: str | None = None
    topic: str | None = None
    unanswered: str | None = None
    handoff: bool = False
    reading: tuple[str, float] | None = None  # (intent, confidence) of the user's message

    @property
    def not_understood(self) -> bool:
        return self.unanswered == NOT_UNDERSTOOD


def parse_directives(customs: Iterable[Mapping[str, Any]]) -> Directives:
    """Read the `custom` messages of one Rasa reply; values of the wrong type are ignored.

    Which languages and municipalities exist is the gateway's to check (it knows them);
    here only the shape is.
    """
    found: dict[str, Any] = {}
    for custom in customs:
        for key in (SET_LANGUAGE, SET_MUNICIPALITY):
            value = custom.get(key)
            if isinstance(value, str) and _VALUE.match(value):
                found[key] = value
        if isinstance(value := custom.get(TOPIC), str) and _TOPIC.match(value):
            found[TOPIC] = value
        if custom.get(UNANSWERED) in UNANSWERED_REASONS:
            found[UNANSWERED] = custom[UNANSWERED]
        if custom.get(HANDOFF) == HANDOFF_REQUEST:
            found[HANDOFF] = True
        if (parsed := _parse_reading(custom.get(READING))) is not None:
            found[READING] = parsed
    return Directives(
        language=found.get(SET_LANGUAGE),
        municipality=found.get(SET_MUNICIPALITY),
        topic=found.get(TOPIC),
        unanswered=found.get(UNANSWERED),
        handoff=bool(found.get(HANDOFF)),
        reading=found.get(READING),
    )
