"""Who people and spaces are in other systems (OpenID Connect subjects, SCIM's names and
externalIds), and accounts removed by the identity provider.

Revision ID: core_0025
Revises: core_0024
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0025"
down_revision: str | None = "core_0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rse_external_identity",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name="fk_rse_external_identity_user_id_rse_user",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["rse_space.id"],
            name="fk_rse_external_identity_space_id_rse_space",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("source", "subject", name="uq_rse_external_identity_source"),
    )
    op.create_index("ix_rse_external_identity_user_id", "rse_external_identity", ["user_id"])
    op.create_index("ix_rse_external_identity_space_id", "rse_external_identity", ["space_id"])
    op.create_index(
        "ix_rse_external_identity_folded",
        "rse_external_identity",
        ["source", sa.text("lower(subject)")],
    )
    # Plain ALTER TABLE, never a batch copy: on SQLite dropping the old rse_user would
    # cascade to every table that refers to it.
    op.add_column("rse_user", sa.Column("deprovisioned_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE rse_user DROP COLUMN deprovisioned_at")
    op.drop_table("rse_external_identity")
