"""Blobs, folders, files, versions and space quotas.

Revision ID: files_0001
Revises:
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "files_0001"
down_revision = None
branch_labels = ("files",)
depends_on = None


def _fk(column: str, target: str, table: str, ondelete: str | None = "CASCADE") -> sa.ForeignKey:
    return sa.ForeignKey(target, ondelete=ondelete, name=f"fk_{table}_{column}")


def upgrade() -> None:
    op.create_table(
        "files_blob",
        sa.Column("sha256", sa.String(length=64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sniffed", sa.String(length=100), nullable=False),
        sa.Column("preview", sa.String(length=10), nullable=False),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    table = "files_folder"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("space_id", sa.Integer(), _fk("space_id", "rse_space.id", table)),
        sa.Column("owner_id", sa.Integer(), _fk("owner_id", "rse_user.id", table)),
        sa.Column("parent_id", sa.Integer(), _fk("parent_id", "files_folder.id", table)),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "created_by", sa.Integer(), _fk("created_by", "rse_user.id", table), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        sa.Column("trashed_with", sa.Integer(), nullable=True),
    )
    op.create_index("ix_files_folder_space", table, ["space_id", "parent_id"])
    op.create_index("ix_files_folder_owner", table, ["owner_id", "parent_id"])
    table = "files_file"
    op.create_table(
        table,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "content_id", sa.Integer(), _fk("content_id", "rse_content.id", table), nullable=False
        ),
        sa.Column("space_id", sa.Integer(), _fk("space_id", "rse_space.id", table)),
        sa.Column("owner_id", sa.Integer(), _fk("owner_id", "rse_user.id", table)),
        sa.Column("folder_id", sa.Integer(), _fk("folder_id", "files_folder.id", table)),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "sha256",
            sa.String(length=64),
            _fk("sha256", "files_blob.sha256", table, None),
            nullable=False,
        ),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_by", sa.Integer(), _fk("created_by", "rse_user.id", table), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "updated_by", sa.Integer(), _fk("updated_by", "rse_user.id", table), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("deleted_by", sa.Integer(), nullable=True),
        sa.Column("trashed_with", sa.Integer(), nullable=True),
        sa.Column("attached_to", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("content_id", name="uq_files_file_content_id"),
    )
    op.create_index("ix_files_file_attached", table, ["attached_to"])
    op.create_index("ix_files_file_space", table, ["space_id", "folder_id", "name"])
    op.create_index("ix_files_file_owner", table, ["owner_id", "folder_id", "name"])
    op.create_index("ix_files_file_deleted", table, ["deleted_at"])
    table = "files_version"
    op.create_table(
        table,
        sa.Column("file_id", sa.Integer(), _fk("file_id", "files_file.id", table), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "sha256",
            sa.String(length=64),
            _fk("sha256", "files_blob.sha256", table, None),
            nullable=False,
        ),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "author_id", sa.Integer(), _fk("author_id", "rse_user.id", table), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("file_id", "number", name="pk_files_version"),
    )
    op.create_index("ix_files_version_sha", table, ["sha256"])
    table = "files_quota"
    op.create_table(
        table,
        sa.Column(
            "space_id", sa.Integer(), _fk("space_id", "rse_space.id", table), primary_key=True
        ),
        sa.Column("max_bytes", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("files_quota")
    op.drop_index("ix_files_version_sha", table_name="files_version")
    op.drop_table("files_version")
    for name in (
        "ix_files_file_attached",
        "ix_files_file_deleted",
        "ix_files_file_owner",
        "ix_files_file_space",
    ):
        op.drop_index(name, table_name="files_file")
    op.drop_table("files_file")
    op.drop_index("ix_files_folder_owner", table_name="files_folder")
    op.drop_index("ix_files_folder_space", table_name="files_folder")
    op.drop_table("files_folder")
    op.drop_table("files_blob")
