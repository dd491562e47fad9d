"""A notification's note: what happened, in a plugin's words ("This occurrence is cancelled.").

Revision ID: core_0014
Revises: core_0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0014"
down_revision: str | None = "core_0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rse_notification") as batch:
        batch.add_column(sa.Column("note", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rse_notification") as batch:
        batch.drop_column("note")
