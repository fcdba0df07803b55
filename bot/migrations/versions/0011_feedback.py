"""Answer feedback (issue 19): "Did this help?" per topic answer, and the conversation
waiting for the reason after a 👎.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("municipality", sa.String(32)),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_topic_created", "feedback", ["topic", "created_at"])
    op.add_column("conversations", sa.Column("feedback_pending", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("feedback_pending")
    op.drop_index("ix_feedback_topic_created", "feedback")
    op.drop_table("feedback")
