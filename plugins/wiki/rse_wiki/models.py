"""The wiki's tables. A wiki is the company's (``wiki_id`` 0) or a space's (``wiki_id`` its
space id). Every page is a core content item (its audience is the wiki's), so streams, search,
comments and likes reach it; the page row keeps its current text for fast views and every save
is a ``WikiRevision``."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow

COMPANY = 0  # the wiki_id of the company-wide wiki


class WikiPage(Base):
    """A page: its address (``slug``) in its wiki, its place in the tree, its current text."""

    __tablename__ = "wiki_page"
    __table_args__ = (
        UniqueConstraint("wiki_id", "slug", name="uq_wiki_page_wiki_id"),
        Index("ix_wiki_page_parent", "parent_id"),
        # A page's pages by title. wiki_id leads: SQLite's statistics average the wikis, and
        # the company's holds a third of all pages (without it: 70 ms at 100,000 pages).
        Index("ix_wiki_page_tree", "wiki_id", "parent_id", "title"),
        # "N pages" from the index alone: counting through the table read every page's row
        # (4 ms for the company wiki's 3,500 pages at 1,000,000 activities; 0.2 ms this way).
        Index("ix_wiki_page_live", "wiki_id", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wiki_id: Mapped[int] = mapped_column(Integer)
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True
    )
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("wiki_page.id", ondelete="SET NULL"), nullable=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WikiRevision(Base):
    """One save of a page: who, when, why, and the whole text then."""

    __tablename__ = "wiki_revision"
    __table_args__ = (
        UniqueConstraint("page_id", "number", name="uq_wiki_revision_page_id"),
        Index("ix_wiki_revision_wiki", "wiki_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("wiki_page.id", ondelete="CASCADE"))
    wiki_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    merged: Mapped[bool] = mapped_column(Boolean, default=False)
    reverted_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WikiRedirect(Base):
    """An old address of a renamed page: it keeps working."""

    __tablename__ = "wiki_redirect"
    __table_args__ = (UniqueConstraint("wiki_id", "slug", name="uq_wiki_redirect_wiki_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wiki_id: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(120))
    page_id: Mapped[int] = mapped_column(ForeignKey("wiki_page.id", ondelete="CASCADE"))


class WikiLink(Base):
    """A ``[[link]]`` from a page to an address of the same wiki (existing or not yet)."""

    __tablename__ = "wiki_link"
    __table_args__ = (Index("ix_wiki_link_target", "wiki_id", "target_slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("wiki_page.id", ondelete="CASCADE"), index=True)
    wiki_id: Mapped[int] = mapped_column(Integer)
    target_slug: Mapped[str] = mapped_column(String(120))


class WikiWatch(Base):
    """Someone notified of every change to a page."""

    __tablename__ = "wiki_watch"

    page_id: Mapped[int] = mapped_column(
        ForeignKey("wiki_page.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
