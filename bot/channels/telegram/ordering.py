"""Updates from one chat are handled one after another, in the order Telegram sent them.

python-telegram-bot processes updates concurrently (so one slow answer does not hold up
everyone); without this, three questions sent at once could be answered out of order.
Updates of different chats still run side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT_UPDATES = 256
MAX_IDLE_LOCKS = 1000


class PerChatOrder(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        if len(self._locks) > MAX_IDLE_LOCKS:
            self._locks = {key: lock for key, lock in self._locks.items() if lock.locked()}
        async with self._locks.setdefault(chat.id, asyncio.Lock()):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
