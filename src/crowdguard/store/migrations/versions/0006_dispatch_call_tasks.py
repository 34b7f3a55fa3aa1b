"""dispatch tasks opened from a call, without a public report

A control room also takes 999 calls: a control user opens a task from a location and a short
description, with no public report behind it. Tasks gain ``description`` and ``opened_by``
(who opened it); both are null for tasks raised from a report, and for every task stored
before this revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both back ends (SQLite has had DROP COLUMN since 3.35), as in 0005: a
# batch rebuild of ``dispatch_tasks`` on SQLite would copy, drop and rename the table, which
# with foreign keys on is the pattern that cascades deletes to the rows referring to a table.


def upgrade() -> None:
    op.add_column("dispatch_tasks", sa.Column("description", sa.String(500), nullable=True))
    op.add_column("dispatch_tasks", sa.Column("opened_by", sa.String(80), nullable=True))


def downgrade() -> None:
    op.drop_column("dispatch_tasks", "opened_by")
    op.drop_column("dispatch_tasks", "description")
