"""Wiki pages, revisions, redirects, links and watchers.

Revision ID: wiki_0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "wiki_0001"
down_revision = None
branch_labels = ("wiki",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wiki_page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("wiki_id", sa.Integer(), nullable=False),
        sa.Column(
            "space_id",
            sa.Integer(),
            sa.ForeignKey("rse_space.id", ondelete="CASCADE", name="fk_wiki_page_space_id"),
            nullable=True,
        ),
        sa.Column(
            "content_id",
            sa.Integer(),
            sa.ForeignKey("rse_content.id", ondelete="CASCADE", name="fk_wiki_page_content_id"),
            nullable=False,
        ),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "parent_id",
            sa.Integer(),
            sa.ForeignKey("wiki_page.id", ondelete="SET NULL", name="fk_wiki_page_parent_id"),
            nullable=True,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("wiki_id", "slug", name="uq_wiki_page_wiki_id"),
        sa.UniqueConstraint("content_id", name="uq_wiki_page_content_id"),
    )
    op.create_index("ix_wiki_page_parent", "wiki_page", ["parent_id"])
    op.create_index("ix_wiki_page_tree", "wiki_page", ["wiki_id", "parent_id", "title"])
    op.create_table(
        "wiki_revision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "page_id",
            sa.Integer(),
            sa.ForeignKey("wiki_page.id", ondelete="CASCADE", name="fk_wiki_revision_page_id"),
            nullable=False,
        ),
        sa.Column("wiki_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("summary", sa.String(300), nullable=False),
        sa.Column(
            "author_id",
            sa.Integer(),
            sa.ForeignKey("rse_user.id", ondelete="CASCADE", name="fk_wiki_revision_author_id"),
            nullable=False,
        ),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("reverted_to", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("page_id", "number", name="uq_wiki_revision_page_id"),
    )
    op.create_index("ix_wiki_revision_wiki", "wiki_revision", ["wiki_id", "id"])
    op.create_table(
        "wiki_redirect",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("wiki_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column(
            "page_id",
            sa.Integer(),
            sa.ForeignKey("wiki_page.id", ondelete="CASCADE", name="fk_wiki_redirect_page_id"),
            nullable=False,
        ),
        sa.UniqueConstraint("wiki_id", "slug", name="uq_wiki_redirect_wiki_id"),
    )
    op.create_table(
        "wiki_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "page_id",
            sa.Integer(),
            sa.ForeignKey("wiki_page.id", ondelete="CASCADE", name="fk_wiki_link_page_id"),
            nullable=False,
        ),
        sa.Column("wiki_id", sa.Integer(), nullable=False),
        sa.Column("target_slug", sa.String(120), nullable=False),
    )
    op.create_index("ix_wiki_link_page_id", "wiki_link", ["page_id"])
    op.create_index("ix_wiki_link_target", "wiki_link", ["wiki_id", "target_slug"])
    op.create_table(
        "wiki_watch",
        sa.Column(
            "page_id",
            sa.Integer(),
            sa.ForeignKey("wiki_page.id", ondelete="CASCADE", name="fk_wiki_watch_page_id"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("rse_user.id", ondelete="CASCADE", name="fk_wiki_watch_user_id"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    for table in ("wiki_watch", "wiki_link", "wiki_redirect", "wiki_revision", "wiki_page"):
        op.drop_table(table)
