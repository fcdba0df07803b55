"""A button press in a transcript, shown as the person saw it — never as raw JSON.

When a user taps a button, what is stored is its payload (`/human{"municipality":
"linkoping"}`), which means nothing to staff. The console shows the title of the button
that sent it instead (the latest earlier bot or system message whose buttons carry that
payload), marked as a button press, beside a readable name of the command in the console
language. A payload typed by hand, or one whose button is no longer in the transcript,
gets the readable name alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.console import names
from bot.db import Message
from bot.staff import i18n
from bot.staff.accounts import LATER, gettext
from lotsen import protocol
from lotsen.protocol import Payload, parse_payload

# The commands people send, by payload name; `%(value)s` is the entity the name shows.
COMMANDS = {
    protocol.START: gettext(LATER, "Started the chat"),
    protocol.LANGUAGE: gettext(LATER, "Asked to change the language"),
    protocol.CHOOSE_LANGUAGE: gettext(LATER, "Chose a language: %(value)s"),
    protocol.MUNICIPALITY: gettext(LATER, "Asked to change the municipality"),
    protocol.CHOOSE_MUNICIPALITY: gettext(LATER, "Chose a municipality: %(value)s"),
    protocol.FORGET: gettext(LATER, "Asked to delete the conversation"),
    protocol.FORGET_CONFIRM: gettext(LATER, "Confirmed deleting the conversation"),
    protocol.HUMAN: gettext(LATER, "Asked for a person"),
    protocol.REQUEST_HUMAN: gettext(LATER, "Asked for a person"),
    protocol.LEAVE_MESSAGE: gettext(LATER, "Chose to leave a message"),
    protocol.STOP_WAITING: gettext(LATER, "Stopped waiting"),
    protocol.CALLBACK: gettext(LATER, "Asked to be called back"),
    protocol.CALLBACK_WINDOW: gettext(LATER, "Chose a time to be called: %(value)s"),
    protocol.CALLBACK_CANCEL: gettext(LATER, "Cancelled the callback"),
    protocol.FEEDBACK: gettext(LATER, "Gave feedback on an answer"),
}
TOPIC = gettext(LATER, "Chose the topic: %(value)s")
UNKNOWN = gettext(LATER, "Command: %(value)s")


def _window(entity: str, language: str) -> str:
    """A window key from a button ("2026-12-03_am", "any") in words."""
    day, _, part = entity.partition("_")
    stored = f"{day} {'morning' if part == 'am' else 'afternoon'}" if part in ("am", "pm") else None
    return names.window(stored, language)


# What each command's `%(value)s` is: the entity, named in the console language.
_VALUES: dict[str, Callable[[Payload, str], str]] = {
    protocol.CHOOSE_LANGUAGE: lambda p, lang: names.language(p.get(protocol.KEY_LANGUAGE), lang),
    protocol.CHOOSE_MUNICIPALITY: lambda p, _: names.municipality(p.get(protocol.KEY_MUNICIPALITY)),
    protocol.CALLBACK_WINDOW: lambda p, lang: _window(p.get(protocol.KEY_WINDOW) or "", lang),
}


def command_name(payload: Payload, language: str) -> str:
    """What the payload does, in the console language ("Asked for a person")."""
    if payload.name in COMMANDS:
        value = _VALUES[payload.name](payload, language) if payload.name in _VALUES else ""
        return i18n.gettext(language, COMMANDS[payload.name], value=value)
    if payload.name.startswith("ask_"):
        return i18n.gettext(language, TOPIC, value=names.topic(payload.name, language))
    return i18n.gettext(language, UNKNOWN, value=payload.name)


def button_title(payload: Payload, earlier: Sequence[Message]) -> str | None:
    """The title of the button that sent this payload: from the latest earlier bot or
    system message that offered it (compared parsed, so key order and spaces do not matter)."""
    for message in reversed(earlier):
        if message.author not in ("bot", "system"):
            continue
        for button in message.buttons or ():
            if parse_payload(str(button.get("payload") or "")) == payload:
                return str(button.get("title") or "") or None
    return None


@dataclass(frozen=True)
class Press:
    """A user message that is a payload: the button's title (if found) and the command."""

    title: str | None
    command: str


def press(message: Message, earlier: Sequence[Message], language: str) -> Press | None:
    """How to show a user message that is a payload; None for ordinary text."""
    if message.author != "user":
        return None
    payload = parse_payload(message.text)
    if payload is None:
        return None
    return Press(button_title(payload, earlier), command_name(payload, language))
