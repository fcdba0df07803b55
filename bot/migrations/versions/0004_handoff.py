"""Handoffs to staff and the messages users leave when the office is closed (tickets).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("municipality", sa.String(32), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("message_id", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.Integer, sa.ForeignKey("staff.id", ondelete="SET NULL")),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_handoffs_status_requested", "handoffs", ["status", "requested_at"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("municipality", sa.String(32)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_by", sa.Integer, sa.ForeignKey("staff.id", ondelete="SET NULL")),
    )
    # A plain ADD COLUMN: SQLite can do it in place, so the table is not rebuilt.
    op.add_column("conversations", sa.Column("leaving_message", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("conversations", sa.Column("topic", sa.String(64)))
    op.add_column("messages", sa.Column("author_name", sa.String(120)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("author_name")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("topic")
        batch.drop_column("leaving_message")
    op.drop_table("tickets")
    op.drop_index("ix_handoffs_status_requested", "handoffs")
    op.drop_table("handoffs")
