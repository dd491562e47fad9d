"""Link greetings to the core's content registry.

Revision ID: example_0002
Revises: example_0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "example_0002"
down_revision = "example_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("example_greeting") as batch:
        batch.add_column(sa.Column("content_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("example_greeting") as batch:
        batch.drop_column("content_id")
