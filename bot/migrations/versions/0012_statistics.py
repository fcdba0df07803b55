"""Statistics (issue 19): frozen weeks (`statistics_weeks`, `statistics_amounts`: raw
weekly amounts that outlive the conversations' retention) and the indexes that let the
live weekly aggregates read a span of weeks from an index instead of every row
(bot/statistics/models.py says why and which query uses which). New tables and indexes
only, so no data moves. After 0011 (the feedback table), which the statistics also read.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
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
    op.create_table(
        "statistics_weeks",
        sa.Column("monday", sa.Date, primary_key=True),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "statistics_amounts",
        sa.Column("monday", sa.Date, sa.ForeignKey("statistics_weeks.monday", ondelete="CASCADE"), primary_key=True),
        sa.Column("municipality", sa.String(32), primary_key=True),
        sa.Column("amounts", sa.JSON, nullable=False),
    )
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
    op.drop_table("statistics_amounts")
    op.drop_table("statistics_weeks")
