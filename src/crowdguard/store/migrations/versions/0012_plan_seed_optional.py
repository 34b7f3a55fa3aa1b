"""plans.seed is optional: a plan without a requested seed draws its rosters from secrets

Until now every plan stored a seed (drawn with ``secrets`` when none was asked for) and drew
its rosters from ``random.Random(seed)``, so anyone who read the seed could rebuild every
roster of the season offline (issue 12, item 7). A plan that was not asked for a seed now
stores none and draws from ``secrets.SystemRandom``. Existing rows keep their seeds: they
still reproduce those plans' rosters and stay as guarded as the rosters themselves.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("seed", existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    # A plan drawn from secrets has no seed; 0 reproduces nothing, and seed_given says so.
    op.execute("UPDATE plans SET seed = 0 WHERE seed IS NULL")
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.alter_column("seed", existing_type=sa.BigInteger(), nullable=False)
