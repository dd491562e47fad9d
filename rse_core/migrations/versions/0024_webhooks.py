"""Outbound webhooks and their delivery log.

Revision ID: core_0024
Revises: core_0023
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0024"
down_revision: str | None = "core_0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rse_webhook",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.String(length=100), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"], ["rse_space.id"], name="fk_rse_webhook_space_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["rse_user.id"], name="fk_rse_webhook_created_by", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_rse_webhook_space", "rse_webhook", ["space_id"])
    op.create_table(
        "rse_webhook_delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("manual", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["rse_webhook.id"],
            name="fk_rse_webhook_delivery_webhook_id",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_rse_webhook_delivery_hook", "rse_webhook_delivery", ["webhook_id", "id"])


def downgrade() -> None:
    op.drop_table("rse_webhook_delivery")
    op.drop_table("rse_webhook")
