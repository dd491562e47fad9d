"""Blog posts.

Revision ID: blog_0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "blog_0001"
down_revision = None
branch_labels = ("blog",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blog_post",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "content_id",
            sa.Integer(),
            sa.ForeignKey("rse_content.id", ondelete="CASCADE", name="fk_blog_post_content_id"),
            nullable=True,
        ),
        sa.Column(
            "author_id",
            sa.Integer(),
            sa.ForeignKey("rse_user.id", ondelete="CASCADE", name="fk_blog_post_author_id"),
            nullable=False,
        ),
        sa.Column(
            "space_id",
            sa.Integer(),
            sa.ForeignKey("rse_space.id", ondelete="CASCADE", name="fk_blog_post_space_id"),
            nullable=True,
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tags", sa.String(500), nullable=False),
        sa.Column("cover_url", sa.String(1000), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("publish_at", sa.DateTime(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_blog_post_content_id"),
    )
    op.create_index("ix_blog_post_author_status", "blog_post", ["author_id", "status", "id"])
    op.create_index("ix_blog_post_author", "blog_post", ["author_id", "space_id", "content_id"])
    op.create_index("ix_blog_post_space", "blog_post", ["space_id", "content_id"])


def downgrade() -> None:
    op.drop_table("blog_post")
