"""Quick-reply buttons, titled in the user's language, with intent payloads."""

from __future__ import annotations

from typing import Any

from lotsen.i18n import N_, t

# Topic intents (DESIGN.md contract) with their button titles, translated at run time.
TOPIC_TITLES: dict[str, str] = {
    "ask_bankid": N_("BankID"),
    "ask_personnummer": N_("Personal identity number"),
    "ask_id_card": N_("ID card"),
    "ask_healthcare": N_("Healthcare"),
    "ask_emergency": N_("Emergency"),
    "ask_dental": N_("Dentist"),
    "ask_interpreter": N_("Interpreter"),
    "ask_housing_queue": N_("Housing queue"),
    "ask_housing_allowance": N_("Housing allowance"),
    "ask_associations": N_("Associations and activities"),
    "ask_sfi": N_("Swedish classes (SFI)"),
    "ask_work": N_("Work"),
}
HUMAN_PAYLOAD = "/request_human"
MAX_SUGGESTIONS = 3
MIN_SUGGESTION_CONFIDENCE = 0.05

Button = dict[str, str]


def topic_button(language: str, intent: str) -> Button:
    return {"title": t(language, TOPIC_TITLES[intent]), "payload": f"/{intent}"}


def topic_buttons(language: str, exclude: str | None = None) -> list[Button]:
    """One button per topic; the payload triggers the intent directly."""
    return [topic_button(language, intent) for intent in TOPIC_TITLES if intent != exclude]


def human_button(language: str) -> Button:
    return {"title": t(language, "Talk to a person"), "payload": HUMAN_PAYLOAD}


def suggested_topics(language: str, ranking: list[dict[str, Any]]) -> list[Button]:
    """The topics the model thought most likely, for "did you mean…?" buttons."""
    intents = [
        r["name"]
        for r in ranking
        if r.get("name") in TOPIC_TITLES and float(r.get("confidence") or 0) >= MIN_SUGGESTION_CONFIDENCE
    ]
    return [topic_button(language, intent) for intent in intents[:MAX_SUGGESTIONS]]
