"""PostgreSQL full-text search: the documents table (tsvector + GIN) and the word list for
spelling suggestions. Created on PostgreSQL only; SQLite installations search with whoosh.

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "core_0005"
down_revision: str | None = "core_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "rse_search_document",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("audience", sa.String(100), nullable=False),
        sa.Column("space", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tsv", postgresql.TSVECTOR(), nullable=False),
    )
    op.create_index(
        "ix_rse_search_document_tsv", "rse_search_document", ["tsv"], postgresql_using="gin"
    )
    op.create_index("ix_rse_search_document_audience", "rse_search_document", ["audience"])
    op.create_table("rse_search_word", sa.Column("word", sa.String(100), primary_key=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("rse_search_word")
    op.drop_table("rse_search_document")
