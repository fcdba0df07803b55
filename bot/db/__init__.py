"""The gateway's database: conversations and every message in and out, staff accounts,
sessions, the audit log and knowledge-bank revisions (one import place for all models)."""

from bot.db.conversations import (
    Conversation,
    Handoff,
    Message,
    OutboxEntry,
    TelegramGroup,
    Ticket,
)
from bot.db.engine import Base, Database, aware, utcnow
from bot.db.staff import AuditEntry, Staff

__all__ = [
    "AuditEntry",
    "Base",
    "Conversation",
    "Database",
    "Handoff",
    "Message",
    "OutboxEntry",
    "Staff",
    "TelegramGroup",
    "Ticket",
    "aware",
    "utcnow",
]
