"""Campaigns, their reviewers, participants and ideas; votes, followers, scores and moves.

Revision ID: ideas_0001
Revises:
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "ideas_0001"
down_revision = None
branch_labels = ("ideas",)  # the plugin's own history: alembic_version_ideas
depends_on = None


def _ref(column: str, target: str, table: str, *, nullable: bool = False, **kw) -> sa.Column:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey(target, ondelete="CASCADE", name=f"fk_{table}_{column}"),
        nullable=nullable,
        **kw,
    )


def upgrade() -> None:
    op.create_table(
        "ideas_campaign",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("content_id", "rse_content.id", "ideas_campaign"),
        _ref("owner_id", "rse_user.id", "ideas_campaign"),
        _ref("space_id", "rse_space.id", "ideas_campaign", nullable=True),
        sa.Column("question", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("steps", sa.String(100), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("idea_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_ideas_campaign_content_id"),
    )
    op.create_index("ix_ideas_campaign_space", "ideas_campaign", ["space_id", "id"])
    op.create_index("ix_ideas_campaign_closes", "ideas_campaign", ["closes_at"])
    op.create_table(
        "ideas_reviewer",
        _ref("campaign_id", "ideas_campaign.id", "ideas_reviewer", primary_key=True),
        _ref("user_id", "rse_user.id", "ideas_reviewer", primary_key=True),
    )
    op.create_index("ix_ideas_reviewer_user", "ideas_reviewer", ["user_id"])
    op.create_table(
        "ideas_idea",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("content_id", "rse_content.id", "ideas_idea"),
        _ref("campaign_id", "ideas_campaign.id", "ideas_idea"),
        _ref("author_id", "rse_user.id", "ideas_idea"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(500), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_ideas_idea_content_id"),
    )
    op.create_index("ix_ideas_idea_campaign", "ideas_idea", ["campaign_id", "state", "vote_count"])
    op.create_index("ix_ideas_idea_author", "ideas_idea", ["author_id", "id"])
    op.create_table(
        "ideas_vote",
        _ref("idea_id", "ideas_idea.id", "ideas_vote", primary_key=True),
        _ref("user_id", "rse_user.id", "ideas_vote", primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_ideas_vote_user", "ideas_vote", ["user_id"])
    op.create_table(
        "ideas_participant",
        _ref("campaign_id", "ideas_campaign.id", "ideas_participant", primary_key=True),
        _ref("user_id", "rse_user.id", "ideas_participant", primary_key=True),
    )
    op.create_table(
        "ideas_follower",
        _ref("idea_id", "ideas_idea.id", "ideas_follower", primary_key=True),
        _ref("user_id", "rse_user.id", "ideas_follower", primary_key=True),
    )
    op.create_index("ix_ideas_follower_user", "ideas_follower", ["user_id"])
    op.create_table(
        "ideas_score",
        _ref("idea_id", "ideas_idea.id", "ideas_score", primary_key=True),
        _ref("reviewer_id", "rse_user.id", "ideas_score", primary_key=True),
        sa.Column("criterion", sa.Integer(), primary_key=True),
        sa.Column("value", sa.Integer(), nullable=False),
    )
    op.create_table(
        "ideas_move",
        sa.Column("id", sa.Integer(), primary_key=True),
        _ref("idea_id", "ideas_idea.id", "ideas_move"),
        _ref("actor_id", "rse_user.id", "ideas_move"),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_ideas_move_idea", "ideas_move", ["idea_id", "id"])


def downgrade() -> None:
    for table in (
        "ideas_move",
        "ideas_score",
        "ideas_follower",
        "ideas_vote",
        "ideas_idea",
        "ideas_reviewer",
        "ideas_campaign",
    ):
        op.drop_table(table)
