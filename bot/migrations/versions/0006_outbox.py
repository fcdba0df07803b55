"""The delivery outbox, one-time confirmation nonces, and Telegram groups told once.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(200)),
        sa.Column("lease_owner", sa.String(32)),
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("message_id", name="uq_outbox_message"),
    )
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "conversation_id", "id"])
    op.create_table(
        "telegram_groups",
        sa.Column("chat_id", sa.BigInteger, primary_key=True),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
    )
    # In place (no table rebuild): see 0004.
    op.add_column("conversations", sa.Column("confirm_nonce", sa.String(32)))
    op.add_column("conversations", sa.Column("confirm_expires_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("confirm_expires_at")
        batch.drop_column("confirm_nonce")
    op.drop_table("telegram_groups")
    op.drop_index("ix_outbox_pending", "outbox")
    op.drop_table("outbox")
