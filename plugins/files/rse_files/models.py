"""The plugin's tables.

A file is a core content item (search, streams, comments and likes follow from it, filtered by
its audience: its space's, or its owner's alone for a personal library). Its versions point to
blobs, stored once per content (sha256) whatever the number of files that hold them. Folders
are not items: they are read only through their library, whose audience they share.
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow


class Blob(Base):
    """Stored bytes, named by their sha256; what previews learnt of them."""

    __tablename__ = "files_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    #: What the first bytes say the content is ("application/pdf"), or "" when unknown.
    sniffed: Mapped[str] = mapped_column(String(100), default="")
    #: "pending" until the preview job ran, then "ready", "none" (nothing to show) or "failed".
    preview: Mapped[str] = mapped_column(String(10), default="pending")
    has_thumbnail: Mapped[bool] = mapped_column(default=False)
    #: The words inside (PDF, DOCX, ODT, XLSX, text), for search; "" when none.
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Folder(Base):
    """A folder of a library (a space's, or a person's own)."""

    __tablename__ = "files_folder"
    __table_args__ = (
        Index("ix_files_folder_space", "space_id", "parent_id"),
        Index("ix_files_folder_owner", "owner_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), nullable=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("files_folder.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: In the trash since then (with what it held), restorable for 30 days.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The folder whose trashing took this one along ("restore" brings them back together).
    trashed_with: Mapped[int | None] = mapped_column(Integer, nullable=True)


class File(Base):
    """A file of a library: its name, folder and current version."""

    __tablename__ = "files_file"
    __table_args__ = (
        Index("ix_files_file_space", "space_id", "folder_id", "name"),
        Index("ix_files_file_owner", "owner_id", "folder_id", "name"),
        Index("ix_files_file_deleted", "deleted_at"),
        Index("ix_files_file_attached", "attached_to"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), nullable=True
    )
    folder_id: Mapped[int | None] = mapped_column(
        ForeignKey("files_folder.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    #: The current version's: what pages show without reading the versions.
    version: Mapped[int] = mapped_column(Integer, default=1)
    sha256: Mapped[str] = mapped_column(ForeignKey("files_blob.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trashed_with: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The item (a post, a question...) this file is attached to: it is then that item's
    #: child (same audience, hidden with it) and no library lists it.
    attached_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: With ``attached_to``, the comment of that item it is attached to.
    comment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Version(Base):
    """One version of a file: who uploaded what, when; a restore is a new version."""

    __tablename__ = "files_version"
    __table_args__ = (Index("ix_files_version_sha", "sha256"),)

    file_id: Mapped[int] = mapped_column(
        ForeignKey("files_file.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("files_blob.sha256"))
    size: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(200))  # the file's name when uploaded
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The version this one brought back, for a restore.
    restored_from: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Quota(Base):
    """A space's storage quota in bytes, where admins set one (else the site's default)."""

    __tablename__ = "files_quota"

    space_id: Mapped[int] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), primary_key=True
    )
    max_bytes: Mapped[int] = mapped_column(BigInteger)
