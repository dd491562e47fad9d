"""E-mail digests: who chose one, how often, in which language, and where it got to.

Revision ID: core_0022
Revises: core_0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0022"
down_revision: str | None = "core_0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rse_digest",
        sa.Column("user_id", sa.Integer(), primary_key=True),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("last_activity_id", sa.Integer(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(), nullable=True),
        sa.Column("next_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_digest_user_id_rse_user"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rse_digest_next", "rse_digest", ["next_at"])


def downgrade() -> None:
    op.drop_index("ix_rse_digest_next", table_name="rse_digest")
    op.drop_table("rse_digest")
