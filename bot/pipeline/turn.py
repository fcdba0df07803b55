"""One message's way through the gateway, as data the pipeline's steps fill in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.channels.base import IncomingMessage, OutgoingMessage, Reply
from bot.db import Conversation, utcnow
from bot.language import LanguageState
from lotsen.protocol import Directives, Payload


@dataclass
class Turn:
    """Filled in step by step: `record` sets the first fields, the steps add replies,
    conversation changes and directives, `store` writes them in one transaction.

    The user's message of an existing conversation is stored with the answer, in that one
    transaction (`message_id` is None until then). A step that needs it stored earlier —
    staff must see it, a queue entry points at it — calls `stored_message_id()`."""

    incoming: IncomingMessage
    conversation: Conversation
    language: str  # the language to answer in
    state: LanguageState
    message_id: int | None  # the stored user message (None: stored with the answer)
    payload: Payload | None  # the message as a payload, if it is one
    emergency: bool  # an emergency term is in the text: 112 comes first, whatever else happens
    replies: list[OutgoingMessage] = field(default_factory=list)
    author: str = "system"  # who the replies are from: bot (Rasa) or system (the gateway)
    changes: dict[str, Any] = field(default_factory=dict)  # conversation columns to set
    unanswered: str | None = None  # marks the user's message for the editors' feed
    directives: Directives = field(default_factory=Directives)
    erased: bool = False  # the conversation is gone (/forget): nothing more is stored
    issued_token: str | None = None  # a new web conversation's token, for the first reply
    received_at: datetime = field(default_factory=utcnow)  # the user's message's time, when stored later
    # Stores the user's message and the changes so far now; set by the record step.
    persist: Callable[[Turn], Awaitable[int]] | None = field(default=None, repr=False)

    async def stored_message_id(self) -> int:
        """The user's message id, storing the message first if it waits for the answer."""
        if self.message_id is None:
            assert self.persist is not None, "the record step sets persist"
            self.message_id = await self.persist(self)
        return self.message_id

    @property
    def text(self) -> str:
        return self.incoming.text.strip()

    def say(self, messages: list[OutgoingMessage], author: str = "system") -> bool:
        """Answer with these messages; True, so a step can `return turn.say(...)`."""
        self.replies += messages
        self.author = author
        return True

    def change(self, **columns: Any) -> None:
        """Set conversation columns now (later steps see them) and when the turn is stored."""
        for name, value in columns.items():
            setattr(self.conversation, name, value)
        self.changes.update(columns)

    def reply(self) -> Reply:
        return Reply(
            self.incoming.sender,
            self.language,
            self.conversation.mode,
            self.replies,
            self.conversation.id,
            self.issued_token,
        )
