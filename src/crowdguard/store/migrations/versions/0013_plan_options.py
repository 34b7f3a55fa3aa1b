"""plans.options: the overrides and floors a plan job was asked for

A plan job took only a scenario, a horizon and a seed; the planner's page could price a pin
or forbid but not apply it (issue 14). The job now keeps the routes-mode options it was
started with (pins and forbids, the variant cap, the response and visibility floors) as
JSON, so the plan stays reproducible from its stored inputs. Existing plans had none: NULL.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("options", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("options")
