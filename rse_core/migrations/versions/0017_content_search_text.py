"""Text a plugin adds to its item's search entry: ``rse_content.search_text``.

A question's answers are the Q&A plugin's rows, not content items; their words must still
find the question (only for who may see it: they share its document, so its audience). The
plugin writes them here with ``set_search_text``, and the document is title, summary, this
and the comments. Existing items get an empty text.

Revision ID: core_0017
Revises: core_0016
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0017"
down_revision: str | None = "core_0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "rse_content", sa.Column("search_text", sa.Text(), nullable=False, server_default="")
    )


def downgrade() -> None:
    # Never a batch "recreate" here: on SQLite it drops rse_content, and with foreign keys on
    # that cascades to every activity, comment and reaction. Both databases drop a column.
    op.execute("ALTER TABLE rse_content DROP COLUMN search_text")
