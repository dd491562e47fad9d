"""The plugin log records the audience before each change.

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0007"
down_revision: str | None = "core_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing entries get "[]" (unknown before): the log then reads "disabled -> ..." for
    # them, which is what most first entries were.
    with op.batch_alter_table("rse_plugin_log") as batch_op:
        batch_op.add_column(sa.Column("previous", sa.Text(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("rse_plugin_log") as batch_op:
        batch_op.drop_column("previous")
