"""Moderation: community managers, reports of items and comments, and the decisions log.

Revision ID: core_0020
Revises: core_0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0020"
down_revision: str | None = "core_0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "rse_user",
        sa.Column("is_community_manager", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "rse_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_report_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_report_reporter_id_rse_user"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rse_report_open", "rse_report", ["status", "id"])
    op.create_index("ix_rse_report_content", "rse_report", ["content_id", "comment_id"])
    op.create_table(
        "rse_moderation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_moderation_content_id_rse_content"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rse_moderation_content", "rse_moderation", ["content_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_rse_moderation_content", table_name="rse_moderation")
    op.drop_table("rse_moderation")
    op.drop_index("ix_rse_report_content", table_name="rse_report")
    op.drop_index("ix_rse_report_open", table_name="rse_report")
    op.drop_table("rse_report")
    op.execute("ALTER TABLE rse_user DROP COLUMN is_community_manager")
