"""The content registry: one row per item any plugin creates, and the write path.

Every plugin item joins ``rse_content`` (type, plugin, space, author, audience, title, URL,
times, deleted). ``publish``, ``update`` and ``delete`` write the content row, the activity
row and a search outbox row in the caller's transaction, so the plugin's own row, its activity
and its future search entry commit or fail together.

An item's **audience** is one principal: ``everyone``, ``space:<id>`` or ``user:<id>``. One
principal (not a set) keeps every visibility filter a single indexed column compared with the
reader's principals: no join, the same predicate for streams, search, notifications and feeds.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from .changes import mark_item
from .db import Base, UTCDateTime, utcnow
from .enablement import EVERYONE
from .identity.models import Membership, Space, User
from .permissions import ScopeParameter, audience_in, plugin_in, plugins_of
from .sql_sets import in_set
from .validation import Forbidden, ValidationError, clean_text

AUDIENCE = re.compile(r"^(everyone|space:\d+|user:\d+)$")


class Content(Base):
    """An item of any plugin, as the core knows it."""

    __tablename__ = "rse_content"
    __table_args__ = (
        Index("ix_rse_content_space", "space_id", "id"),
        Index("ix_rse_content_author", "author_id", "id"),
        Index("ix_rse_content_created", "created_at"),
        # The few deleted items (core_0015): the streams' "is its item deleted?" probe.
        Index(
            "ix_rse_content_deleted",
            "id",
            postgresql_where=text("deleted_at IS NOT NULL"),
            sqlite_where=text("deleted_at IS NOT NULL"),
        ),
        # The few items that belong to another (core_0019): hidden and restored with it.
        Index(
            "ix_rse_content_parent",
            "parent_id",
            postgresql_where=text("parent_id IS NOT NULL"),
            sqlite_where=text("parent_id IS NOT NULL"),
        ),
        Index(
            "ix_rse_content_parent_comment",
            "parent_comment_id",
            postgresql_where=text("parent_comment_id IS NOT NULL"),
            sqlite_where=text("parent_comment_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(60))  # "feed.post", "blog.article", ...
    plugin: Mapped[str] = mapped_column(String(40))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("rse_space.id", ondelete="SET NULL"), nullable=True
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # plain text, for streams and search
    #: More text for the item's search entry that no page shows with it (a question's
    #: answers): see ``set_search_text``.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: The item this one belongs to (a file attached to a post): same audience, hidden and
    #: restored with it.
    parent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The parent's comment this item belongs to (a file attached to a comment): hidden when
    #: the comment is deleted.
    parent_comment_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Activity(Base):
    """Something that happened to a content item: actor, verb, object, space, audience."""

    __tablename__ = "rse_activity"
    __table_args__ = (
        Index("ix_rse_activity_actor", "actor_id", "id"),
        Index("ix_rse_activity_space", "space_id", "id"),
        Index("ix_rse_activity_content", "content_id", "id"),
        # The adoption rollups read the log a week at a time (core_0023).
        Index("ix_rse_activity_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("rse_user.id", ondelete="CASCADE"))
    verb: Mapped[str] = mapped_column(String(20))  # create, update, comment, status
    content_id: Mapped[int] = mapped_column(ForeignKey("rse_content.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audience: Mapped[str] = mapped_column(String(40))  # copied from the content
    plugin: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContentTag(Base):
    """A tag on an item (``#hashtag``), for tag pages and following a tag."""

    __tablename__ = "rse_content_tag"
    __table_args__ = (Index("ix_rse_content_tag_tag", "tag", "content_id"),)

    content_id: Mapped[int] = mapped_column(
        ForeignKey("rse_content.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)


class SearchOutbox(Base):
    """A content item (or a person, or a space) whose search entry must be (re)written or
    removed after commit."""

    __tablename__ = "rse_search_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_id: Mapped[int | None] = mapped_column(Integer, index=True, nullable=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a person's entry
    space_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a space's entry
    op: Mapped[str] = mapped_column(String(10))  # "index" or "delete"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def visible(
    column: Any, principals: frozenset[str] | ScopeParameter, *, indexed: bool = True
) -> ColumnElement[bool]:
    """The one visibility predicate: an audience column among the reader's principals, and
    the ``plugin`` column of the same table (``Content``, ``Activity``) among the plugins
    active for the reader (when ``principals`` is a ``ReadScope`` that carries them).

    ``principals`` may be a :class:`ScopeParameter` (a statement built once, run with the
    parameter's ``values(scope)``).

    With ``indexed=False`` the audience is compared as an expression, which no index serves:
    for a query that must start from another index (the week's items by ``created_at``),
    since SQLite's planner would otherwise walk every item the reader may see."""
    # One parameter holding the whole set (see sql_sets): a parameter per principal cost
    # ~20 µs each in SQLAlchemy, 3 ms for someone in 150 spaces, and ~2,250 public spaces
    # made it a third of a home page.
    audience = column if indexed else column.concat("")
    predicate = audience_in(audience, principals)
    if isinstance(principals, ScopeParameter):
        rollout = principals.plugins
    else:
        rollout = plugins_of(principals) is not None
    if not rollout:
        return predicate
    owner = getattr(getattr(column, "parent", None), "entity", None)
    plugin_column = getattr(owner, "plugin", None)
    if plugin_column is None:
        raise TypeError("visible() needs the audience column of a table with a plugin column")
    return and_(predicate, plugin_in(plugin_column, principals))  # one parameter too


def audience_for(session: Session, author: User, space: Space | None, audience: str | None) -> str:
    """Check and return the audience of a new item: a space the author belongs to, the whole
    company (``everyone``), or the author alone (``user:<id>``)."""
    if space is not None:
        member = session.get(Membership, (space.id, author.id))
        if member is None:
            raise Forbidden("You can only share in spaces you belong to.")
        return space.principal
    audience = audience or EVERYONE
    if audience not in (EVERYONE, f"user:{author.id}"):
        raise ValidationError({"audience": "Share with everyone, a space, or yourself."})
    return audience


def publish(
    session: Session,
    *,
    plugin: str,
    type: str,
    author: User,
    url: str,
    title: str = "",
    summary: str = "",
    space: Space | None = None,
    audience: str | None = None,
    tags: list[str] | tuple[str, ...] = (),
    announce: bool = True,
    parent: Content | None = None,
    parent_comment_id: int | None = None,
) -> Content:
    """Register a new item: content row, "create" activity and search outbox entry.

    :param plugin: the calling plugin's name.
    :param type: ``<plugin>.<kind>``, for example ``feed.post``.
    :param url: the item's local page (``/feed/posts/12``).
    :param space: share in this space (the author must belong to it); else ``audience``:
        ``"everyone"`` (default) or ``"user:<author id>"`` (private).
    :param tags: lower-case tags (``#hashtags``) for tag pages and tag following.
    :param announce: False registers the item (search, comments, likes, its page) without a
        stream entry, now or when it is edited: a private bookmark, a draft.
    :param parent: the item this one belongs to (a file attached to a post): it then has the
        parent's space and audience (``space`` and ``audience`` are ignored), and is hidden
        and restored with it.
    :param parent_comment_id: with ``parent``, the comment of the parent this item belongs
        to (the caller checked it is one): hidden when that comment is deleted.
    """
    if not type.startswith(f"{plugin}."):
        raise ValueError(f"content type {type!r} must start with {plugin + '.'!r}")
    content = Content(
        type=type,
        plugin=plugin,
        space_id=parent.space_id if parent else space.id if space else None,
        author_id=author.id,
        audience=parent.audience if parent else audience_for(session, author, space, audience),
        parent_id=parent.id if parent else None,
        parent_comment_id=parent_comment_id if parent else None,
        title=clean_text(title, "title", max_length=300),
        summary=summary[:20_000],
        url=url,
    )
    # One instant for both: an item is "edited" only when ``update`` moves ``updated_at``.
    content.created_at = content.updated_at = utcnow()
    session.add(content)
    session.flush()
    set_tags(session, content, tags)
    mark_item(session, content.id)
    if announce:
        _emit(session, content, author, "create")
    else:
        session.add(SearchOutbox(content_id=content.id, op="index"))
    return content


def set_tags(session: Session, content: Content, tags: list[str] | tuple[str, ...]) -> None:
    """Replace an item's tags."""
    wanted = sorted({t.lower()[:60] for t in tags if t})
    session.execute(ContentTag.__table__.delete().where(ContentTag.content_id == content.id))
    for tag in wanted:
        session.add(ContentTag(content_id=content.id, tag=tag))


def update(
    session: Session,
    content: Content,
    actor: User,
    *,
    title: str | None = None,
    summary: str | None = None,
    url: str | None = None,
    tags: list[str] | tuple[str, ...] | None = None,
) -> Content:
    """Record an edit: changed fields, a folded "update" activity, a search outbox entry.

    Consecutive edits of one item by one person fold into one stream entry, moved to the top.
    """
    if content.deleted_at is not None:
        raise ValidationError({"content": "This item was deleted."})
    if title is not None:
        content.title = clean_text(title, "title", max_length=300)
    if summary is not None:
        content.summary = summary[:20_000]
    if url is not None:
        content.url = url
    if tags is not None:
        set_tags(session, content, tags)
    content.updated_at = utcnow()
    mark_item(session, content.id)
    last = session.execute(
        select(Activity)
        .where(Activity.content_id == content.id)
        .order_by(Activity.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if last is None:  # never announced: no stream entry for its edits either
        session.add(SearchOutbox(content_id=content.id, op="index"))
        return content
    if last.verb == "update" and last.actor_id == actor.id:
        session.delete(last)
    _emit(session, content, actor, "update")
    return content


def announce_status(session: Session, content: Content, actor: User) -> Activity:
    """Record that an item moved in its plugin's workflow (an idea selected, a request
    closed): a ``status`` activity ("changed the status of") in streams, digests and
    webhooks, for the item's audience. Unlike an edit, it never folds into an earlier one:
    each move is its own entry."""
    if content.deleted_at is not None:
        raise ValidationError({"content": "This item was deleted."})
    content.updated_at = utcnow()
    mark_item(session, content.id)
    return _emit(session, content, actor, "status")


def set_search_text(session: Session, content: Content, text: str) -> None:
    """Index ``text`` with the item (its search entry: title, summary, this, comments), for
    words that belong to it but live in a plugin's own rows (a question's answers). They share
    the item's audience: whoever may not see the item cannot find it by them. No activity."""
    content.search_text = text[:100_000]
    session.add(SearchOutbox(content_id=content.id, op="index"))


def delete(session: Session, content: Content) -> None:
    """Hide an item everywhere at once (streams, search, notifications, feeds), with the
    items that belong to it (its attachments); rows stay."""
    now = utcnow()
    content.deleted_at = now
    mark_item(session, content.id)
    session.add(SearchOutbox(content_id=content.id, op="delete"))
    for child in _children(session, content, deleted=False):
        child.deleted_at = now
        mark_item(session, child.id)
        session.add(SearchOutbox(content_id=child.id, op="delete"))


def restore(session: Session, content: Content) -> None:
    """Bring back an item ``delete`` hid (a file taken out of the trash): visible again to
    its audience wherever it was, its stream entries and search entry included, with the
    items hidden along with it (not those deleted on their own before)."""
    hidden_at = content.deleted_at
    content.deleted_at = None
    mark_item(session, content.id)
    session.add(SearchOutbox(content_id=content.id, op="index"))
    for child in _children(session, content, deleted=True):
        if child.deleted_at == hidden_at:
            child.deleted_at = None
            mark_item(session, child.id)
            session.add(SearchOutbox(content_id=child.id, op="index"))


def _children(session: Session, content: Content, *, deleted: bool) -> list[Content]:
    state = Content.deleted_at.is_not(None) if deleted else Content.deleted_at.is_(None)
    return list(
        session.scalars(select(Content).where(Content.parent_id == content.id, state).limit(1000))
    )


def _emit(session: Session, content: Content, actor: User, verb: str) -> Activity:
    activity = Activity(
        actor_id=actor.id,
        verb=verb,
        content_id=content.id,
        space_id=content.space_id,
        audience=content.audience,
        plugin=content.plugin,
    )
    session.add(activity)
    session.add(SearchOutbox(content_id=content.id, op="index"))
    session.flush()
    return activity


def get_visible(session: Session, content_id: int, principals: frozenset[str]) -> Content | None:
    """The item if it exists, is not deleted and the reader may see it; else None."""
    content = session.get(Content, content_id)
    if content is None or content.deleted_at is not None or not shows(principals, content):
        return None
    return content


def shows(principals: frozenset[str], content: Content) -> bool:
    """May a holder of ``principals`` see ``content`` (audience, and its plugin active)?"""
    plugins = plugins_of(principals)
    return content.audience in principals and (plugins is None or content.plugin in plugins)


def tagged(
    session: Session,
    principals: frozenset[str],
    tag: str,
    *,
    plugin: str | None = None,
    before: int | None = None,
    limit: int = 20,
) -> list[Content]:
    """Visible, not deleted items carrying ``tag``, newest first (``before``: an item id)."""
    query = (
        select(Content)
        .join(ContentTag, ContentTag.content_id == Content.id)
        .where(
            ContentTag.tag == tag.lower(),
            visible(Content.audience, principals),
            Content.deleted_at.is_(None),
        )
    )
    if plugin is not None:
        query = query.where(Content.plugin == plugin)
    if before is not None:
        query = query.where(Content.id < before)
    return list(session.execute(query.order_by(Content.id.desc()).limit(limit)).scalars())


def carries_tag(
    content_id: ColumnElement[Any],
    tags: Iterable[str] | BindParameter[Any],
    *,
    large: bool | None = None,
) -> ColumnElement[bool]:
    """The item ``content_id`` (a column of the rows being read) carries one of ``tags``
    (lower-case, or a :func:`set_parameter` of them, ``large`` as :func:`in_set` says): a
    probe of the item's own tags through the tag table's key for each row read, not the list
    of every item carrying one of them, which grows with every plugin's items. SQLite probes
    as written; PostgreSQL hashed that list before the walk (a scan of every tag: 10.5 ms at
    1,000,000 activities for someone following 200 tags, each page) until the subquery's
    ``OFFSET 0``, written for PostgreSQL only, kept it a probe (0.19 ms)."""
    probe = select(ContentTag.content_id).where(
        ContentTag.content_id == content_id, in_set(ContentTag.tag, tags, large=large)
    )
    return probe.suffix_with("OFFSET 0", dialect="postgresql").exists()


def tag_tally(session: Session, since: datetime) -> dict[tuple[str, str], Counter[str]]:
    """How often each tag was used on the items created since ``since``, per (audience,
    plugin) of the items: what ``shared_tally`` merges into a reader's trending tags.

    The walk starts from the week's items (their ``created_at`` index) and reaches their tags
    by key: joined on ``id + 0`` and grouped by ``audience || ''``, since on the plain columns
    SQLite read every tag of every item and probed its item (275 ms at 10,000,000 activities,
    once a minute per worker, a page held meanwhile) or walked every item in audience order
    to skip the sort (1.8 s); now 30 ms."""
    audience = Content.audience.concat("")
    rows = session.execute(
        select(audience, Content.plugin, ContentTag.tag, func.count())
        .join(ContentTag, ContentTag.content_id == Content.id + literal_column("0"))
        .where(Content.created_at >= since, Content.deleted_at.is_(None))
        .group_by(audience, Content.plugin, ContentTag.tag)
    )
    tally: dict[tuple[str, str], Counter[str]] = {}
    for audience, plugin, tag, uses in rows:
        tally.setdefault((audience, plugin), Counter())[tag] = uses
    return tally


def trending_tags(
    session: Session, principals: frozenset[str], since: datetime, limit: int = 10
) -> list[tuple[str, int]]:
    """The most used tags on items the reader may see, created since ``since``: the week's
    items first (by ``created_at``), then their tags, so the cost follows the week's activity
    and not the size of everything (1 ms against 38 ms at 100,000 items). Pages use the
    counts every reader shares instead (``tag_tally`` through ``shared_tally``)."""
    recent = select(Content.id).where(
        Content.created_at >= since,
        visible(Content.audience, principals, indexed=False),
        Content.deleted_at.is_(None),
    )
    rows = session.execute(
        select(ContentTag.tag, func.count().label("uses"))
        .where(ContentTag.content_id.in_(recent))
        .group_by(ContentTag.tag)
        .order_by(func.count().desc(), ContentTag.tag)
        .limit(limit)
    ).all()
    return [(tag, uses) for tag, uses in rows]
