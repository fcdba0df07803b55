"""Sending to Telegram: plain text split at 4,096 characters, inline keyboards, retries.

Replies are plain text (no parse mode), so nothing a user or editor writes can break
formatting. A long reply is split after a sentence or line where possible. Every Lotsen
payload fits Telegram's 64-byte callback limit (a test checks); a longer one is dropped
and logged rather than failing the message.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.base import DeliveryFailedError, OutgoingMessage, UndeliverableError
from lotsen.protocol import MAX_CALLBACK_BYTES

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
NETWORK_BACKOFF = 1.0  # seconds before the second attempt after a network error; doubles
SENTENCE_END = re.compile(r"(?<=[.!?።؟。])\s+|\n+")
T = TypeVar("T")


def split_text(text: str, limit: int = MessageLimit.MAX_TEXT_LENGTH) -> list[str]:
    """Chunks of at most `limit` characters, cut after a sentence or line where possible."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cuts = [m.end() for m in SENTENCE_END.finditer(window)]
        cut = cuts[-1] if cuts and cuts[-1] > limit // 2 else window.rfind(" ") + 1 or limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest.strip():
        chunks.append(rest.rstrip())
    return chunks


def keyboard(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    rows = []
    for button in message.buttons:
        if len(button.payload.encode("utf-8")) > MAX_CALLBACK_BYTES:
            log.error("button payload longer than Telegram's 64 bytes dropped: %r", button.payload)
            continue
        rows.append([InlineKeyboardButton(button.title, callback_data=button.payload)])
    return InlineKeyboardMarkup(rows) if rows else None


def _seconds(retry_after: int | float | timedelta) -> float:
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


async def call(method: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Call the Bot API, waiting out Telegram's retry-after and retrying network errors
    with back-off. Raises DeliveryFailedError when it still fails (the outbox retries
    later), UndeliverableError when Telegram refuses for good."""
    delay = NETWORK_BACKOFF
    name = getattr(method, "__name__", "telegram call")
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await method(*args, **kwargs)
        except RetryAfter as exc:  # handled: Telegram told us how long to wait
            log.info("Telegram asks to wait %.1f s before %s (attempt %d)", _seconds(exc.retry_after), name, attempt)
            await asyncio.sleep(_seconds(exc.retry_after))
        except (BadRequest, Forbidden) as exc:  # BadRequest is a NetworkError in PTB: first
            raise UndeliverableError(f"{name}: {exc}") from exc
        except NetworkError as exc:
            log.warning("Telegram network error on %s (attempt %d): %s", name, attempt, exc)
            if attempt < SEND_ATTEMPTS:  # after the last one the outbox takes over at once
                await asyncio.sleep(delay)
                delay *= 2
        except TelegramError as exc:
            raise UndeliverableError(f"{name}: {exc}") from exc
    raise DeliveryFailedError(f"{name} failed {SEND_ATTEMPTS} times")


async def call_quietly(method: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> None:
    """For calls nobody waits on ("typing…", answering a callback): log a failure, go on."""
    try:
        await call(method, *args, **kwargs)
    except DeliveryFailedError as exc:
        log.info("Telegram call skipped: %s", exc)
