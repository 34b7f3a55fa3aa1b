"""reports and dispatch

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 06:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import crowdguard.store.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("received_at", crowdguard.store.db.UTCDateTime(), nullable=False),
        sa.Column("observed_at", crowdguard.store.db.UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("overridden", sa.Boolean(), nullable=False),
        sa.Column("venue_id", sa.String(length=80), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("triage", sa.JSON(), nullable=False),
        sa.Column("duplicates", sa.JSON(), nullable=False),
        sa.Column("duplicate_of", sa.String(length=20), nullable=True),
        sa.Column("updated_at", crowdguard.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_reports")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_observed_at"), ["observed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_grade"), ["grade"], unique=False)

    op.create_table(
        "dispatch_units",
        sa.Column("callsign", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", crowdguard.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("callsign", name=op.f("pk_dispatch_units")),
    )
    op.create_table(
        "dispatch_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_ref", sa.String(length=20), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("unit_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", crowdguard.store.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crowdguard.store.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_tasks")),
    )
    with op.batch_alter_table("dispatch_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatch_tasks_report_ref"), ["report_ref"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dispatch_tasks_state"), ["state"], unique=False)

    op.create_table(
        "dispatch_timeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", crowdguard.store.db.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=False),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("cause", sa.String(length=200), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_timeline")),
    )
    with op.batch_alter_table("dispatch_timeline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_timeline_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dispatch_timeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_timeline_at"))
    op.drop_table("dispatch_timeline")
    with op.batch_alter_table("dispatch_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_tasks_state"))
        batch_op.drop_index(batch_op.f("ix_dispatch_tasks_report_ref"))
    op.drop_table("dispatch_tasks")
    op.drop_table("dispatch_units")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_grade"))
        batch_op.drop_index(batch_op.f("ix_reports_status"))
        batch_op.drop_index(batch_op.f("ix_reports_category"))
        batch_op.drop_index(batch_op.f("ix_reports_observed_at"))
        batch_op.drop_index(batch_op.f("ix_reports_received_at"))
    op.drop_table("reports")
