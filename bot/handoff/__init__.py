"""Handing a conversation to a person at the user's municipal office, as one state machine.

`states` holds the machine (stages, statuses, the transition table); `service` the user's
side (ask, wait, stop waiting, leave a message, expiry), with `callbacks` (being called
back, with an interpreter when `languages` says nobody there speaks the user's language); `staff` what staff do (claim,
reply, hand back, end); `null` the same interface when handoff is switched off. Every
change of who answers a conversation happens in this package.
"""

from __future__ import annotations

from typing import Protocol

from bot.channels.base import OutgoingMessage
from bot.db import Conversation


class Handoff(Protocol):
    """What the turn pipeline needs; `HandoffService` and `NullHandoff` both provide it."""

    enabled: bool

    async def request(
        self,
        conversation: Conversation,
        language: str,
        reason: str,
        message_id: int | None = None,
        requester: str | None = None,
        anyway: bool = False,
    ) -> list[OutgoingMessage]: ...

    async def stop_waiting(self, conversation: Conversation, language: str) -> list[OutgoingMessage]: ...

    async def start_message(self, conversation: Conversation, language: str) -> list[OutgoingMessage]: ...

    async def take_message(
        self, conversation: Conversation, text: str, language: str, requester: str | None = None
    ) -> list[OutgoingMessage]: ...

    async def start_callback(self, conversation: Conversation, language: str) -> list[OutgoingMessage]: ...

    async def callback_input(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]: ...

    async def choose_callback_window(
        self, conversation: Conversation, window: str | None, language: str
    ) -> list[OutgoingMessage]: ...

    async def cancel_callback(self, conversation: Conversation, language: str) -> list[OutgoingMessage]: ...

    async def user_wrote(self, conversation: Conversation) -> None: ...

    async def expire_if_unclaimed(self, conversation: Conversation, language: str) -> list[OutgoingMessage]: ...

    async def expire_due(self) -> list[int]: ...
