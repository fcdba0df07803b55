"""Staff accounts (editors now, the console in issue 5) and the unanswered-questions feed.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("unanswered", sa.String(16)))
    op.create_index("ix_messages_unanswered_created", "messages", ["unanswered", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_messages_unanswered_created", "messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("unanswered")
    op.drop_table("staff")
