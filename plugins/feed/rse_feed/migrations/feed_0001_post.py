"""Feed posts.

Revision ID: feed_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "feed_0001"
down_revision = None
branch_labels = ("feed",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "content_id",
            sa.Integer(),
            sa.ForeignKey("rse_content.id", ondelete="CASCADE", name="fk_feed_post_content_id"),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_feed_post_content_id"),
    )


def downgrade() -> None:
    op.drop_table("feed_post")
