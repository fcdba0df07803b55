"""Conversation tokens: a hash of the secret that proves a web conversation is yours.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # In place (no table rebuild): see 0004. Web conversations from before have no token;
    # the chat API refuses them (401), so nobody can take one over by its id.
    op.add_column("conversations", sa.Column("token_hash", sa.String(64)))
    op.create_index("ix_conversations_token_hash", "conversations", ["token_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_conversations_token_hash", "conversations")
    op.drop_column("conversations", "token_hash")
