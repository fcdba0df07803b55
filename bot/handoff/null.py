"""Handoff switched off (`LOTSEN_HANDOFF=false`): the same interface, no queue.

A request for a person gets an honest "not available in this chat, contact your
municipality"; nothing ever leaves the bot, so the pipeline needs no `if` for it.
"""

from __future__ import annotations

from bot.channels.base import OutgoingMessage
from bot.db import Conversation
from bot.handoff import notices


class NullHandoff:
    enabled = False

    async def request(
        self,
        conversation: Conversation,
        language: str,
        reason: str,
        message_id: int | None = None,
        requester: str | None = None,
        anyway: bool = False,
    ) -> list[OutgoingMessage]:
        if reason != "asked":  # failing twice is not a request: say nothing more
            return []
        return [notices.handoff_off(language)]

    async def stop_waiting(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        return []

    async def start_message(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        return [notices.handoff_off(language)]

    async def take_message(
        self, conversation: Conversation, text: str, language: str, requester: str | None = None
    ) -> list[OutgoingMessage]:
        return []

    async def start_callback(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        return [notices.handoff_off(language)]

    async def callback_input(self, conversation: Conversation, text: str, language: str) -> list[OutgoingMessage]:
        return []

    async def choose_callback_window(
        self, conversation: Conversation, window: str | None, language: str
    ) -> list[OutgoingMessage]:
        return [notices.handoff_off(language)]

    async def cancel_callback(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        return [notices.handoff_off(language)]

    async def user_wrote(self, conversation: Conversation) -> None:
        return None

    async def expire_if_unclaimed(self, conversation: Conversation, language: str) -> list[OutgoingMessage]:
        return []

    async def expire_due(self) -> list[int]:
        return []
