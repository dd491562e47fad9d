"""Expertise: evidence per item, summed per topic, person and audience, and per topic and
person (the ranking's upper bound); hidden topics.

See ``rse_core/expertise.py``. An installation that already holds tagged items or declared
skills gets a ``core.expertise_rebuild`` job: the next worker computes everyone's expertise
from the database (with every plugin's evidence, which a migration cannot reach).

Revision ID: core_0018
Revises: core_0017
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "core_0018"
down_revision: str | None = "core_0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rse_item_evidence",
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_item_evidence_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "content_id", "tag", "user_id", "kind", name=op.f("pk_rse_item_evidence")
        ),
    )
    op.create_table(
        "rse_expertise",
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_expertise_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tag", "user_id", "audience", "plugin", "kind", name=op.f("pk_rse_expertise")
        ),
    )
    op.create_index("ix_rse_expertise_user", "rse_expertise", ["user_id", "tag"])
    op.create_table(
        "rse_expertise_total",
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_expertise_total_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag", "user_id", name=op.f("pk_rse_expertise_total")),
    )
    op.create_index(
        "ix_rse_expertise_total_score", "rse_expertise_total", ["tag", "score", "user_id"]
    )
    op.create_table(
        "rse_hidden_topic",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_hidden_topic_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "tag", name=op.f("pk_rse_hidden_topic")),
    )
    bind = op.get_bind()
    existing = bind.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM rse_content_tag) OR EXISTS (SELECT 1 FROM rse_user_skill)"
        )
    ).scalar()
    if existing:
        now = datetime.now(UTC).replace(tzinfo=None)
        bind.execute(
            sa.text(
                "INSERT INTO rse_job (name, payload, key, status, run_at, attempts,"
                " max_attempts, last_error, locked_by, created_at, updated_at)"
                " VALUES ('core.expertise_rebuild', '{}', 'core.expertise_rebuild', 'queued',"
                " :now, 0, 0, '', '', :now, :now)"
            ),
            {"now": now},
        )


def downgrade() -> None:
    op.execute("DELETE FROM rse_job WHERE name = 'core.expertise_rebuild'")
    op.drop_table("rse_hidden_topic")
    op.drop_index("ix_rse_expertise_total_score", table_name="rse_expertise_total")
    op.drop_table("rse_expertise_total")
    op.drop_index("ix_rse_expertise_user", table_name="rse_expertise")
    op.drop_table("rse_expertise")
    op.drop_table("rse_item_evidence")
