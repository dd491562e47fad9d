"""Site metadata, plugin enablement state and its change log.

Revision ID: core_0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("rse_core",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rse_meta",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rse_meta")),
    )
    op.create_table(
        "rse_plugin_state",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_rse_plugin_state")),
    )
    op.create_table(
        "rse_plugin_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_plugin_log")),
    )
    op.create_index(op.f("ix_rse_plugin_log_name"), "rse_plugin_log", ["name"])
    op.create_index(op.f("ix_rse_plugin_log_at"), "rse_plugin_log", ["at"])


def downgrade() -> None:
    op.drop_table("rse_plugin_log")
    op.drop_table("rse_plugin_state")
    op.drop_table("rse_meta")
