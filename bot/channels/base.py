"""The neutral message types every channel speaks, and the output side of a channel.

A channel's input side turns platform updates into one `IncomingMessage` for the turn
pipeline; its output side (`OutputChannel.deliver`) pushes stored messages to the user,
called by the outbox (bot/outbox.py) in order, at least once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bot.db import Conversation, Message


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
    # Web conversations are proven by a token (bot/channels/tokens.py); Telegram's are not
    # (the platform authenticates the chat).
    needs_token: bool = False
    token: str | None = None
    # Where it came from, for flood limits: a client address (web) or None (Telegram,
    # whose chats are counted by chat id).
    address: str | None = None
    # Over its sender's budget (Telegram): stored, answered at most with a "slow down".
    throttled: bool = False

    @property
    def flood_key(self) -> str:
        """What handoff and message-left limits count against."""
        return f"address:{self.address}" if self.address else f"{self.channel}:{self.sender}"


@dataclass
class Reply:
    """What a turn produced; `conversation_id` stays inside the gateway."""

    sender: str
    language: str
    mode: str
    messages: list[OutgoingMessage] = field(default_factory=list)
    conversation_id: int | None = None
    token: str | None = None  # issued with the first reply of a new web conversation

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "sender": self.sender,
            "language": self.language,
            "mode": self.mode,
            "messages": [m.to_json() for m in self.messages],
        }
        if self.token is not None:
            body["token"] = self.token
        return body


def storable(value: object) -> bool:
    """A string every database stores as text: no NUL (PostgreSQL refuses it) and no lone
    surrogate (JSON may escape one, "\\ud800"; neither SQLite's driver nor the language
    detector can encode it)."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class AccessDeniedError(Exception):
    """The request did not prove the conversation is the sender's (no or a wrong token)."""


class DeliveryFailedError(Exception):
    """The platform did not take the message; the outbox tries again later."""


class UndeliverableError(DeliveryFailedError):
    """The platform refused for good (the user blocked the bot, the chat is gone):
    retrying cannot help, so the outbox records why and stops trying."""


class OutputChannel(Protocol):
    """The output side of a channel."""

    name: str
    # True: a turn's replies go back in the response to the request (web API, widget
    # socket); False: they are pushed through the outbox like every other message.
    replies_in_response: bool

    async def deliver(self, conversation: Conversation, messages: list[Message]) -> None:
        """Push the messages, in order; raise DeliveryFailedError to be retried later."""
        ...
