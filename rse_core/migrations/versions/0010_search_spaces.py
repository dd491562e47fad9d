"""Spaces are searchable: the search outbox names spaces too, and every existing space is
queued so the index learns them without a rebuild.

Revision ID: core_0010
Revises: core_0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0010"
down_revision: str | None = "core_0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rse_search_outbox") as batch_op:
        batch_op.add_column(sa.Column("space_id", sa.Integer(), nullable=True))
    op.execute(
        "INSERT INTO rse_search_outbox (space_id, op, created_at)"
        " SELECT id, 'index', CURRENT_TIMESTAMP FROM rse_space"
    )


def downgrade() -> None:
    op.execute("DELETE FROM rse_search_outbox WHERE space_id IS NOT NULL")
    with op.batch_alter_table("rse_search_outbox") as batch_op:
        batch_op.drop_column("space_id")
