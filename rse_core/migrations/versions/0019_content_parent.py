"""An item may belong to another (a file attached to a post): ``rse_content.parent_id``,
and to one of its comments: ``parent_comment_id``.

Such an item shares its parent's audience, and is hidden and restored with it (hidden with
its comment too). Only the few items with a parent are indexed.

Revision ID: core_0019
Revises: core_0018
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0019"
down_revision: str | None = "core_0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("rse_content", sa.Column("parent_id", sa.Integer(), nullable=True))
    op.add_column("rse_content", sa.Column("parent_comment_id", sa.Integer(), nullable=True))
    op.create_index(
        "ix_rse_content_parent",
        "rse_content",
        ["parent_id"],
        postgresql_where=sa.text("parent_id IS NOT NULL"),
        sqlite_where=sa.text("parent_id IS NOT NULL"),
    )
    op.create_index(
        "ix_rse_content_parent_comment",
        "rse_content",
        ["parent_comment_id"],
        postgresql_where=sa.text("parent_comment_id IS NOT NULL"),
        sqlite_where=sa.text("parent_comment_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_rse_content_parent_comment", table_name="rse_content")
    op.drop_index("ix_rse_content_parent", table_name="rse_content")
    # Never a batch "recreate" (see core_0017): on SQLite it would cascade to every activity.
    op.execute("ALTER TABLE rse_content DROP COLUMN parent_comment_id")
    op.execute("ALTER TABLE rse_content DROP COLUMN parent_id")
