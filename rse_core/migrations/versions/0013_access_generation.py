"""The access generation: a counter every change of memberships, spaces, plugin enablement
or permission overrides moves on, so that workers may keep those in memory while it stands
still (see rse_core/access_cache.py).

Revision ID: core_0013
Revises: core_0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0013"
down_revision: str | None = "core_0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "rse_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rse_generation"),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("rse_generation")
