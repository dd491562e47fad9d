"""The search outbox also lists people whose entry changed.

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0004"
down_revision: str | None = "core_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rse_search_outbox") as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.alter_column("content_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM rse_search_outbox WHERE content_id IS NULL")
    with op.batch_alter_table("rse_search_outbox") as batch_op:
        batch_op.alter_column("content_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("user_id")
