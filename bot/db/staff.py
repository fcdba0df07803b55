"""Staff accounts and what they did: sign-in sessions and the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.engine import Base, utcnow


class Staff(Base):
    """A person who signs in: `editor` (knowledge bank), `staff` (console), `admin` (both).

    Only an Argon2 hash of the password is stored.
    """

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Who did what to which conversation, and when: claim, reply, hand back, close, ticket.

    Only ids, never message text, so the log holds no personal data of its own and may
    outlive the conversation (retention and erasure delete the conversation, not the
    record that a staff member once answered it).
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # the staff member's username
    action: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[int | None] = mapped_column()
    handoff_id: Mapped[int | None] = mapped_column()
    ticket_id: Mapped[int | None] = mapped_column()
