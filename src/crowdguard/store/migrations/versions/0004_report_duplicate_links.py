"""report duplicate links: pairs in their own table, an index to walk reports by time

Duplicate suggestions stop rewriting earlier reports: each pair found at intake becomes one
``report_duplicates`` row (the later report, the earlier one it may repeat), and an index on
``reports (category, observed_at, reference, lat, lon)`` lets intake read only the reports
nearest in time, from the index alone.
Rows stored before this revision keep both sides in their ``duplicates`` list, which the
service reads together with the new table, so nothing is copied on the way up. On the way
down every pair is written back into both reports' lists, as revision 0003 expects.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_duplicates",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("other", sa.String(length=20), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("minutes_apart", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["other"], ["reports.reference"], name=op.f("fk_report_duplicates_other_reports")
        ),
        sa.ForeignKeyConstraint(
            ["reference"],
            ["reports.reference"],
            name=op.f("fk_report_duplicates_reference_reports"),
        ),
        sa.PrimaryKeyConstraint("reference", "other", name=op.f("pk_report_duplicates")),
    )
    with op.batch_alter_table("report_duplicates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_duplicates_other"), ["other"], unique=False)
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reports_duplicate_walk",
            ["category", "observed_at", "reference", "lat", "lon"],
            unique=False,
        )


def downgrade() -> None:
    bind = op.get_bind()
    pairs = bind.execute(sa.text("SELECT reference, other FROM report_duplicates")).all()
    partners: dict[str, set[str]] = defaultdict(set)
    for reference, other in pairs:
        partners[reference].add(other)
        partners[other].add(reference)
    for reference, more in partners.items():
        stored = bind.execute(
            sa.text("SELECT duplicates FROM reports WHERE reference = :r"), {"r": reference}
        ).scalar_one()
        known = json.loads(stored) if isinstance(stored, str) else list(stored or [])
        merged = sorted({*known, *more})
        bind.execute(
            sa.text("UPDATE reports SET duplicates = :d WHERE reference = :r"),
            {"d": json.dumps(merged), "r": reference},
        )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index("ix_reports_duplicate_walk")
    with op.batch_alter_table("report_duplicates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_duplicates_other"))
    op.drop_table("report_duplicates")
