"""One contact person (issue 21): a returning user's new handoff is offered first to the
staff member who helped them last, until `offered_until`.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        staff = sa.ForeignKey("staff.id", ondelete="SET NULL", name="fk_handoffs_offered_to")
        batch.add_column(sa.Column("offered_to", sa.Integer, staff))
        batch.add_column(sa.Column("offered_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("offered_until")
        batch.drop_column("offered_to")
