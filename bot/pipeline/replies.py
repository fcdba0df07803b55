"""What the gateway itself says (without Rasa), in the conversation's language."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from bot.channels.base import OutgoingMessage
from lotsen import protocol, sentences
from lotsen.i18n import N_, t
from lotsen.languages import languages

EMERGENCY_NOTICE = N_("If someone's life or health is in danger, call 112 now.")


def language_question(language: str) -> OutgoingMessage:
    return OutgoingMessage.with_buttons(*sentences.language_question(language))


def municipality_question(language: str) -> OutgoingMessage:
    buttons = sentences.municipality_buttons(language)
    return OutgoingMessage.with_buttons(t(language, "Which municipality do you live in?"), buttons)


def welcome(language: str, ask_municipality: bool = True) -> list[OutgoingMessage]:
    """First contact: what Lotsen is, the language to confirm, and the municipality
    (unless a deep link or the widget already named it)."""
    greeting = t(
        language,
        "Welcome to Lotsen! I answer questions about getting started in Sweden, in your language. "
        "Is this your language? If not, choose yours.",
    )
    first = OutgoingMessage.with_buttons(greeting, sentences.language_buttons())
    return [first, municipality_question(language)] if ask_municipality else [first]


def unsupported_language(other: str) -> OutgoingMessage:
    """In English and Swedish, since we cannot write the person's language; `other` is
    its ISO 639-1 code, named in each notice's own language by CLDR."""
    names = ", ".join(lang.native_name for lang in languages().values())
    lines = []
    for code in ("en", "sv"):
        try:
            name = Locale.parse(other).get_display_name(code) or other
        except (ValueError, UnknownLocaleError):
            name = t(code, "this language")
        notice = N_("Sorry, I cannot read {language} yet. I understand these languages: {names}.")
        lines.append(t(code, notice, language=name, names=names))
    return OutgoingMessage.with_buttons("\n".join(lines), sentences.language_buttons())


def forget_question(language: str, nonce: str) -> OutgoingMessage:
    question = t(language, "Do you want me to delete this whole conversation? This cannot be undone.")
    buttons = [{"title": t(language, "Yes, delete everything"), "payload": protocol.forget_confirmation(nonce)}]
    return OutgoingMessage.with_buttons(question, buttons)


def forgotten(language: str) -> OutgoingMessage:
    return OutgoingMessage(t(language, "Done. I have deleted this conversation and everything Lotsen kept about it."))


def forgotten_soon(language: str) -> OutgoingMessage:
    """The chat is gone, but a store did not confirm yet: the durable job finishes it."""
    return OutgoingMessage(
        t(
            language,
            "I have deleted this conversation from the chat. The last copies are being removed "
            "and will be gone shortly.",
        )
    )


def confirmation_expired(language: str) -> OutgoingMessage:
    return OutgoingMessage(
        t(language, "This button has expired. Write /forget again if you want to delete this conversation.")
    )


def backend_down(language: str, reason: str) -> OutgoingMessage:
    if reason == "starting":
        return OutgoingMessage(t(language, "I am just starting up. Please try again in a moment."))
    return OutgoingMessage(
        t(language, "Sorry, I am having technical problems right now. Please try again in a few minutes.")
    )


def actions_down(language: str, actions_ok: bool) -> OutgoingMessage:
    if actions_ok:
        return OutgoingMessage(t(language, "Sorry, something went wrong. Please try again."))
    return OutgoingMessage(
        t(language, "Sorry, I cannot reach my information right now. Please try again in a few minutes.")
    )


def emergency_first(language: str) -> OutgoingMessage:
    return OutgoingMessage(t(language, EMERGENCY_NOTICE))
