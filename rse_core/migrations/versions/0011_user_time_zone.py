"""People choose the time zone times are shown in ("" follows the site's).

Revision ID: core_0011
Revises: core_0010
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0011"
down_revision: str | None = "core_0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Not in batch mode: on SQLite a batch copies the table and drops the old one, and dropping
# rse_user with foreign keys on would cascade to every row that references a user. Both
# databases add and drop a column in place.


def upgrade() -> None:
    op.add_column(
        "rse_user", sa.Column("time_zone", sa.String(length=60), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("rse_user", "time_zone")
