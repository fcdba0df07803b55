"""Handoff across languages (issue 18): tickets can be callbacks (phone number, time
window, interpreter language), a conversation remembers a callback being arranged, and
staff accounts list the languages their owner chats in, and messages keep what the
brief shows (the assistant's reading of a question, the topic an answer came from, the
phrasebook entry a staff reply was).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (no table rebuild): see 0004.
    op.add_column("tickets", sa.Column("kind", sa.String(16), nullable=False, server_default="message"))
    op.add_column("tickets", sa.Column("phone", sa.String(32)))
    op.add_column("tickets", sa.Column("window", sa.String(32)))
    op.add_column("tickets", sa.Column("interpreter", sa.String(8)))
    op.add_column("tickets", sa.Column("done_at", sa.DateTime(timezone=True)))
    op.add_column("conversations", sa.Column("callback_step", sa.String(8)))
    op.add_column("conversations", sa.Column("callback_ticket", sa.Integer))
    op.add_column("staff", sa.Column("languages", sa.JSON))
    for column in (
        sa.Column("intent", sa.String(64)),
        sa.Column("confidence", sa.Float),
        sa.Column("topic", sa.String(64)),
        sa.Column("phrase", sa.String(64)),
    ):
        op.add_column("messages", column)
    op.execute("UPDATE staff SET languages = '[]'")


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        for name in ("phrase", "topic", "confidence", "intent"):
            batch.drop_column(name)
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("languages")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("callback_ticket")
        batch.drop_column("callback_step")
    with op.batch_alter_table("tickets") as batch:
        for column in ("done_at", "interpreter", "window", "phone", "kind"):
            batch.drop_column(column)
