"""Bookmarks.

Revision ID: bookmarks_0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "bookmarks_0001"
down_revision = None
branch_labels = ("bookmarks",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bookmarks_bookmark",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "content_id",
            sa.Integer(),
            sa.ForeignKey("rse_content.id", ondelete="CASCADE", name="fk_bookmarks_content_id"),
            nullable=False,
        ),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("saved_content_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_bookmarks_bookmark_content_id"),
    )
    op.create_index("ix_bookmarks_bookmark_url", "bookmarks_bookmark", ["url"])


def downgrade() -> None:
    op.drop_table("bookmarks_bookmark")
