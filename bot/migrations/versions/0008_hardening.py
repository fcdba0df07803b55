"""Hardening (issue 15): retention by the last message, staff scope and server-side
sessions, knowledge-bank revisions, and durable erasure jobs.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (no table rebuild): see 0004.
    op.add_column("conversations", sa.Column("last_message_at", sa.DateTime(timezone=True)))
    op.execute(
        "UPDATE conversations SET last_message_at = COALESCE("
        "(SELECT MAX(messages.created_at) FROM messages WHERE messages.conversation_id = conversations.id), "
        "updated_at)"
    )
    op.create_index("ix_conversations_last_message_at", "conversations", ["last_message_at"])
    op.add_column("staff", sa.Column("municipalities", sa.JSON))
    op.add_column("staff", sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute("UPDATE staff SET municipalities = '[]'")
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_staff_sessions_staff", "staff_sessions", ["staff_id"])
    op.create_table(
        "knowledge_revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("summary", sa.String(200), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
    )
    op.create_index("ix_knowledge_revisions_path_at", "knowledge_revisions", ["path", "at"])
    op.create_table(
        "erasure_jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rasa_sender_id", sa.String(160), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(200)),
        sa.Column("done_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_erasure_jobs_pending", "erasure_jobs", ["done_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("erasure_jobs")
    op.drop_table("knowledge_revisions")
    op.drop_table("staff_sessions")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("disabled")
        batch.drop_column("municipalities")
    op.drop_index("ix_conversations_last_message_at", "conversations")
    op.drop_column("conversations", "last_message_at")
