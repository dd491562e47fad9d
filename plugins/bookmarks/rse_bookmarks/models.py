"""The bookmarks plugin's table (visibility, author, tags live in the core's content row)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow


class Bookmark(Base):
    """A saved link: an external URL, or an intranet item saved for later."""

    __tablename__ = "bookmarks_bookmark"
    __table_args__ = (Index("ix_bookmarks_bookmark_url", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: the intranet item saved for later, if this bookmark points inside rse
    saved_content_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
