"""the operations log: every armed deployment, for Home Office-comparable counts

One row per unit deployment to an incident, written by dispatch as it happens (assigned,
en route, on scene, stood down, task closed) or entered by hand (escorts, guarding, VIP
protection). ``crowdguard.stats`` counts firearms operations from it by the Home Office
rules (one incident, one operation). Holds no roster, location or report contact.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operations_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident", sa.String(80), nullable=False),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("unit_kind", sa.String(10), nullable=False),
        sa.Column("arv", sa.Boolean(), nullable=False),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("report_ref", sa.String(20), nullable=True),
        sa.Column("grade", sa.String(20), nullable=True),
        sa.Column("category", sa.String(40), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("authorised_at", sa.DateTime(), nullable=True),
        sa.Column("authorised_by", sa.String(80), nullable=True),
        sa.Column("self_authorised", sa.Boolean(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(), nullable=True),
        sa.Column("arrived_at", sa.DateTime(), nullable=True),
        sa.Column("stood_down_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("discharges", sa.Integer(), nullable=False),
        sa.Column("from_patrol", sa.Boolean(), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations_log")),
    )
    for column in ("incident", "unit", "task_id", "authorised_at"):
        op.create_index(op.f(f"ix_operations_log_{column}"), "operations_log", [column])


def downgrade() -> None:
    for column in ("authorised_at", "task_id", "unit", "incident"):
        op.drop_index(op.f(f"ix_operations_log_{column}"), table_name="operations_log")
    op.drop_table("operations_log")
