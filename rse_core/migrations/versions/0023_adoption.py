"""Adoption figures: each person's days of use, the weekly and monthly rollups, the top
contributors and the rollout phases' before and after; the activity log and reactions by time.

Revision ID: core_0023
Revises: core_0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0023"
down_revision: str | None = "core_0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rse_user_day",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("user_id", sa.Integer(), primary_key=True),
        sa.Column("visited", sa.Boolean(), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
    )
    op.create_index("ix_rse_user_day_user", "rse_user_day", ["user_id", "day"])
    op.create_table(
        "rse_adoption_week",
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("plugin", sa.String(length=40), primary_key=True),
        sa.Column("department", sa.String(length=120), primary_key=True),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
    )
    op.create_table(
        "rse_adoption_space_week",
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("space_id", sa.Integer(), primary_key=True),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_rse_adoption_space_week_space", "rse_adoption_space_week", ["space_id", "week"]
    )
    op.create_table(
        "rse_adoption_space_total",
        sa.Column("weeks", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), primary_key=True),
        sa.Column("contributions", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_rse_adoption_space_total_rank", "rse_adoption_space_total", ["weeks", "contributions"]
    )
    op.create_table(
        "rse_adoption_space_plugin",
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("space_id", sa.Integer(), primary_key=True),
        sa.Column("plugin", sa.String(length=40), primary_key=True),
        sa.Column("contributions", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_rse_adoption_space_plugin_space", "rse_adoption_space_plugin", ["space_id", "week"]
    )
    op.create_table(
        "rse_adoption_space_active",
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("space_id", sa.Integer(), primary_key=True),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("contributors", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_rse_adoption_space_active_space", "rse_adoption_space_active", ["space_id", "week"]
    )
    op.create_table(
        "rse_adoption_active",
        sa.Column("kind", sa.String(length=5), primary_key=True),
        sa.Column("start", sa.Date(), primary_key=True),
        sa.Column("department", sa.String(length=120), primary_key=True),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("contributors", sa.Integer(), nullable=False),
    )
    op.create_table(
        "rse_adoption_top",
        sa.Column("weeks", sa.Integer(), primary_key=True),
        sa.Column("department", sa.String(length=120), primary_key=True),
        sa.Column("rank", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contributions", sa.Integer(), nullable=False),
    )
    op.create_table(
        "rse_adoption_phase",
        sa.Column("log_id", sa.Integer(), primary_key=True),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_rse_activity_created", "rse_activity", ["created_at"])
    op.create_index("ix_rse_reaction_created", "rse_reaction", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_rse_reaction_created", table_name="rse_reaction")
    op.drop_index("ix_rse_activity_created", table_name="rse_activity")
    for table in (
        "rse_adoption_phase",
        "rse_adoption_top",
        "rse_adoption_active",
        "rse_adoption_space_active",
        "rse_adoption_space_plugin",
        "rse_adoption_space_total",
        "rse_adoption_space_week",
        "rse_adoption_week",
    ):
        op.drop_table(table)
    op.drop_index("ix_rse_user_day_user", table_name="rse_user_day")
    op.drop_table("rse_user_day")
