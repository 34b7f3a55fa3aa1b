"""reports keep their latest grade override: who, when, from which grade, and why

A control-room user who changes a report's grade gives a reason; until this revision the
reason lived only in the audit trail, so the next operator to open the report saw that it
had been overridden but not by whom or why. ``grade_override`` holds the latest override
(the audit trail keeps every one); it is null for reports never overridden, and for reports
overridden before this revision (their reasons are in the audit trail).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 22:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both back ends, as in 0005 and 0006: a batch rebuild of ``reports``
# on SQLite would drop the table that duplicate links and tasks refer to.


def upgrade() -> None:
    op.add_column("reports", sa.Column("grade_override", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("reports", "grade_override")
