"""An index that counts a wiki's live pages without reading them.

Revision ID: wiki_0002
Revises: wiki_0001
Create Date: 2026-12-05
"""

from alembic import op

revision = "wiki_0002"
down_revision = "wiki_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_wiki_page_live", "wiki_page", ["wiki_id", "deleted_at"])


def downgrade() -> None:
    op.drop_index("ix_wiki_page_live", table_name="wiki_page")
