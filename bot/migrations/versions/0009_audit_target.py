"""The audit log names the account an account change was about (issue 15): `target` is
the username that was created, disabled, enabled, re-scoped or had its password changed;
`actor` stays who did it.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("target", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("target")
