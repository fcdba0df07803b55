"""Sentences both the gateway and the actions say, written once.

Choosing a language, confirming a municipality, the "talk to a person" button: the
gateway says them when a button or command is handled without Rasa, the actions when
the person asks in words. Each is a translated text with its buttons, as plain data
(`{"title", "payload"}` dicts) both sides can send.
"""

from __future__ import annotations

from lotsen import protocol
from lotsen.i18n import t
from lotsen.languages import languages
from lotsen.municipalities import OTHER, municipalities

ButtonData = dict[str, str]


def language_buttons() -> list[ButtonData]:
    """One button per language, each titled in its own language so everyone finds theirs."""
    return [
        {"title": lang.native_name, "payload": protocol.language_choice(code)} for code, lang in languages().items()
    ]


def language_question(language: str) -> tuple[str, list[ButtonData]]:
    return t(language, "Which language would you like?"), language_buttons()


def language_confirmation(language: str) -> str:
    """Said in the newly chosen language."""
    return t(language, "OK, I will write in {language} from now on.", language=languages()[language].native_name)


def municipality_confirmation(language: str, municipality: str) -> str:
    if municipality == OTHER:
        return t(language, "OK. I will give you the answers that apply everywhere in Sweden.")
    return t(
        language,
        "I will answer for {municipality} from now on. Write /municipality to change it.",
        municipality=municipalities()[municipality],
    )


def human_button(language: str) -> ButtonData:
    return {"title": t(language, "Talk to a person"), "payload": protocol.request_human_intent()}


def municipality_buttons(language: str, payload_for: dict[str, str] | None = None) -> list[ButtonData]:
    """One button per municipality and "another municipality"; `payload_for` maps each id
    (and `other`) to its payload, defaulting to a plain municipality choice."""
    payloads = payload_for or {}
    buttons = [
        {"title": name, "payload": payloads.get(code) or protocol.municipality_choice(code)}
        for code, name in municipalities().items()
    ]
    other = payloads.get(OTHER) or protocol.municipality_choice(OTHER)
    return [*buttons, {"title": t(language, "Another municipality"), "payload": other}]
