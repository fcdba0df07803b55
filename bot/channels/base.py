"""The neutral message types every channel adapter speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    buttons: tuple[Button, ...] = ()

    @classmethod
    def with_buttons(cls, text: str, buttons: list[dict[str, str]]) -> OutgoingMessage:
        return cls(text, tuple(Button(b["title"], b["payload"]) for b in buttons))

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons]}


@dataclass(frozen=True)
class IncomingMessage:
    """One message from a person, whatever the platform.

    `language` is an explicit choice (the widget's picker, a language button); `hints`
    are weaker signals the channel has (Telegram's language_code, browser languages),
    used only while the conversation has no language yet.
    """

    channel: str
    sender: str
    text: str
    language: str | None = None
    municipality: str | None = None
    hints: tuple[str, ...] = ()


@dataclass
class Reply:
    sender: str
    language: str
    mode: str
    messages: list[OutgoingMessage] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "language": self.language,
            "mode": self.mode,
            "messages": [m.to_json() for m in self.messages],
        }
