"""The blog's table. A post joins the core's content registry only when it goes live: until
then (draft, scheduled) ``content_id`` is NULL and no stream, search, feed or notification
can know it exists; only the blog's own author-checked pages and API read it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow

DRAFT, SCHEDULED, PUBLISHED = "draft", "scheduled", "published"
STATUSES = (DRAFT, SCHEDULED, PUBLISHED)


class BlogPost(Base):
    """A blog post: in its author's blog, or in a space's blog when ``space_id`` is set."""

    __tablename__ = "blog_post"
    __table_args__ = (
        # Drafts of an author; an author's and a space's blog in publication order.
        Index("ix_blog_post_author_status", "author_id", "status", "id"),
        Index("ix_blog_post_author", "author_id", "space_id", "content_id"),
        Index("ix_blog_post_space", "space_id", "content_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True, nullable=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(500), default="")  # space-separated, lower-case
    cover_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=DRAFT)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
