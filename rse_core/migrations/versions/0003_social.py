"""Content, activities, comments, reactions, follows, notifications, feed tokens, outbox.

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-11-23 19:12:27.011318
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0003"
down_revision: str | None = "core_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "rse_search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_search_outbox")),
    )
    with op.batch_alter_table("rse_search_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rse_search_outbox_content_id"), ["content_id"], unique=False
        )

    op.create_table(
        "rse_feed_token",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_feed_token_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_rse_feed_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_rse_feed_token_token_hash")),
    )
    op.create_table(
        "rse_follow",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_follow_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "target", name=op.f("pk_rse_follow")),
    )
    with op.batch_alter_table("rse_follow", schema=None) as batch_op:
        batch_op.create_index("ix_rse_follow_target", ["target"], unique=False)

    op.create_table(
        "rse_notification_pref",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_notification_pref_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_rse_notification_pref")),
    )
    op.create_table(
        "rse_content",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_content_author_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["rse_space.id"],
            name=op.f("fk_rse_content_space_id_rse_space"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_content")),
    )
    with op.batch_alter_table("rse_content", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rse_content_audience"), ["audience"], unique=False)
        batch_op.create_index("ix_rse_content_author", ["author_id", "id"], unique=False)
        batch_op.create_index("ix_rse_content_space", ["space_id", "id"], unique=False)

    op.create_table(
        "rse_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("verb", sa.String(length=20), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("plugin", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_activity_actor_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_activity_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_activity")),
    )
    with op.batch_alter_table("rse_activity", schema=None) as batch_op:
        batch_op.create_index("ix_rse_activity_actor", ["actor_id", "id"], unique=False)
        batch_op.create_index("ix_rse_activity_content", ["content_id", "id"], unique=False)
        batch_op.create_index("ix_rse_activity_space", ["space_id", "id"], unique=False)

    op.create_table(
        "rse_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_comment_author_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_comment_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_comment")),
    )
    with op.batch_alter_table("rse_comment", schema=None) as batch_op:
        batch_op.create_index("ix_rse_comment_content", ["content_id", "id"], unique=False)

    op.create_table(
        "rse_content_tag",
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_content_tag_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("content_id", "tag", name=op.f("pk_rse_content_tag")),
    )
    with op.batch_alter_table("rse_content_tag", schema=None) as batch_op:
        batch_op.create_index("ix_rse_content_tag_tag", ["tag", "content_id"], unique=False)

    op.create_table(
        "rse_notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("content_id", sa.Integer(), nullable=True),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_notification_actor_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_notification_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["rse_space.id"],
            name=op.f("fk_rse_notification_space_id_rse_space"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_notification_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_notification")),
    )
    with op.batch_alter_table("rse_notification", schema=None) as batch_op:
        batch_op.create_index("ix_rse_notification_user", ["user_id", "id"], unique=False)

    op.create_table(
        "rse_reaction",
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_id"],
            ["rse_content.id"],
            name=op.f("fk_rse_reaction_content_id_rse_content"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_reaction_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("content_id", "user_id", "kind", name=op.f("pk_rse_reaction")),
    )


def downgrade() -> None:

    op.drop_table("rse_reaction")
    with op.batch_alter_table("rse_notification", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_notification_user")

    op.drop_table("rse_notification")
    with op.batch_alter_table("rse_content_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_content_tag_tag")

    op.drop_table("rse_content_tag")
    with op.batch_alter_table("rse_comment", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_comment_content")

    op.drop_table("rse_comment")
    with op.batch_alter_table("rse_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_activity_space")
        batch_op.drop_index("ix_rse_activity_content")
        batch_op.drop_index("ix_rse_activity_actor")

    op.drop_table("rse_activity")
    with op.batch_alter_table("rse_content", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_content_space")
        batch_op.drop_index("ix_rse_content_author")
        batch_op.drop_index(batch_op.f("ix_rse_content_audience"))

    op.drop_table("rse_content")
    op.drop_table("rse_notification_pref")
    with op.batch_alter_table("rse_follow", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_follow_target")

    op.drop_table("rse_follow")
    op.drop_table("rse_feed_token")
    with op.batch_alter_table("rse_search_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rse_search_outbox_content_id"))

    op.drop_table("rse_search_outbox")
