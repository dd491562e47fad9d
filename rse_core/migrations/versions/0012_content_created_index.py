"""An index on when items were created: "this week" widgets (trending tags, most bookmarked)
read the week's items instead of every item a reader may see.

Revision ID: core_0012
Revises: core_0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "core_0012"
down_revision: str | None = "core_0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_rse_content_created", "rse_content", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_rse_content_created", table_name="rse_content")
