"""Badges, praise, the praised and the plugin's settings; the first badges.

Revision ID: praise_0001
Revises:
Create Date: 2026-12-05
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "praise_0001"
down_revision = None
branch_labels = ("praise",)
depends_on = None

#: Offered from the start; admins rename, retire or add to them.
FIRST_BADGES = (
    ("Helpful", "Took the time to help", "🤝"),
    ("Team player", "Made the team stronger", "🙌"),
    ("Problem solver", "Found the way out", "💡"),
    ("Thank you", "For everything else", "🙏"),
)


def _fk(column: str, target: str, table: str, ondelete: str | None = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete, name=f"fk_{table}_{column}")


def upgrade() -> None:
    badges = op.create_table(
        "praise_badge",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("symbol", sa.String(length=8), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_praise_badge_name"),
    )
    table = "praise_praise"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "content_id", sa.Integer(), _fk("content_id", "rse_content.id", table), nullable=False
        ),
        sa.Column(
            "author_id", sa.Integer(), _fk("author_id", "rse_user.id", table), nullable=False
        ),
        sa.Column(
            "space_id",
            sa.Integer(),
            _fk("space_id", "rse_space.id", table, "SET NULL"),
            nullable=True,
        ),
        sa.Column(
            "badge_id",
            sa.Integer(),
            _fk("badge_id", "praise_badge.id", table, None),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("content_id", name="uq_praise_praise_content_id"),
    )
    op.create_index("ix_praise_praise_created", table, ["created_at"])
    table = "praise_recipient"
    op.create_table(
        table,
        sa.Column(
            "praise_id", sa.Integer(), _fk("praise_id", "praise_praise.id", table), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), _fk("user_id", "rse_user.id", table), nullable=False),
        sa.PrimaryKeyConstraint("praise_id", "user_id", name="pk_praise_recipient"),
    )
    op.create_index("ix_praise_recipient_user", table, ["user_id", "praise_id"])
    op.create_table(
        "praise_setting",
        sa.Column("key", sa.String(length=40), primary_key=True),
        sa.Column("value", sa.String(length=200), nullable=False),
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(
        badges,
        [
            {"name": n, "description": d, "symbol": s, "retired_at": None, "created_at": now}
            for n, d, s in FIRST_BADGES
        ],
    )


def downgrade() -> None:
    op.drop_table("praise_setting")
    op.drop_index("ix_praise_recipient_user", table_name="praise_recipient")
    op.drop_table("praise_recipient")
    op.drop_index("ix_praise_praise_created", table_name="praise_praise")
    op.drop_table("praise_praise")
    op.drop_table("praise_badge")
