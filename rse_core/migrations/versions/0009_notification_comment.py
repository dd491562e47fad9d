"""Notifications name the comment they are about (excerpt, link to the comment).

Revision ID: core_0009
Revises: core_0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0009"
down_revision: str | None = "core_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rse_notification") as batch_op:
        batch_op.add_column(sa.Column("comment_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_rse_notification_comment_id_rse_comment",
            "rse_comment",
            ["comment_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("rse_notification") as batch_op:
        batch_op.drop_constraint("fk_rse_notification_comment_id_rse_comment", type_="foreignkey")
        batch_op.drop_column("comment_id")
