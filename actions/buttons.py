"""Quick-reply buttons, titled in the user's language, with intent payloads.

Every payload comes from `lotsen.protocol`, the one place payloads are spelled: the
trained model and the gateway read the same strings.
"""

from __future__ import annotations

from typing import Any

from lotsen import protocol, sentences
from lotsen.i18n import t
from lotsen.knowledge import OTHER_MUNICIPALITY
from lotsen.municipalities import municipalities
from lotsen.topics import TOPIC_TITLES

MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05

Button = dict[str, str]


def topic_button(language: str, intent: str) -> Button:
    return {"title": t(language, TOPIC_TITLES[intent]), "payload": protocol.intent_payload(intent)}


def topic_buttons(language: str, exclude: str | None = None) -> list[Button]:
    """One button per topic; the payload triggers the intent directly."""
    return [topic_button(language, intent) for intent in TOPIC_TITLES if intent != exclude]


human_button = sentences.human_button


def suggested_topics(language: str, ranking: list[dict[str, Any]]) -> list[Button]:
    """The topics the model thought most likely, for "did you mean…?" buttons."""
    intents = [
        r["name"]
        for r in ranking
        if r.get("name") in TOPIC_TITLES and float(r.get("confidence") or 0) >= MIN_SUGGESTION_CONFIDENCE
    ]
    return [topic_button(language, intent) for intent in intents[:MAX_SUGGESTIONS]]


def related_buttons(language: str, related: list[str]) -> list[Button]:
    """The topic's related topics, then "talk to a person": what ends every answer."""
    return [*(topic_button(language, intent) for intent in related if intent in TOPIC_TITLES), human_button(language)]


def municipality_buttons(language: str, intent: str) -> list[Button]:
    """One button per municipality that repeats the question for it, and "another one".

    The payload carries the municipality as an entity, so the answer follows at once and
    fits Telegram's 64-byte callback limit.
    """
    codes = [*municipalities(), OTHER_MUNICIPALITY]
    payloads = {code: protocol.intent_payload(intent, **{protocol.KEY_MUNICIPALITY: code}) for code in codes}
    return sentences.municipality_buttons(language, payloads)


def feedback_buttons(language: str, intent: str) -> list[Button]:
    """👍 / 👎 for "Did this help?" — one tap, the topic in the payload."""
    return [
        {"title": t(language, "👍 Yes"), "payload": protocol.feedback(intent, "up")},
        {"title": t(language, "👎 No"), "payload": protocol.feedback(intent, "down")},
    ]
