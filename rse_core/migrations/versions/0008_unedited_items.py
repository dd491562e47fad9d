"""Items never edited get ``updated_at = created_at``: both defaulted to separate clock reads,
microseconds apart, so every item looked edited.

Revision ID: core_0008
Revises: core_0007
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "core_0008"
down_revision: str | None = "core_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE rse_content SET updated_at = created_at WHERE id NOT IN"
        " (SELECT content_id FROM rse_activity WHERE verb = 'update')"
    )


def downgrade() -> None:
    pass  # nothing to undo: the times of unedited items are equal either way
