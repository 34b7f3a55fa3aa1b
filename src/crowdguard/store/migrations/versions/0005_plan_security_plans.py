"""plan jobs keep the submitted security plans they took into account

A plan job now stores, beside its scenario snapshot, the security plans organisers submitted
for the scenario's venues and period, each with its effective review (overrides applied) as
it stood when the job was queued: the open findings raise those venues' risk, so they are an
input the plan must keep to be reproducible. Jobs stored before this revision have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both back ends (SQLite has had DROP COLUMN since 3.35): a batch
# rebuild of ``plans`` on SQLite would drop the old table, and with foreign keys on, the
# rosters that reference it would go with it.


def upgrade() -> None:
    op.add_column("plans", sa.Column("security_plans", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("plans", "security_plans")
