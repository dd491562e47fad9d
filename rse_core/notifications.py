"""Notifications: comments on your items, reactions, mentions, invitations, join requests.

A notification about an item is only created for someone who can see the item, and is checked
again when shown: one about an item its reader can no longer see shows nothing of it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from .content import Content, shows
from .db import Base, UTCDateTime, utcnow
from .identity.models import Space, User
from .markdown import MENTION, excerpt
from .permissions import load_access, plugins_of
from .social import Comment

KINDS = {
    "comment": "Someone comments on your item",
    "reaction": "Someone likes your item",
    "mention": "Someone mentions you",
    "invite": "You are invited to a space",
    "join_request": "Someone asks to join a space you manage",
    "watch": "Something you watch changes (a wiki page, an answer to your question)",
    "event": "An event you go to: reminders, changes, cancellations, the waiting list",
    "moderation": "A moderator hid, restored or asked you about something you wrote",
}
MAX_NOTE = 300


class Notification(Base):
    """One thing a user should know about."""

    __tablename__ = "rse_notification"
    __table_args__ = (Index("ix_rse_notification_user", "user_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), nullable=True
    )
    content_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), nullable=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="CASCADE"), nullable=True
    )
    #: The comment this is about (a comment on your item, a mention in a comment).
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_comment.id", ondelete="SET NULL"), nullable=True
    )
    #: What happened, in a plugin's words (an English message its catalog translates when
    #: shown, or an organiser's own text): "This occurrence is cancelled.".
    note: Mapped[str | None] = mapped_column(String(MAX_NOTE), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationPreference(Base):
    """A user turned a kind of notification off (or back on)."""

    __tablename__ = "rse_notification_pref"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("rse_user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


def mentioned_usernames(text: str) -> set[str]:
    """Usernames written as ``@name`` in a text (lower-cased)."""
    return {m.lower() for m in MENTION.findall(text or "")}


def preferences(session: Session, user_id: int) -> dict[str, bool]:
    """Kind -> enabled for a user (everything on unless turned off)."""
    stored = dict(
        session.execute(
            select(NotificationPreference.kind, NotificationPreference.enabled).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {kind: stored.get(kind, True) for kind in KINDS}


def set_preference(session: Session, user_id: int, kind: str, enabled: bool) -> None:
    """Turn one kind on or off."""
    if kind not in KINDS:
        raise ValueError(kind)
    row = session.get(NotificationPreference, (user_id, kind))
    if row is None:
        session.add(NotificationPreference(user_id=user_id, kind=kind, enabled=enabled))
    else:
        row.enabled = enabled


def notify(
    session: Session,
    recipient: User,
    kind: str,
    *,
    actor: User | None = None,
    content: Content | None = None,
    space: Space | None = None,
    comment: Comment | None = None,
    note: str | None = None,
) -> Notification | None:
    """Notify ``recipient`` unless it is the actor, they turned the kind off, or the item is
    one they cannot see. ``comment``: the comment the event is about, for the excerpt and a
    link straight to it; ``note``: what happened, shown after the item's title (at most 300
    characters; an English message is translated by the catalogs when shown)."""
    if actor is not None and actor.id == recipient.id:
        return None
    if not recipient.is_active or not preferences(session, recipient.id)[kind]:
        return None
    if content is not None:
        principals = load_access(session, recipient).principals
        if content.deleted_at is not None or not shows(principals, content):
            return None
    row = Notification(
        user_id=recipient.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        content_id=content.id if content else None,
        space_id=space.id if space else None,
        comment_id=comment.id if comment else None,
        note=note[:MAX_NOTE] if note else None,
    )
    session.add(row)
    return row


def notify_mentions(
    session: Session,
    text: str,
    actor: User,
    content: Content,
    *,
    comment: Comment | None = None,
    already: Collection[int] = (),
) -> list[str]:
    """Notify every existing user ``@mentioned`` in ``text`` who can see ``content``.

    :param comment: the comment ``text`` is (a mention in a comment links to it).
    :param already: ids of users this event notified already (the item's author told of a
        comment): one notification per event.
    """
    names = mentioned_usernames(text)
    if not names:
        return []
    users = session.execute(select(User).where(User.username.in_(names))).scalars()
    notified = []
    for user in users:
        if user.id in already:
            continue
        if notify(session, user, "mention", actor=actor, content=content, comment=comment):
            notified.append(user.username)
    return notified


@dataclass(frozen=True)
class Shown:
    """A notification as its reader may see it now."""

    notification: Notification
    actor: User | None
    content: Content | None  # None when gone or no longer visible
    space: Space | None
    hidden: bool  # the item exists no more for this reader
    comment: Comment | None = None  # the comment it is about, unless deleted or hidden

    @property
    def link(self) -> str | None:
        """Where the notification leads: the item's own page (at the comment), or the
        space."""
        if self.content is not None:
            anchor = f"#comment-{self.comment.id}" if self.comment is not None else ""
            return f"{self.content.url}{anchor}"
        return None

    @property
    def excerpt(self) -> str:
        """What was said, shortened: the comment, else the item's text."""
        if self.comment is not None:
            return excerpt(self.comment.body)
        return excerpt(self.content.summary or self.content.title) if self.content else ""

    @property
    def about(self) -> str:
        """The item's title, or its text's first words when it has none."""
        if self.content is None:
            return ""
        return self.content.title or excerpt(self.content.summary, 60)


