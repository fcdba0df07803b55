"""Staff accounts and what they did: sign-in sessions, the audit log and the revisions
of the knowledge bank made on the web."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, String, Text, false
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
    # The municipalities whose queues and conversations a staff member works with (admins: all).
    municipalities: Mapped[list[str]] = mapped_column(JSON, default=list, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Languages the person can chat in (codes); the console suggests who should take a chat.
    languages: Mapped[list[str] | None] = mapped_column(JSON, default=list, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """One signed-in browser. The cookie carries only `id`'s secret; signing out, a password
    change or disabling the account revokes it here, so a copied cookie stops working."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_staff", "staff_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie's secret
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class KnowledgeRevision(Base):
    """One web edit of a knowledge-bank file: who, when, and the file before and after, so
    the editor pages can show the change and restore an earlier version."""

    __tablename__ = "knowledge_revisions"
    __table_args__ = (Index("ix_knowledge_revisions_path_at", "path", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(200))  # relative to the knowledge directory
    summary: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)  # None: the file was created
    after: Mapped[str | None] = mapped_column(Text)  # None: the file was removed


class AuditEntry(Base):
    """Who did what to which conversation, and when: claim, reply, hand back, close, ticket,
    opening a transcript; and to which account (`target`): account_create, account_disable,
    account_enable, account_scope, password_change.

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
    target: Mapped[str | None] = mapped_column(String(64))  # the account changed (a username)
