"""An index of the deleted items alone: the streams' "is its item deleted?" probe.

PostgreSQL planned that probe (a correlated NOT EXISTS on ``rse_content.deleted_at``) as an
anti-join over a sequential scan of every item: 18 ms of a home page at 100,000 items, growing
with them (bench/scale_bench.py --postgres). A partial index on the few deleted items makes it
a probe of a tiny index on both databases.

Revision ID: core_0015
Revises: core_0014
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0015"
down_revision: str | None = "core_0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELETED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_rse_content_deleted",
        "rse_content",
        ["id"],
        postgresql_where=DELETED,
        sqlite_where=DELETED,
    )


def downgrade() -> None:
    op.drop_index("ix_rse_content_deleted", table_name="rse_content")
