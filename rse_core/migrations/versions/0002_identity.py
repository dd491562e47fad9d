"""Identity: users and profiles, spaces, memberships, sessions, tokens, throttling.

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-23 18:48:28.066892
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "core_0002"
down_revision: str | None = "core_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "rse_login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_login_failure")),
    )
    with op.batch_alter_table("rse_login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_rse_login_failure_ip_at", ["ip", "at"], unique=False)
        batch_op.create_index("ix_rse_login_failure_username_at", ["username", "at"], unique=False)

    op.create_table(
        "rse_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("job_title", sa.String(length=120), nullable=False),
        sa.Column("department", sa.String(length=120), nullable=False),
        sa.Column("location", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_user")),
        sa.UniqueConstraint("email", name=op.f("uq_rse_user_email")),
        sa.UniqueConstraint("username", name=op.f("uq_rse_user_username")),
    )
    with op.batch_alter_table("rse_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rse_user_department"), ["department"], unique=False)

    op.create_table(
        "rse_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_api_token_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_rse_api_token_token_hash")),
    )
    with op.batch_alter_table("rse_api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rse_api_token_user_id"), ["user_id"], unique=False)

    op.create_table(
        "rse_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_session_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_session")),
    )
    with op.batch_alter_table("rse_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rse_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_rse_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "rse_space",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("visibility", sa.String(length=10), nullable=False),
        sa.Column("join_policy", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["rse_user.id"],
            name=op.f("fk_rse_space_created_by_rse_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_space")),
        sa.UniqueConstraint("slug", name=op.f("uq_rse_space_slug")),
    )
    with op.batch_alter_table("rse_space", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rse_space_visibility"), ["visibility"], unique=False)

    op.create_table(
        "rse_user_skill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_user_skill_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_user_skill")),
        sa.UniqueConstraint("user_id", "key", name=op.f("uq_rse_user_skill_user_id")),
    )
    with op.batch_alter_table("rse_user_skill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rse_user_skill_key"), ["key"], unique=False)

    op.create_table(
        "rse_membership",
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["rse_space.id"],
            name=op.f("fk_rse_membership_space_id_rse_space"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_membership_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("space_id", "user_id", name=op.f("pk_rse_membership")),
    )
    with op.batch_alter_table("rse_membership", schema=None) as batch_op:
        batch_op.create_index("ix_rse_membership_user", ["user_id", "space_id"], unique=False)

    op.create_table(
        "rse_permission_override",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=True),
        sa.Column("permission", sa.String(length=100), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["rse_space.id"],
            name=op.f("fk_rse_permission_override_space_id_rse_space"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_permission_override")),
        sa.UniqueConstraint(
            "space_id", "permission", name=op.f("uq_rse_permission_override_space_id")
        ),
    )
    op.create_table(
        "rse_space_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("space_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["rse_user.id"],
            name=op.f("fk_rse_space_request_created_by_rse_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["space_id"],
            ["rse_space.id"],
            name=op.f("fk_rse_space_request_space_id_rse_space"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["rse_user.id"],
            name=op.f("fk_rse_space_request_user_id_rse_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rse_space_request")),
        sa.UniqueConstraint("space_id", "user_id", name=op.f("uq_rse_space_request_space_id")),
    )
    with op.batch_alter_table("rse_space_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rse_space_request_user_id"), ["user_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("rse_space_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rse_space_request_user_id"))

    op.drop_table("rse_space_request")
    op.drop_table("rse_permission_override")
    with op.batch_alter_table("rse_membership", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_membership_user")

    op.drop_table("rse_membership")
    with op.batch_alter_table("rse_user_skill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rse_user_skill_key"))

    op.drop_table("rse_user_skill")
    with op.batch_alter_table("rse_space", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rse_space_visibility"))

    op.drop_table("rse_space")
    with op.batch_alter_table("rse_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rse_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_rse_session_expires_at"))

    op.drop_table("rse_session")
    with op.batch_alter_table("rse_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rse_api_token_user_id"))

    op.drop_table("rse_api_token")
    with op.batch_alter_table("rse_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rse_user_department"))

    op.drop_table("rse_user")
    with op.batch_alter_table("rse_login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_rse_login_failure_username_at")
        batch_op.drop_index("ix_rse_login_failure_ip_at")

    op.drop_table("rse_login_failure")
