"""The indexes the statistics need, declared on the gateway's tables (migration 0011).

They live here rather than in `bot/db` because only the statistics read by them. They
are attached to the same `Base.metadata`, so the schema test (`test_migrations.py`)
compares them with the migrated database — as long as this module is imported, which
`bot.statistics.routes` (and so the app) does.

Each index lets one query of `queries.py` read a span of weeks without visiting the
tables' rows: the messages index covers both message queries (user messages and their
`unanswered`, bot messages and their `topic`) by author and time.
"""

from __future__ import annotations

from sqlalchemy import Index

from bot.db import Conversation, Handoff, Message, Ticket

MESSAGES = Index(
    "ix_messages_statistics",
    Message.author,
    Message.created_at,
    Message.conversation_id,
    Message.unanswered,
    Message.topic,
)
CONVERSATIONS = Index(
    "ix_conversations_created",
    Conversation.created_at,
    Conversation.municipality,
    Conversation.language,
    Conversation.channel,
)
HANDOFFS = Index("ix_handoffs_requested", Handoff.requested_at)
TICKETS_CREATED = Index("ix_tickets_created", Ticket.created_at)
TICKETS_DONE = Index("ix_tickets_done", Ticket.done_at)

INDEXES = (MESSAGES, CONVERSATIONS, HANDOFFS, TICKETS_CREATED, TICKETS_DONE)
