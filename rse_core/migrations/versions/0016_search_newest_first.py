"""PostgreSQL search reads the newest matches first: an index on ``created``, and no index on
``audience``.

A common word matches a third of the documents; counting and ranking all of them cost 690 ms
at 1,000,000 documents (bench/search_bench.py). The search now reads at most the newest 2,000
visible matches (``postgres_backend.SAMPLE``), walking this index. The audience index is
dropped: the planner combined it with the text index for medium queries (a bitmap of 535,000
rows, 38 ms of a 55 ms query) where filtering the rows found costs almost nothing.

Revision ID: core_0016
Revises: core_0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "core_0016"
down_revision: str | None = "core_0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_rse_search_document_created", "rse_search_document", ["created"])
    op.drop_index("ix_rse_search_document_audience", table_name="rse_search_document")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index("ix_rse_search_document_audience", "rse_search_document", ["audience"])
    op.drop_index("ix_rse_search_document_created", table_name="rse_search_document")
