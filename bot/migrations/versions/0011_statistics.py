"""Statistics (issue 19): indexes that let the weekly aggregates read a span of weeks
from an index instead of every row (bot/statistics/models.py says which query uses
which). No table changes, so no data moves.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_messages_statistics": ("messages", ["author", "created_at", "conversation_id", "unanswered", "topic"]),
    "ix_conversations_created": ("conversations", ["created_at", "municipality", "language", "channel"]),
    "ix_handoffs_requested": ("handoffs", ["requested_at"]),
    "ix_tickets_created": ("tickets", ["created_at"]),
    "ix_tickets_done": ("tickets", ["done_at"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
