"""The gateway's database: conversations and every message in and out, staff accounts,
sessions, the audit log and knowledge-bank revisions (one import place for all models)."""

from bot.db.conversations import (
    Conversation,
    ErasureJob,
    Feedback,
    Handoff,
    Message,
    OutboxEntry,
    TelegramGroup,
    Ticket,
)
from bot.db.engine import Base, Database, aware, utcnow
from bot.db.staff import AuditEntry, KnowledgeRevision, Staff, StaffSession

__all__ = [
    "AuditEntry",
    "Base",
    "Conversation",
    "Database",
    "ErasureJob",
    "Feedback",
    "Handoff",
    "KnowledgeRevision",
    "Message",
    "OutboxEntry",
    "Staff",
    "StaffSession",
    "TelegramGroup",
    "Ticket",
    "aware",
    "utcnow",
]
