"""Greetings are delivered by a background job: when it ran.

Revision ID: example_0003
Revises: example_0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0003"
down_revision = "example_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("example_greeting") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("example_greeting") as batch:
        batch.drop_column("delivered_at")
