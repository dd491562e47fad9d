"""The community's shared rules and its front page: the company guidelines and the pinned
announcements.

**Guidelines** are one Markdown text, kept in ``rse_meta`` with who changed it last, edited
by community managers (and admins) and linked from every composer.

An **announcement** is an existing item pinned on everyone's home (only items shared with the
whole company) or on a space's home (items of that space or of the whole company) until a
date. It is still an item: each reader sees it only while they may read it, and it goes when
its item is deleted or hidden.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, Integer, Select, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .content import Content, visible
from .db import Base, UTCDateTime, utcnow
from .enablement import EVERYONE
from .identity.models import Space, User
from .meta import get_meta, set_meta
from .permissions import ScopeParameter
from .validation import Conflict, ValidationError

GUIDELINES_KEY = "community.guidelines"
MAX_GUIDELINES = 20_000
MAX_PINNED = 5  # per place: a front page of pins is no longer a front page
MAX_DAYS = 366


@dataclass(frozen=True)
class Guidelines:
    """The company guidelines as last saved (``body`` is Markdown, "" when never written)."""

    body: str = ""
    updated_by: str = ""
    updated_at: str = ""


def guidelines(session: Session) -> Guidelines:
    """The current guidelines."""
    raw = get_meta(session, GUIDELINES_KEY)
    if not raw:
        return Guidelines()
    data = json.loads(raw)
    return Guidelines(data.get("body", ""), data.get("by", ""), data.get("at", ""))


def save_guidelines(session: Session, editor: User, body: object) -> Guidelines:
    """Replace the guidelines' text (Markdown, at most 20,000 characters)."""
    text = body.strip().replace("\r\n", "\n") if isinstance(body, str) else ""
    if len(text) > MAX_GUIDELINES:
        raise ValidationError(
            {"body": f"The guidelines must be at most {MAX_GUIDELINES} characters."}
        )
    saved = Guidelines(text, editor.display_name, utcnow().isoformat(timespec="seconds"))
    set_meta(
        session,
        GUIDELINES_KEY,
        json.dumps({"body": saved.body, "by": saved.updated_by, "at": saved.updated_at}),
    )
    return saved


class Announcement(Base):
    """An item pinned on everyone's home (``space_id`` None) or a space's, until a time."""

    __tablename__ = "rse_announcement"
    __table_args__ = (Index("ix_rse_announcement_place", "space_id", "until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("rse_content.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    pinned_by: Mapped[int] = mapped_column(Integer)  # no key: the pin outlives its pinner
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def end_of(day: object, zone: ZoneInfo, now: datetime | None = None) -> datetime:
    """The moment a pin "until ``day``" ends: the midnight after that day in ``zone`` (the
    pinner's), in UTC. ``day`` is an ISO date, today at the earliest, a year at most."""
    try:
        chosen = date.fromisoformat(str(day).strip())
    except ValueError:
        raise ValidationError({"until": "Give the last day as YYYY-MM-DD."}) from None
    now = now or utcnow()
    today = now.astimezone(zone).date()
    # A well-formed day that today rules out is a conflict with the present (409 in the API).
    if chosen < today:
        raise Conflict({"until": "The last day cannot be in the past."})
    if chosen > today + timedelta(days=MAX_DAYS):
        raise Conflict({"until": "Pin for a year at most."})
    ends = datetime.combine(chosen + timedelta(days=1), time(), tzinfo=zone)
    return ends.astimezone(ZoneInfo("UTC"))


def pin(
    session: Session,
    actor: User,
    content: Content,
    space: Space | None,
    until: datetime,
) -> Announcement:
    """Pin ``content`` on everyone's home (``space`` None) or on ``space``'s home until
    ``until`` (see :func:`end_of`); pinning it again in the same place moves the date. The
    caller checks that ``actor`` may pin there."""
    # What the item is (company-wide or not, in which space) conflicts with the place: 409.
    if space is None and content.audience != EVERYONE:
        raise Conflict(
            {"place": "Only items shared with the whole company can be pinned on everyone's home."}
        )
    if space is not None and content.space_id != space.id and content.audience != EVERYONE:
        raise Conflict(
            {"place": "Only this space's items and the whole company's can be pinned here."}
        )
    space_id = space.id if space is not None else None
    existing = session.scalar(
        select(Announcement).where(Announcement.content_id == content.id, _place(space_id))
    )
    if existing is not None:
        existing.until, existing.pinned_by = until, actor.id
        return existing
    current = len(_current(session, space_id, utcnow()))
    if current >= MAX_PINNED:
        raise Conflict(
            {"place": f"At most {MAX_PINNED} items can be pinned here: unpin one first."}
        )
    announcement = Announcement(
        content_id=content.id, space_id=space_id, pinned_by=actor.id, until=until
    )
    session.add(announcement)
    session.flush()
    return announcement


def _place(space_id: int | None):  # type: ignore[no-untyped-def]
    if space_id is None:
        return Announcement.space_id.is_(None)
    return Announcement.space_id == space_id


def _current(session: Session, space_id: int | None, now: datetime) -> list[Announcement]:
    return list(
        session.scalars(select(Announcement).where(_place(space_id), Announcement.until > now))
    )


@dataclass(frozen=True)
class Pinned:
    """A current announcement with its item and the item's author."""

    announcement: Announcement
    content: Content
    author: User


def pinned(
    session: Session, principals: frozenset[str], space_id: int | None = None
) -> list[Pinned]:
    """The announcements pinned now on everyone's home (``space_id`` None) or a space's,
    newest first, only those whose item the reader may read."""
    scope = ScopeParameter.of(principals)
    values = {**scope.values(principals), "space_id": space_id, "now": utcnow()}
    rows = session.execute(_pinned_statement(scope, space_id is not None), values).all()
    return [Pinned(*row) for row in rows]


@lru_cache(maxsize=32)
def _pinned_statement(scope: ScopeParameter, in_space: bool) -> Select[Any]:
    """:func:`pinned`'s statement, built once per form (building it cost as much as running it)."""
    place = (
        Announcement.space_id == bindparam("space_id")
        if in_space
        else Announcement.space_id.is_(None)
    )
    return (
        select(Announcement, Content, User)
        .join(Content, Content.id == Announcement.content_id)
        .join(User, User.id == Content.author_id)
        .where(
            place,
            Announcement.until > bindparam("now"),
            Content.deleted_at.is_(None),
            visible(Content.audience, scope),
        )
        .order_by(Announcement.id.desc())
        .limit(MAX_PINNED)
    )


def pins_of(session: Session, content_id: int) -> list[Announcement]:
    """The current pins of one item (for its page's "Unpin")."""
    return list(
        session.scalars(
            select(Announcement)
            .where(Announcement.content_id == content_id, Announcement.until > utcnow())
            .order_by(Announcement.id)
        )
    )


def unpin(session: Session, announcement: Announcement) -> None:
    """Take an announcement down."""
    session.delete(announcement)
