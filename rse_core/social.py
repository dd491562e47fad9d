"""Comments, reactions and follows, shared by every plugin's content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    case,
    delete,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from .changes import mark_item
from .content import Activity, Content, SearchOutbox
from .content import delete as delete_content
from .db import Base, UTCDateTime, once_per_read, utcnow
from .identity.models import User
from .validation import ValidationError, clean_text

REACTION_KINDS = ("like",)
MAX_COMMENT = 10_000


class Comment(Base):
    """A Markdown comment on a content item."""

    __tablename__ = "rse_comment"
    __table_args__ = (Index("ix_rse_comment_content", "content_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int] = mapped_column(ForeignKey("rse_content.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Reaction(Base):
    """One person's reaction of one kind to one item."""

    __tablename__ = "rse_reaction"
    __table_args__ = (Index("ix_rse_reaction_created", "created_at"),)  # adoption rollups

    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Follow(Base):
    """Someone follows a person (``user:<id>``), a space (``space:<id>``) or a tag
    (``tag:<name>``)."""

    __tablename__ = "rse_follow"
    __table_args__ = (Index("ix_rse_follow_target", "target"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(80), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def clean_body(body: object) -> str:
    """A comment body: text, 1 to 10,000 characters."""
    return clean_text(body, "body", max_length=MAX_COMMENT, required=True)


def add_comment(session: Session, content: Content, author: User, body: object) -> Comment:
    """Comment on an item the author can see (the caller checked); emits a "comment" activity."""
    comment = Comment(content_id=content.id, author_id=author.id, body=clean_body(body))
    session.add(comment)
    session.add(
        Activity(
            actor_id=author.id,
            verb="comment",
            content_id=content.id,
            space_id=content.space_id,
            audience=content.audience,
            plugin=content.plugin,
        )
    )
    session.add(SearchOutbox(content_id=content.id, op="index"))
    session.flush()
    return comment


def edit_comment(session: Session, comment: Comment, body: object) -> None:
    """Change a comment's text."""
    comment.body = clean_body(body)
    comment.updated_at = utcnow()
    session.add(SearchOutbox(content_id=comment.content_id, op="index"))


def delete_comment(session: Session, comment: Comment) -> None:
    """Hide a comment, with the items that belong to it (the files attached to it)."""
    comment.deleted_at = utcnow()
    session.add(SearchOutbox(content_id=comment.content_id, op="index"))
    children = session.scalars(
        select(Content).where(Content.parent_comment_id == comment.id, Content.deleted_at.is_(None))
    )
    for child in children:
        delete_content(session, child)


def find_comment(session: Session, content_id: int, comment_id: int) -> Comment | None:
    """A live comment of an item (None if it is not one, or was deleted)."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.content_id != content_id or comment.deleted_at is not None:
        return None
    return comment


# Read on every item page and stream page: built once (constructing a statement cost more
# than running it).
_COMMENTS = (
    select(Comment, User)
    .join(User, User.id == Comment.author_id)
    .where(Comment.content_id == bindparam("content_id"), Comment.deleted_at.is_(None))
    .order_by(Comment.id)
)


def _likes_statement() -> Select[Any]:
    """Each item's like count, the viewer's like and the 5 latest likers' names: at most 5
    rows per item whatever its number of likes (the counting is the database's)."""
    per_item = {"partition_by": Reaction.content_id}
    newest_first = (Reaction.created_at.desc(), Reaction.user_id.desc())
    likes = (
        select(
            Reaction.content_id,
            Reaction.user_id,
            func.row_number().over(**per_item, order_by=newest_first).label("rank"),
            func.count().over(**per_item).label("total"),
            func.max(case((Reaction.user_id == bindparam("viewer"), 1), else_=0))
            .over(**per_item)
            .label("mine"),
        )
        .where(Reaction.content_id.in_(bindparam("ids", expanding=True)), Reaction.kind == "like")
        .subquery()
    )
    return (
        select(likes.c.content_id, likes.c.total, likes.c.mine, User.display_name)
        .join(User, User.id == likes.c.user_id)
        .where(likes.c.rank <= 5)
        .order_by(likes.c.content_id, likes.c.rank)
    )


_LIKES = _likes_statement()


def comments_for(session: Session, content_id: int) -> list[tuple[Comment, User]]:
    """Visible comments on an item with their authors, oldest first (one query)."""
    return [(c, u) for c, u in session.execute(_COMMENTS, {"content_id": content_id}).all()]


def react(session: Session, content: Content, user: User, kind: object) -> bool:
    """Add a reaction; False if it was already there."""
    if kind not in REACTION_KINDS:
        raise ValidationError({"kind": f"Choose one of: {', '.join(REACTION_KINDS)}."})
    if session.get(Reaction, (content.id, user.id, kind)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(Reaction(content_id=content.id, user_id=user.id, kind=kind))
    except IntegrityError:
        # The same reaction committed meanwhile (a double click, two tabs): on PostgreSQL
        # this insert waited for it, then collided (a 500 under bench/load_bench.py).
        return False
    mark_item(session, content.id)
    return True


def unreact(session: Session, content: Content, user: User, kind: str) -> bool:
    """Remove a reaction; False if there was none."""
    result = session.execute(
        delete(Reaction).where(
            Reaction.content_id == content.id, Reaction.user_id == user.id, Reaction.kind == kind
        )
    )
    if result.rowcount:
        mark_item(session, content.id)
    return bool(result.rowcount)


def reaction_summary(
    session: Session, content_ids: list[int], viewer_id: int
) -> dict[int, dict[str, object]]:
    """For each item: like count, whether the viewer liked it, and up to 5 names, newest
    first (one query for the whole list, none per item)."""
    summary: dict[int, dict[str, object]] = {
        cid: {"count": 0, "mine": False, "names": []} for cid in content_ids
    }
    if not content_ids:
        return summary
    rows = session.execute(_LIKES, {"ids": content_ids, "viewer": viewer_id}).all()
    for cid, total, mine, name in rows:
        entry = summary[cid]
        entry["count"], entry["mine"] = total, bool(mine)
        names = entry["names"]
        assert isinstance(names, list)
        names.append(name)
    return summary


_COMMENT_COUNTS = (
    select(Comment.content_id, func.count())
    .where(Comment.content_id.in_(bindparam("ids", expanding=True)), Comment.deleted_at.is_(None))
    .group_by(Comment.content_id)
)


def comment_counts(session: Session, content_ids: list[int]) -> dict[int, int]:
    """Visible comment count per item (one query)."""
    if not content_ids:
        return {}
    return dict(session.execute(_COMMENT_COUNTS, {"ids": content_ids}).all())


def follow(session: Session, user: User, target: str) -> None:
    """Follow ``user:<id>``, ``space:<id>`` or ``tag:<name>`` (idempotent)."""
    if session.get(Follow, (user.id, target)) is None:
        session.add(Follow(user_id=user.id, target=target))


def unfollow(session: Session, user: User, target: str) -> None:
    """Stop following."""
    session.execute(delete(Follow).where(Follow.user_id == user.id, Follow.target == target))


_FOLLOWED = select(Follow.target).where(Follow.user_id == bindparam("user_id"))


def followed(session: Session, user_id: int) -> list[str]:
    """What a user follows (read once per page: someone following 1,000 people and tags
    paid 0.7 ms a read, twice a home page)."""

    def load() -> tuple[str, ...]:
        return tuple(session.execute(_FOLLOWED, {"user_id": user_id}).scalars())

    return list(once_per_read(session, ("followed", user_id), load))
