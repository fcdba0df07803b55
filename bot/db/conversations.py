"""Conversations and everything in them: messages, handoffs, tickets, the outbox.

The gateway, not Rasa, owns who is answering a conversation (`mode`), so that state
lives here and survives restarts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.engine import Base, utcnow


class Conversation(Base):
    """One person on one channel. `mode` and `leaving_message` store its handoff stage
    (bot/handoff/states.py); `confirm_nonce` is the one-time key of a pending confirmation
    button ("Yes, delete everything"), valid until `confirm_expires_at`."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "sender", name="uq_conversation_channel_sender"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(128))
    language: Mapped[str | None] = mapped_column(String(8))
    # A different language seen once with confidence; a second in a row switches to it.
    pending_language: Mapped[str | None] = mapped_column(String(8))
    municipality: Mapped[str | None] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8), default="bot")
    # The next message is one to leave for staff (the office was closed).
    leaving_message: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A callback being arranged: "phone" (the next message is the number) or "window"
    # (the time is being chosen for ticket `callback_ticket`); None otherwise.
    callback_step: Mapped[str | None] = mapped_column(String(8))
    callback_ticket: Mapped[int | None] = mapped_column()
    # 👎 was pressed: the next message says what was missing (feedback row id).
    feedback_pending: Mapped[int | None] = mapped_column()
    # The last topic the bot answered (an intent name), for the staff's handoff brief.
    topic: Mapped[str | None] = mapped_column(String(64))
    # SHA-256 of the web conversation's bearer token (the token itself is never stored).
    token_hash: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    confirm_nonce: Mapped[str | None] = mapped_column(String(32))
    confirm_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # When anyone (user, bot, staff) last wrote in it: what retention measures age from.
    # Nullable only in the schema (added in place by migration 0008); always set.
    last_message_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True, nullable=True
    )

    @property
    def rasa_sender_id(self) -> str:
        """Rasa's conversation id: channel-scoped so a web and a Telegram id never collide."""
        return f"{self.channel}:{self.sender}"


class Message(Base):
    """A message as the person saw it: from the user, the bot, staff or the system.

    `unanswered` marks a user message the bot could not answer (`not_understood` or
    `out_of_scope`), for the editors' feed of what to add to the knowledge bank.
    """

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_created", "conversation_id", "created_at"),
        Index("ix_messages_unanswered_created", "unanswered", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(8))  # user | bot | staff | system
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    unanswered: Mapped[str | None] = mapped_column(String(16))
    author_name: Mapped[str | None] = mapped_column(String(120))  # the staff member who wrote it
    # For the staff brief: on a user message, the assistant's reading of it (intent and
    # confidence, from the actions' `reading` directive); on a bot message, the topic it
    # answered (so staff can read the same answer in Swedish from the bank).
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    topic: Mapped[str | None] = mapped_column(String(64))
    # A staff message sent from the phrasebook: its id (the transcript shows it in Swedish).
    phrase: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Handoff(Base):
    """One request to talk to a person; `status` is a `bot.handoff.states.Status`."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status_requested", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    municipality: Mapped[str] = mapped_column(String(32))
    office_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))  # asked | not_understood
    message_id: Mapped[int | None] = mapped_column()  # the user message that asked (for the brief)
    status: Mapped[str] = mapped_column(String(16))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A returning user's request is offered first to who helped them last (bot/handoff/contact.py).
    offered_to: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    offered_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Ticket(Base):
    """Something for staff to do later: a message left while the office was closed
    (`kind` "message"), or a request to be called back (`kind` "callback": a phone number,
    a time window, and the language a phone interpreter must speak when no one at the
    office does). Erased with its conversation (the phone number is personal data)."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    municipality: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="message", server_default="message")
    text: Mapped[str] = mapped_column(Text)  # the message left, or the user's note to a callback
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164, callbacks only
    window: Mapped[str | None] = mapped_column(String(32))  # e.g. "2026-12-03 morning"; None: any time
    interpreter: Mapped[str | None] = mapped_column(String(8))  # language code, when staff need one
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OutboxEntry(Base):
    """A stored message that a channel must still push to its user (bot/outbox.py).

    Written in the same transaction as the message; `sent_at` is set once the channel
    took it. `lease_owner`/`lease_until` let exactly one gateway deliver it at a time.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_outbox_message"),
        Index("ix_outbox_pending", "sent_at", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TelegramGroup(Base):
    """A group chat that was told, once, that Lotsen answers in private chats only."""

    __tablename__ = "telegram_groups"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    told_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Feedback(Base):
    """ "Did this help?" on one topic answer: +1 or -1, and for -1 what was missing
    (masked when shown to editors). Erased with its conversation; statistics count it."""

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_topic_created", "topic", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))
    municipality: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[int] = mapped_column()  # +1 helped, -1 did not
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ErasureJob(Base):
    """Erasing a conversation from a store that did not answer at once (Rasa's tracker
    store): retried until it is done, so "deleted" becomes true; admins see stuck jobs."""

    __tablename__ = "erasure_jobs"
    __table_args__ = (Index("ix_erasure_jobs_pending", "done_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rasa_sender_id: Mapped[str] = mapped_column(String(160))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
