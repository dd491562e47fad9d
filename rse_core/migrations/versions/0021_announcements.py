"""Announcements: items pinned on everyone's home or a space's until a date.

Revision ID: core_0021
Revises: core_0020
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0021"
down_revision: str | None = "core_0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rse_announcement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("pinned_by", sa.Integer(), nullable=False),
        sa.Column("until", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_announcement_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["rse_space.id"],
            name=op.f("fk_rse_announcement_space_id_rse_space"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rse_announcement_place", "rse_announcement", ["space_id", "until"])


def downgrade() -> None:
    op.drop_index("ix_rse_announcement_place", table_name="rse_announcement")
    op.drop_table("rse_announcement")