def _of_active_plugins(query: Select[Any], plugins: frozenset[str] | None) -> Select[Any]:
    """Leave out notifications about items of plugins not active for the reader (they come
    back, unread if they were, when the plugin is enabled for them again). The query must
    join ``Content`` (outer)."""
    if plugins is None:
        return query
    return query.where(or_(Notification.content_id.is_(None), Content.plugin.in_(plugins)))


# Made once: an alias builds a proxy of each column of User at its first use (~0.25 ms).
_ACTOR = aliased(User, name="actor")


def for_user(
    session: Session,
    user: User,
    *,
    principals: frozenset[str] | None = None,
    before: int | None = None,
    limit: int = 30,
) -> list[Shown]:
    """A page of a user's notifications, each re-checked against what they may see today
    (``principals``: the reader's ``ReadScope``, loaded when not given)."""
    if principals is None:
        principals = load_access(session, user).principals
    actor = _ACTOR
    query = (
        select(Notification, actor, Content, Space, Comment)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(Content, Content.id == Notification.content_id)
        .outerjoin(Space, Space.id == Notification.space_id)
        .outerjoin(Comment, Comment.id == Notification.comment_id)
        .where(Notification.user_id == user.id)
    )
    query = _of_active_plugins(query, plugins_of(principals))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = session.execute(query.order_by(Notification.id.desc()).limit(limit)).all()
    shown = []
    for notification, who, content, space, comment in rows:
        hidden = notification.content_id is not None and (
            content is None or content.deleted_at is not None or not shows(principals, content)
        )
        if comment is not None and comment.deleted_at is not None:
            comment = None
        shown.append(
            Shown(
                notification,
                None if hidden else who,
                None if hidden else content,
                None if hidden else space,
                hidden,
                None if hidden else comment,
            )
        )
    return shown


# The bell's count, on every page: built once (constructing it cost more than running it).
_UNREAD = (
    select(func.count())
    .select_from(Notification)
    .outerjoin(Content, Content.id == Notification.content_id)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
)
_UNREAD_OF_PLUGINS = _UNREAD.where(
    or_(Notification.content_id.is_(None), Content.plugin.in_(bindparam("plugins", expanding=True)))
)


def unread_count(session: Session, user_id: int, plugins: frozenset[str] | None = None) -> int:
    """How many notifications the user has not read (of items of ``plugins`` only, when
    given: the plugins active for them)."""
    if plugins is None:
        return session.execute(_UNREAD, {"user_id": user_id}).scalar_one()
    parameters = {"user_id": user_id, "plugins": sorted(plugins)}
    return session.execute(_UNREAD_OF_PLUGINS, parameters).scalar_one()


def mark_read_ids(session: Session, user_id: int, ids: list[int]) -> int:
    """Mark these notifications of the user read (those a page just showed)."""
    statement = (
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.id.in_(ids),
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    return session.execute(statement).rowcount or 0


def mark_read(
    session: Session,
    user_id: int,
    notification_id: int | None = None,
    plugins: frozenset[str] | None = None,
) -> int:
    """Mark one (or all the shown: of ``plugins``' items) of the user's notifications read;
    returns how many changed."""
    statement = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    if plugins is not None:
        shown = _of_active_plugins(
            select(Notification.id).outerjoin(Content, Content.id == Notification.content_id),
            plugins,
        )
        statement = statement.where(Notification.id.in_(shown))
    return session.execute(statement.values(read_at=utcnow())).rowcount or 0
