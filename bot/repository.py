"""The queries channels and the pipeline share, and the one way a message is serialised.

Channels ask for a conversation's history, its language and what to deliver through
these functions instead of writing their own queries, so a stored message looks the
same on every channel (the staff member's name included) and a message to push is always
written together with its outbox entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import OutgoingMessage
from bot.channels.tokens import token_hash
from bot.db import Conversation, Database, Message, OutboxEntry, utcnow

MAX_FETCHED = 100


def message_json(message: Message) -> dict[str, Any]:
    """A stored message as every client sees it."""
    return {
        "id": message.id,
        "author": message.author,
        "name": message.author_name,
        "text": message.text,
        "buttons": message.buttons or [],
    }


def outgoing_of(message: Message) -> OutgoingMessage:
    return OutgoingMessage.with_buttons(message.text, message.buttons or [])


async def find_conversation(session: AsyncSession, channel: str, sender: str) -> Conversation | None:
    found: Conversation | None = await session.scalar(
        select(Conversation).where(Conversation.channel == channel, Conversation.sender == sender)
    )
    return found


async def get_or_create_conversation(session: AsyncSession, channel: str, sender: str) -> tuple[Conversation, bool]:
    """The conversation, and whether this call created it."""
    found = await find_conversation(session, channel, sender)
    if found is not None:
        return found, False
    conversation = Conversation(channel=channel, sender=sender, mode="bot")
    session.add(conversation)
    await session.flush()
    return conversation, True


async def find_by_token(session: AsyncSession, channel: str, token: str | None) -> Conversation | None:
    """The conversation this bearer token proves, or None."""
    if not token:
        return None
    found: Conversation | None = await session.scalar(
        select(Conversation).where(Conversation.channel == channel, Conversation.token_hash == token_hash(token))
    )
    return found


async def conversation_language(db: Database, channel: str, sender: str) -> str | None:
    async with db.sessions() as session:
        language = await session.scalar(
            select(Conversation.language).where(Conversation.channel == channel, Conversation.sender == sender)
        )
    return str(language) if language else None


async def history(
    db: Database, channel: str, token: str | None, after: int = 0, include_user: bool = False
) -> tuple[Conversation | None, list[Message]]:
    """The conversation the token proves and its messages after id `after` (the user's
    own only if asked); (None, []) if the token proves none."""
    async with db.sessions() as session:
        conversation = await find_by_token(session, channel, token)
        if conversation is None:
            return None, []
        query = select(Message).where(Message.conversation_id == conversation.id, Message.id > after)
        if not include_user:
            query = query.where(Message.author != "user")
        rows = await session.scalars(query.order_by(Message.id).limit(MAX_FETCHED))
        return conversation, list(rows)


async def messages_by_id(db: Database, conversation_id: int, ids: Sequence[int]) -> list[Message]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conversation_id, Message.id.in_(ids)).order_by(Message.id)
        )
        return list(rows)


async def store_messages(
    session: AsyncSession,
    conversation: Conversation,
    author: str,
    messages: Sequence[OutgoingMessage],
    push: bool,
    author_name: str | None = None,
) -> list[Message]:
    """Add the messages to the session; with `push`, each also gets its outbox entry, so
    it is delivered even if the gateway stops before sending it. The conversation's
    `last_message_at` moves on (retention counts from it). The caller commits."""
    if messages:
        conversation.last_message_at = utcnow()
    stored = [
        Message(
            conversation_id=conversation.id,
            author=author,
            author_name=author_name,
            text=m.text,
            buttons=[{"title": b.title, "payload": b.payload} for b in m.buttons] or None,
        )
        for m in messages
    ]
    session.add_all(stored)
    if push and stored:
        await session.flush()  # ids for the outbox entries
        session.add_all(
            OutboxEntry(conversation_id=conversation.id, message_id=m.id, channel=conversation.channel) for m in stored
        )
    return stored
