"""The statistics' own tables and the indexes they need on the gateway's tables
(migration 0012).

**Weeks are kept once they are over.** Conversations are deleted after
`LOTSEN_RETENTION_DAYS` (30 by default), so counting from them alone, a page looking 52
weeks back would show five. A week that has ended (and a day has passed, so handoffs
requested late on Sunday have been taken) is therefore *frozen*: its raw amounts — counts,
shares' parts and wholes, wait minutes, and the conversations each rests on — are written
to `statistics_amounts`, and the week to `statistics_weeks`. They hold no text, no ids and
no sender: the privacy rule is applied when they are shown, as for live numbers. Only
the current week (and the one before, for its first day) is counted live. This also
keeps the page fast however many messages the database holds.

**Indexes**, attached to the same `Base.metadata` so the schema test compares them with
the migrated database (as long as this module is imported; `bot.statistics.routes`, and
so the app, does): each lets one live query of `queries.py` read a span of weeks from
an index without visiting the tables' rows; the messages index serves both message
queries (user messages with `unanswered`, bot messages with `topic`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, Conversation, Handoff, Message, Ticket, utcnow


class StatisticsWeek(Base):
    """A week whose amounts are frozen in `statistics_amounts` (an empty week has none)."""

    __tablename__ = "statistics_weeks"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)  # the week's Monday, Stockholm
    frozen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StatisticsAmount(Base):
    """The raw amounts of one frozen week in one municipality (`""`: none yet), all
    measures in one JSON object — `{measure: [kind, n, whole, conversations, minutes]}`,
    `kind` being `count` (`n`), `share` (`n` of `whole`) or `spread` (`minutes`, the wait
    of each taken handoff) — so a 52-week page reads a few hundred rows, not tens of
    thousands. Read and written only by `rollup.py`."""

    __tablename__ = "statistics_amounts"

    monday: Mapped[date] = mapped_column(ForeignKey("statistics_weeks.monday", ondelete="CASCADE"), primary_key=True)
    municipality: Mapped[str] = mapped_column(String(32), primary_key=True)
    amounts: Mapped[dict[str, list[object]]] = mapped_column(JSON)


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
