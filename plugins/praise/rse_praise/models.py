"""The plugin's tables. A praise is a core content item (streams, search, comments, likes and
notifications follow from it); its badge and the praised people are the plugin's rows, read
only through their praise, so they are visible exactly when it is."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rse_core import Base, UTCDateTime, utcnow


class Badge(Base):
    """A kind of recognition admins offer ("Helpful", "Team player"); retired ones stay on
    the praise that used them but are no longer offered."""

    __tablename__ = "praise_badge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    symbol: Mapped[str] = mapped_column(String(8), default="★")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Praise(Base):
    """One praise: who wrote it, the badge, the message; company-wide or in a space."""

    __tablename__ = "praise_praise"
    __table_args__ = (Index("ix_praise_praise_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), unique=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="SET NULL"), nullable=True
    )
    badge_id: Mapped[int] = mapped_column(ForeignKey("praise_badge.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Recipient(Base):
    """A person a praise recognises."""

    __tablename__ = "praise_recipient"
    __table_args__ = (Index("ix_praise_recipient_user", "user_id", "praise_id"),)

    praise_id: Mapped[int] = mapped_column(
        ForeignKey("praise_praise.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )


class Setting(Base):
    """A setting admins change on the badges page (``monthly_widget``: "on" or "off")."""

    __tablename__ = "praise_setting"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
