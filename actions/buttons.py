"""Quick-reply buttons, titled in the user's language, with intent payloads."""

from __future__ import annotations

from lotsen.i18n import N_, t

# Topics the bot can answer today, with their button titles (translated at run time).
TOPIC_TITLES: dict[str, str] = {
    "ask_bankid": N_("BankID"),
}


def topic_buttons(language: str, exclude: str | None = None) -> list[dict[str, str]]:
    """One button per answerable topic; the payload triggers the intent directly."""
    return [
        {"title": t(language, title), "payload": f"/{intent}"}
        for intent, title in TOPIC_TITLES.items()
        if intent != exclude
    ]
